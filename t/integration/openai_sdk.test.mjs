// The official openai SDK against the gateway: chat (JSON and streaming),
// embeddings, models, legacy completions, all served by a mock provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, collectChatStream,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-openai-');
const MODEL_NAMES = ['gpt-4o', 'text-embedding-3-small', 'gpt-3.5-turbo-instruct'];
let mock, gw, client;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: {
            model_list: [
                openaiDeployment('gpt-4o', mock, 'upstream-gpt-4o'),
                openaiDeployment('text-embedding-3-small', mock, 'upstream-embed'),
                openaiDeployment('gpt-3.5-turbo-instruct', mock, 'upstream-instruct'),
            ],
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    client = gw.client();
});

after(() => closeAll(gw, mock));

test('chat completion (non-streaming) returns the provider answer', async () => {
    mock.reset();
    const res = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello gateway' }],
        temperature: 0.2,
    });
    const seen = mock.last();
    assert.equal(mock.requests.length, 1);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.model, 'upstream-gpt-4o');
    assert.equal(res.choices[0].message.content, seen.response.text);
    assert.equal(res.choices[0].message.content, 'Mock reply from upstream-gpt-4o: you said hello gateway');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.deepEqual(res.usage, seen.response.usage);
});

test('chat streaming: deltas equal the provider chunks one by one; include_usage added upstream', async () => {
    mock.reset();
    const stream = await client.chat.completions.create({
        model: 'gpt-4o', stream: true,
        messages: [{ role: 'user', content: 'count to five please' }],
    });
    const got = await collectChatStream(stream);
    assert.equal(got.error, null, `stream error: ${got.error}`);
    const seen = mock.last();
    assert.equal(seen.body.stream, true);
    assert.equal(seen.body.stream_options?.include_usage, true, 'gateway must ask the provider for usage');
    assert.ok(seen.response.chunks.length > 3);
    assert.deepEqual(got.deltas, seen.response.chunks);
    assert.equal(got.deltas.join(''), seen.response.text);
    assert.equal(got.finishReason, 'stop');
});

test('chat streaming with stream_options.include_usage: the usage chunk reaches the client', async () => {
    mock.reset();
    const stream = await client.chat.completions.create({
        model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'usage please' }],
    });
    const got = await collectChatStream(stream);
    assert.equal(got.error, null, `stream error: ${got.error}`);
    const seen = mock.last();
    assert.deepEqual(got.deltas, seen.response.chunks);
    assert.deepEqual(got.usage, seen.response.usage);
});

test('embeddings (float and the SDK default base64)', async () => {
    mock.reset();
    const floats = await client.embeddings.create({
        model: 'text-embedding-3-small', input: ['first text', 'second text'], encoding_format: 'float',
    });
    const seen = mock.last();
    assert.equal(seen.path, '/v1/embeddings');
    assert.equal(seen.body.model, 'upstream-embed');
    assert.deepEqual(seen.body.input, ['first text', 'second text']);
    assert.deepEqual(floats.data.map((d) => d.embedding), seen.response.body.data.map((d) => d.embedding));
    assert.deepEqual(floats.usage, seen.response.usage);

    const b64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'first text' });
    assert.equal(mock.last().body.encoding_format, 'base64');
    assert.equal(b64.data.length, 1);
    // Same input, same deterministic vector (float32 round trip).
    assert.deepEqual(b64.data[0].embedding, floats.data[0].embedding);
});

test('models.list() returns exactly the configured model names', async () => {
    mock.reset();
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    assert.deepEqual([...ids].sort(), [...MODEL_NAMES].sort());
    for (const m of page.data) assert.equal(m.object, 'model');
    assert.equal(mock.requests.length, 0, 'the gateway answers /v1/models itself');
});

test('legacy completions, JSON and streaming', async () => {
    mock.reset();
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7 });
    let seen = mock.last();
    assert.equal(seen.path, '/v1/completions');
    assert.equal(seen.body.model, 'upstream-instruct');
    assert.equal(seen.body.max_tokens, 7);
    assert.equal(res.choices[0].text, seen.response.text);

    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'stream it', stream: true });
    const pieces = [];
    for await (const chunk of stream) if (chunk.choices[0]?.text) pieces.push(chunk.choices[0].text);
    seen = mock.last();
    assert.deepEqual(pieces, seen.response.chunks);
});
