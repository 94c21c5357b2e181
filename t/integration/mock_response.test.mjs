// A deployment with mock_response answers by itself: no provider involved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, deployment, collectChatStream, request, parseSse } from '../lib/index.mjs';

const TEXT = 'This is a canned answer from the gateway mock deployment.';
let gw, client;

before(async () => {
    gw = await startGateway({
        config: { model_list: [deployment('canned', 'openai/gpt-4o', { mock_response: TEXT })] },
    });
    client = gw.client();
});

after(() => closeAll(gw));

test('non-streaming: the configured text, with consistent usage', async () => {
    const res = await client.chat.completions.create({
        model: 'canned', messages: [{ role: 'user', content: 'anything at all' }],
    });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.choices[0].message.role, 'assistant');
    assert.equal(res.choices[0].message.content, TEXT);
    assert.equal(res.choices[0].finish_reason, 'stop');
    const u = res.usage;
    assert.ok(u && u.prompt_tokens > 0 && u.completion_tokens > 0, `usage: ${JSON.stringify(u)}`);
    assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
});

test('streaming with include_usage: deltas rebuild the text, usage chunk, [DONE]', async () => {
    const stream = await client.chat.completions.create({
        model: 'canned', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream it' }],
    });
    const got = await collectChatStream(stream);
    assert.equal(got.error, null, `stream error: ${got.error}`);
    assert.equal(got.deltas.join(''), TEXT);
    assert.equal(got.finishReason, 'stop');
    assert.ok(got.usage && got.usage.completion_tokens > 0, 'usage chunk missing');
    assert.equal(got.usage.total_tokens, got.usage.prompt_tokens + got.usage.completion_tokens);
});

test('raw SSE: text/event-stream, chat.completion.chunk objects, ends with [DONE]', async () => {
    const res = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'canned', stream: true, messages: [{ role: 'user', content: 'raw' }] },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/event-stream/);
    const events = parseSse(res.text);
    assert.equal(events.at(-1).data, '[DONE]');
    const chunks = events.slice(0, -1).map((e) => e.json);
    assert.ok(chunks.length >= 2);
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), TEXT);
});
