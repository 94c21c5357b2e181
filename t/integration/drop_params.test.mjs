// drop_params and the provider table's "rejects": a field a provider
// answers with a 400 is taken out of the request when drop_params is on
// (the deployment's or the router's), and forwarded when it is off, where
// the mock refuses it with the 400 that provider answers (so the test
// shows what dropping saves the client from).  Rows come from controld's
// own table (`controld --providers`), so a row's rejects are tested as
// they are.  Also: a provider row without an endpoint (embeddings,
// completions) gets a clear error in the client's format, not a 404 from
// the provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, deployment, run, CONTROLD,
} from '../lib/index.mjs';
import { post, clientError, answerText } from '../lib/ingress.mjs';

// rows with rejects: each is tested with every field its row lists
const PROVIDERS = ['groq', 'mistral', 'perplexity', 'cerebras', 'sambanova'];

// a value each field could legally have in an OpenAI request
const VALUES = {
    logit_bias: { 50256: -100 },
    logprobs: true,
    top_logprobs: 2,
    user: 'user-1234',
    n: 1,
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    seed: 7,
    frequency_penalty: 0.5,
    presence_penalty: 0.5,
    response_format: { type: 'text' },
};

let mock, gw, table;
const KEY = 'sk-test-provider-key-0001';

function basePath(row) {
    return new URL(row.api_base).pathname.replace(/\/$/, '');
}

before(async () => {
    const res = await run(CONTROLD, ['--providers'], {});
    assert.equal(res.code, 0, res.stderr);
    table = JSON.parse(res.stdout);
    const rows = PROVIDERS.map((name) => table.find((r) => r.name === name));
    // the mock refuses what the real provider refuses, under its base path
    mock = await startMockProvider({ refuses: rows.map((r) => [basePath(r), r.rejects]) });
    const model_list = [];
    for (const r of rows) {
        const params = { api_base: `${mock.url}${basePath(r)}`, api_key: KEY };
        model_list.push(deployment(`${r.name}-drop`, `${r.name}/m-${r.name}`, { ...params, drop_params: true }));
        model_list.push(deployment(`${r.name}-keep`, `${r.name}/m-${r.name}`, params));
    }
    // groq has no embeddings and no completions; perplexity no /v1/models
    model_list.push(deployment('groq-any', 'groq/m-groq', { api_base: `${mock.url}/openai/v1`, api_key: KEY }));
    gw = await startGateway({
        config: { model_list, router_settings: { num_retries: 0 }, litellm_settings: { drop_params: false } },
    });
});

after(() => closeAll(gw, mock));

test('the rows tested here refuse fields, and each has a value to send', () => {
    for (const name of PROVIDERS) {
        const row = table.find((r) => r.name === name);
        assert.ok(row.rejects.length > 0, `${name} lists no rejected field`);
        for (const f of row.rejects) assert.ok(f in VALUES, `no test value for ${name}'s ${f}`);
    }
});

function chat(model, extra) {
    return post(gw.url, '/v1/chat/completions', {
        model, temperature: 0.3, messages: [{ role: 'user', content: `hi ${model}` }], ...extra,
    }, { authorization: `Bearer ${gw.masterKey}` });
}

for (const name of PROVIDERS) {
    test(`${name}: each refused field is dropped with drop_params, and is the provider's 400 without`, async () => {
        const row = table.find((r) => r.name === name);
        for (const field of row.rejects) {
            mock.reset();
            const dropped = await chat(`${name}-drop`, { [field]: VALUES[field] });
            assert.equal(dropped.status, 200, `${name} ${field}: ${dropped.text}`);
            const seen = mock.last();
            assert.equal(Object.hasOwn(seen.body, field), false, `${name}: ${field} reached the provider`);
            // the rest of the body as the client wrote it, model replaced
            assert.equal(seen.body.temperature, 0.3);
            assert.equal(seen.body.model, `m-${name}`);
            assert.deepEqual(seen.body.messages, [{ role: 'user', content: `hi ${name}-drop` }]);
            assert.equal(dropped.json.choices[0].message.content, seen.response.text);

            mock.reset();
            const kept = await chat(`${name}-keep`, { [field]: VALUES[field] });
            const err = clientError('openai', kept);
            assert.equal(typeof err, 'object', `${name} ${field}: ${err} ${kept.text}`);
            assert.equal(err.status, 400);
            assert.match(err.message, new RegExp(`'${field}'`), `${name}: the provider's message`);
            assert.deepEqual(mock.last().body[field], VALUES[field], `${name}: ${field} forwarded`);
        }
    });
}

test('dropping keeps a stream and every field the provider takes', async () => {
    mock.reset();
    const res = await chat('groq-drop', {
        stream: true, logprobs: true, top_logprobs: 3, logit_bias: { 1: 1 }, max_tokens: 40, stop: ['\n\n'],
    });
    assert.equal(res.status, 200, res.text);
    const body = mock.last().body;
    assert.deepEqual(Object.keys(body).sort(),
        ['max_tokens', 'messages', 'model', 'stop', 'stream', 'stream_options', 'temperature']);
    assert.deepEqual(body.stop, ['\n\n']);
    assert.equal(answerText('openai', res), mock.last().response.text);
    assert.equal(res.events.at(-1).data, '[DONE]');
});

test('a field written with escapes is the same field to the provider, and is dropped', async () => {
    mock.reset();
    const raw = `{"model":"groq-drop","logit\\u005fbias":{"1":1},"messages":[{"role":"user","content":"x"}]}`;
    const res = await post(gw.url, '/v1/chat/completions', raw, { authorization: `Bearer ${gw.masterKey}` });
    assert.equal(res.status, 200, res.text);
    assert.equal(Object.hasOwn(mock.last().body, 'logit_bias'), false);
});

test('a translated request drops what the translation produced: Anthropic metadata.user_id is mistral\'s refused "user"', async () => {
    const ask = (model) => post(gw.url, '/v1/messages', {
        model, max_tokens: 32, metadata: { user_id: 'u-42' }, messages: [{ role: 'user', content: 'hello' }],
    }, { 'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01' });
    mock.reset();
    const ok = await ask('mistral-drop');
    assert.equal(ok.status, 200, ok.text);
    assert.equal(Object.hasOwn(mock.last().body, 'user'), false);
    assert.equal(answerText('anthropic', ok), mock.last().response.text);

    const refused = await ask('mistral-keep');
    const err = clientError('anthropic', refused);
    assert.equal(typeof err, 'object', `${err} ${refused.text}`);
    assert.equal(err.status, 400);
    assert.match(err.message, /'user'/);
});

test('an endpoint the provider does not have: a clear error in the client\'s format, nothing sent', async () => {
    mock.reset();
    const emb = await post(gw.url, '/v1/embeddings', { model: 'groq-any', input: 'hello' },
        { authorization: `Bearer ${gw.masterKey}` });
    const err = clientError('openai', emb);
    assert.equal(typeof err, 'object', `${err} ${emb.text}`);
    assert.equal(err.status, 400);
    assert.match(err.message, /groq-any/);
    assert.match(err.message, /provider "groq" does not serve \/v1\/embeddings/);

    const cmpl = await post(gw.url, '/v1/completions', { model: 'groq-any', prompt: 'hello' },
        { authorization: `Bearer ${gw.masterKey}` });
    assert.equal(cmpl.status, 400, cmpl.text);
    assert.match(cmpl.json.error.message, /provider "groq" does not serve \/v1\/completions/);
    assert.equal(mock.requests.length, 0, 'nothing reached the provider');

    // chat on the same deployment works
    const chatRes = await chat('groq-any', {});
    assert.equal(chatRes.status, 200, chatRes.text);
});
