// The official @anthropic-ai/sdk against the gateway's /v1/messages, with
// the model group served by a provider of each wire format: Anthropic
// itself (forwarded untouched except the model), OpenAI and Gemini
// (translated both ways).  Every answer is scripted on the mock, so the SDK
// result is checked field by field against what the provider said, and the
// provider's view of the request against what the SDK sent.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, makeSecret, request } from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import {
    KEY_ENV, formatDeployment, providerPath, anthropicClient, collectMessageStream, assertAnthropicGrammar,
    assertAnthropicSdkError, neutralRequest, assertItems, rawSse, rejects,
    resetMocks, providerRequests,
} from '../lib/xlate.mjs';

const FORMATS = ['anthropic', 'openai', 'gemini'];
const GROUP = { anthropic: 'claude-test', openai: 'gpt-test', gemini: 'gemini-test' };
const UPSTREAM = { anthropic: 'upstream-claude', openai: 'upstream-gpt', gemini: 'upstream-gemini' };
const KEYS = Object.fromEntries(FORMATS.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
const mocks = {};
let gw, client, keyless;

const WEATHER_TOOL = {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
};
const TIME_TOOL = {
    name: 'get_time',
    description: 'Local time in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

before(async () => {
    for (const f of FORMATS) mocks[f] = await startScriptedProvider({ apiKey: KEYS[f] });
    keyless = await startScriptedProvider({});
    gw = await startGateway({
        config: {
            model_list: [
                ...FORMATS.map((f) => formatDeployment(GROUP[f], f, mocks[f], UPSTREAM[f])),
                formatDeployment('claude-wild-*', 'anthropic', mocks.anthropic, '*'),
                // Other OpenAI-format providers: their own paths and auth.
                { model_name: 'on-azure', litellm_params: { model: 'azure/az-deployment', api_base: mocks.openai.url, api_version: '2024-06-01', api_key: 'os.environ/OPENAI_API_KEY' } },
                { model_name: 'on-openrouter', litellm_params: { model: 'openrouter/meta/llama-3', api_base: `${mocks.openai.url}/api/v1`, api_key: 'os.environ/OPENAI_API_KEY' } },
                { model_name: 'on-vllm', litellm_params: { model: 'hosted_vllm/qwen-7b', api_base: keyless.url } },
                { model_name: 'on-ollama', litellm_params: { model: 'ollama/llama3', api_base: keyless.url } },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
        },
        env: Object.fromEntries(FORMATS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
    client = anthropicClient(gw);
});

after(() => closeAll(gw, ...Object.values(mocks), keyless));

function resetAll() {
    resetMocks([...Object.values(mocks), keyless]);
}

/** The one request the provider of `f` received; asserts path, model and auth. */
function seenBy(f, { stream = false } = {}) {
    const [rec] = providerRequests(mocks, f, UPSTREAM[f], 1, { stream });
    if (f === 'gemini') {
        assert.equal(rec.headers['x-goog-api-key'], KEYS.gemini);
        if (stream) assert.equal(rec.query.alt, 'sse');
    } else if (f === 'anthropic') {
        assert.equal(rec.headers['x-api-key'], KEYS.anthropic);
        assert.ok(rec.headers['anthropic-version'], 'anthropic-version sent');
        assert.equal(rec.body.model, UPSTREAM.anthropic);
    } else {
        assert.equal(rec.headers.authorization, `Bearer ${KEYS.openai}`);
        assert.equal(rec.body.model, UPSTREAM.openai);
    }
    assert.equal(rec.headers['x-api-key'] === gw.masterKey || rec.headers.authorization === `Bearer ${gw.masterKey}`, false,
        'the client key must never reach the provider');
    return rec;
}

/** Anthropic input_tokens for a scripted usage (prompt counts cached tokens). */
function inputTokens(u) { return u.prompt - (u.cacheRead || 0) - (u.cacheWrite || 0); }

for (const f of FORMATS) {
    describe(`anthropic client -> ${f} provider`, () => {
        test('messages.create: text, system prompt, sampling, usage, stop reason', async () => {
            resetAll();
            const usage = { prompt: 41, completion: 6, cacheRead: 0 };
            mocks[f].script = { text: `Bonjour from the ${f} side.`, usage };
            const params = {
                model: GROUP[f], max_tokens: 123, temperature: 0.25,
                system: 'You are terse.',
                messages: [{ role: 'user', content: 'Say hello in French' }],
            };
            const res = await client.messages.create(params);
            const rec = seenBy(f);
            if (f === 'anthropic') {
                // Same format: forwarded untouched except the model.
                assert.deepEqual({ ...rec.body, model: params.model }, params);
            }
            const seen = neutralRequest(f, rec);
            assert.deepEqual(seen.system, ['You are terse.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'Say hello in French' }], 'request');
            assert.equal(seen.maxTokens, 123);
            assert.equal(seen.temperature, 0.25);
            assert.equal(seen.stream, false);

            assert.equal(res.type, 'message');
            assert.equal(res.role, 'assistant');
            assert.deepEqual(res.content, [{ type: 'text', text: `Bonjour from the ${f} side.` }]);
            assert.equal(res.stop_reason, 'end_turn');
            assert.equal(res.stop_sequence, null);
            if (f !== 'anthropic') assert.equal(res.model, GROUP[f], 'translated answers carry the requested model name');
            assert.match(res.id, /^msg_/);
            assert.equal(res.usage.input_tokens, inputTokens(usage));
            assert.equal(res.usage.output_tokens, usage.completion);
        });

        test('usage with cached prompt tokens maps to input/cache_read', async () => {
            resetAll();
            const usage = { prompt: 100, completion: 12, cacheRead: 64 };
            mocks[f].script = { text: 'cached answer', usage };
            const res = await client.messages.create({
                model: GROUP[f], max_tokens: 50, messages: [{ role: 'user', content: 'again' }],
            });
            seenBy(f);
            assert.equal(res.usage.input_tokens, 36, `input_tokens = prompt - cached; got ${JSON.stringify(res.usage)}`);
            assert.equal(res.usage.cache_read_input_tokens, 64);
            assert.equal(res.usage.output_tokens, 12);
        });

        test('stop reason max_tokens', async () => {
            resetAll();
            mocks[f].script = { text: 'This answer was cut', stop: 'length' };
            const res = await client.messages.create({
                model: GROUP[f], max_tokens: 5, messages: [{ role: 'user', content: 'long story please' }],
            });
            seenBy(f);
            assert.equal(res.stop_reason, 'max_tokens');
            assert.equal(res.content[0].text, 'This answer was cut');
        });

        test('messages.stream: exact event grammar, text, final usage', async () => {
            resetAll();
            const text = 'One two three four five six seven.';
            const usage = { prompt: 30, completion: 8 };
            mocks[f].script = { text, usage };
            const got = await collectMessageStream(client.messages.stream({
                model: GROUP[f], max_tokens: 200, messages: [{ role: 'user', content: 'count' }],
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            const rec = seenBy(f, { stream: true });
            assert.equal(neutralRequest(f, rec).stream, true);
            const blocks = assertAnthropicGrammar(got.events, f);
            assert.equal(blocks.length, 1);
            assert.equal(blocks[0].type, 'text');
            assert.ok(blocks[0].deltas.length >= 2, 'text arrives in several deltas');
            assert.ok(blocks[0].deltas.every((d) => d.type === 'text_delta'));
            assert.equal(got.text, text);
            assert.equal(got.final.content[0].text, text);
            assert.equal(got.final.stop_reason, 'end_turn');
            assert.equal(got.final.usage.output_tokens, usage.completion);
            assert.equal(got.final.usage.input_tokens, usage.prompt);
            if (f !== 'anthropic') assert.equal(got.final.model, GROUP[f]);
        });

        test('raw SSE: every event is named, data is JSON, ends with message_stop', async () => {
            resetAll();
            mocks[f].script = { text: 'raw stream words here' };
            const res = await rawSse(`${gw.url}/v1/messages`, {
                model: GROUP[f], max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'hi' }],
            }, { 'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01' });
            assert.equal(res.status, 200, res.text);
            assert.match(String(res.headers['content-type']), /text\/event-stream/);
            for (const e of res.events) {
                assert.ok(e.event, `unnamed event: ${e.data}`);
                assert.ok(e.json, `data is not JSON: ${e.data}`);
                assert.equal(e.json.type, e.event, 'event name equals data.type');
            }
            assertAnthropicGrammar(res.events.map((e) => e.json), `${f} raw`);
            assert.equal(res.events.map((e) => e.json.delta?.text ?? '').join(''), 'raw stream words here');
        });

        test('tool use round trip (single call)', async () => {
            resetAll();
            const callId = f === 'openai' ? 'call_w1' : 'toolu_w1';
            mocks[f].script = { text: 'Let me check.', toolCalls: [{ id: callId, name: 'get_weather', args: { city: 'Paris' } }] };
            const first = {
                model: GROUP[f], max_tokens: 300, tools: [WEATHER_TOOL],
                messages: [{ role: 'user', content: 'Weather in Paris?' }],
            };
            const res = await client.messages.create(first);
            let seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.tools, [{ name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, schema: WEATHER_TOOL.input_schema }]);
            assert.equal(res.stop_reason, 'tool_use');
            const uses = res.content.filter((b) => b.type === 'tool_use');
            assert.equal(uses.length, 1, JSON.stringify(res.content));
            assert.equal(uses[0].name, 'get_weather');
            assert.deepEqual(uses[0].input, { city: 'Paris' });
            if (f !== 'gemini') assert.equal(uses[0].id, callId);
            else assert.ok(uses[0].id, 'gateway makes up an id for Gemini calls');
            assert.deepEqual(res.content.map((b) => b.type), ['text', 'tool_use']);
            assert.equal(res.content[0].text, 'Let me check.');

            // Second turn: the tool result goes back in the provider's format.
            resetAll();
            mocks[f].script = { text: 'It is 18C and sunny in Paris.' };
            const res2 = await client.messages.create({
                ...first,
                messages: [
                    ...first.messages,
                    { role: 'assistant', content: res.content },
                    { role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[0].id, content: '18C sunny' }] },
                ],
            });
            seen = neutralRequest(f, seenBy(f));
            const expected = [{ role: 'user', kind: 'text', text: 'Weather in Paris?' }];
            expected.push({ role: 'assistant', kind: 'text', text: 'Let me check.' });
            expected.push({ role: 'assistant', kind: 'call', id: uses[0].id, name: 'get_weather', args: { city: 'Paris' } });
            expected.push({ role: 'user', kind: 'result', id: uses[0].id, name_of_result: 'get_weather', content: '18C sunny' });
            assertItems(f, seen.items, expected, 'second turn');
            assert.equal(res2.stop_reason, 'end_turn');
            assert.deepEqual(res2.content, [{ type: 'text', text: 'It is 18C and sunny in Paris.' }]);
        });

        test('parallel tool calls, streamed: one tool_use block each, input parsed', async () => {
            resetAll();
            const calls = [
                { id: f === 'openai' ? 'call_p1' : 'toolu_p1', name: 'get_weather', args: { city: 'Paris' } },
                { id: f === 'openai' ? 'call_p2' : 'toolu_p2', name: 'get_time', args: { city: 'Tokyo' } },
            ];
            mocks[f].script = { toolCalls: calls };
            const got = await collectMessageStream(client.messages.stream({
                model: GROUP[f], max_tokens: 300, tools: [WEATHER_TOOL, TIME_TOOL],
                messages: [{ role: 'user', content: 'Weather in Paris and time in Tokyo?' }],
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            const seen = neutralRequest(f, seenBy(f, { stream: true }));
            assert.deepEqual(seen.tools.map((t) => t.name), ['get_weather', 'get_time']);
            const blocks = assertAnthropicGrammar(got.events, f);
            assert.deepEqual(blocks.map((b) => b.type), ['tool_use', 'tool_use']);
            blocks.forEach((b, i) => {
                assert.equal(b.start.name, calls[i].name);
                assert.ok(b.deltas.every((d) => d.type === 'input_json_delta'));
                assert.deepEqual(JSON.parse(b.deltas.map((d) => d.partial_json).join('') || '{}'), calls[i].args);
                if (f !== 'gemini') assert.equal(b.start.id, calls[i].id);
            });
            const uses = got.final.content.filter((b) => b.type === 'tool_use');
            assert.deepEqual(uses.map((u) => [u.name, u.input]), calls.map((c) => [c.name, c.args]));
            assert.notEqual(uses[0].id, uses[1].id);
            assert.equal(got.final.stop_reason, 'tool_use');

            // Both results in one user turn reach the provider, matched to their calls.
            resetAll();
            mocks[f].script = { text: 'Paris 18C, Tokyo 09:00.' };
            const res2 = await client.messages.create({
                model: GROUP[f], max_tokens: 300, tools: [WEATHER_TOOL, TIME_TOOL],
                messages: [
                    { role: 'user', content: 'Weather in Paris and time in Tokyo?' },
                    { role: 'assistant', content: got.final.content },
                    {
                        role: 'user', content: [
                            { type: 'tool_result', tool_use_id: uses[0].id, content: [{ type: 'text', text: '18C' }] },
                            { type: 'tool_result', tool_use_id: uses[1].id, content: '09:00' },
                        ],
                    },
                ],
            });
            const seen2 = neutralRequest(f, seenBy(f));
            assertItems(f, seen2.items, [
                { role: 'user', kind: 'text', text: 'Weather in Paris and time in Tokyo?' },
                { role: 'assistant', kind: 'call', id: uses[0].id, name: 'get_weather', args: { city: 'Paris' } },
                { role: 'assistant', kind: 'call', id: uses[1].id, name: 'get_time', args: { city: 'Tokyo' } },
                { role: 'user', kind: 'result', id: uses[0].id, name_of_result: 'get_weather', content: '18C' },
                { role: 'user', kind: 'result', id: uses[1].id, name_of_result: 'get_time', content: '09:00' },
            ], 'results turn');
            assert.equal(res2.content[0].text, 'Paris 18C, Tokyo 09:00.');
        });

        test('system blocks with cache_control', async () => {
            resetAll();
            mocks[f].script = { text: 'ok' };
            const params = {
                model: GROUP[f], max_tokens: 64,
                system: [
                    { type: 'text', text: 'You are a helpful assistant.' },
                    { type: 'text', text: 'Long reusable context block.', cache_control: { type: 'ephemeral' } },
                ],
                tools: [{ ...WEATHER_TOOL, cache_control: { type: 'ephemeral' } }],
                messages: [{
                    role: 'user',
                    content: [{ type: 'text', text: 'first question', cache_control: { type: 'ephemeral' } }],
                }],
            };
            const res = await client.messages.create(params);
            const rec = seenBy(f);
            if (f === 'anthropic') {
                assert.deepEqual(rec.body.system, params.system, 'system blocks with cache_control arrive unchanged');
                assert.deepEqual(rec.body.messages, params.messages);
                assert.deepEqual(rec.body.tools, params.tools);
            } else {
                assert.ok(!rec.rawBody.includes('cache_control'), `cache_control must not reach ${f}: ${rec.rawBody}`);
                const sys = neutralRequest(f, rec).system.join('\n');
                assert.ok(sys.includes('You are a helpful assistant.') && sys.includes('Long reusable context block.') &&
                    sys.indexOf('You are') < sys.indexOf('Long reusable'), `system prompt in order: ${JSON.stringify(sys)}`);
                assertItems(f, neutralRequest(f, rec).items, [{ role: 'user', kind: 'text', text: 'first question' }]);
            }
            assert.equal(res.content[0].text, 'ok');
        });

        test('errors from the provider arrive in Anthropic\'s shape (400, 429, 500)', async () => {
            for (const [status, type] of [[400, 'invalid_request_error'], [429, 'rate_limit_error'], [500, 'api_error']]) {
                resetAll();
                const message = `scripted ${status} from ${f}`;
                mocks[f].script = { error: { status, message } };
                const err = await rejects(client.messages.create({
                    model: GROUP[f], max_tokens: 10, messages: [{ role: 'user', content: 'fail please' }],
                }), `provider ${status}`);
                const body = assertAnthropicSdkError(err, status, type, `${f} provider ${status}`);
                if (status === 400) assert.match(body.message, new RegExp(message), 'the provider\'s message is kept');
                assert.ok(mocks[f].requests.length >= 1);
                assert.ok(!JSON.stringify(err.error).includes(KEYS[f]));
            }
        });

        // Claude Code (2.1.x, beta mid-conversation-system-2026-04-07) sends a
        // {role: "system"} entry inside `messages`, after the first user turn.
        test('mid-conversation system message (Claude Code) reaches the provider', async () => {
            resetAll();
            mocks[f].script = { text: 'noted' };
            const params = {
                model: GROUP[f], max_tokens: 50, system: 'Top-level system.',
                messages: [
                    { role: 'user', content: 'first' },
                    { role: 'system', content: 'Mid-conversation system note.' },
                    { role: 'user', content: 'second' },
                ],
            };
            const res = await client.beta.messages.create({ ...params, betas: ['mid-conversation-system-2026-04-07'] });
            const rec = seenBy(f);
            if (f === 'anthropic') {
                assert.deepEqual(rec.body.messages, params.messages, 'forwarded untouched');
            } else {
                const seen = neutralRequest(f, rec);
                const everything = [...seen.system, ...seen.items.map((i) => i.text ?? '')].join('\n');
                assert.ok(seen.system.join('\n').includes('Top-level system.'));
                assert.ok(everything.includes('Mid-conversation system note.'), `system note lost: ${rec.rawBody}`);
                const userTexts = seen.items.filter((i) => i.kind === 'text' && i.role === 'user').map((i) => i.text).join('\n');
                assert.ok(userTexts.indexOf('first') < userTexts.indexOf('second'), 'user turns kept in order');
            }
            assert.equal(res.content[0].text, 'noted');
        });

        test('count_tokens', async () => {
            resetAll();
            const params = {
                model: GROUP[f], system: 'Count me.',
                messages: [{ role: 'user', content: 'How many tokens is this sentence?' }],
            };
            const res = await client.messages.countTokens(params);
            assert.equal(typeof res.input_tokens, 'number');
            if (f === 'anthropic') {
                // The provider's own counter: the mock's answer, passed through.
                const m = mocks.anthropic;
                assert.equal(m.requests.length, 1);
                const rec = m.last();
                assert.equal(rec.path, '/v1/messages/count_tokens');
                assert.equal(rec.body.model, UPSTREAM.anthropic);
                assert.equal(rec.headers['x-api-key'], KEYS.anthropic);
                assert.equal(res.input_tokens, rec.response.body.input_tokens);
            } else {
                // No counter at OpenAI/Gemini: the gateway's estimate, no provider call.
                assert.equal(mocks[f].requests.length, 0, 'no provider call for an estimate');
                const text = 'Count me.How many tokens is this sentence?';
                assert.ok(res.input_tokens >= Math.ceil(text.length / 4) && res.input_tokens < 60,
                    `plausible estimate, got ${res.input_tokens}`);
            }
        });
    });
}

describe('anthropic client: gateway-level behaviour', () => {
    test('beta.messages.create (?beta=true): anthropic-beta passed to Anthropic, not to others', async () => {
        resetAll();
        mocks.anthropic.script = { text: 'beta ok' };
        const betas = ['prompt-caching-2024-07-31', 'interleaved-thinking-2025-05-14'];
        const res = await client.beta.messages.create({
            model: GROUP.anthropic, max_tokens: 10, betas, messages: [{ role: 'user', content: 'beta?' }],
        });
        const rec = seenBy('anthropic');
        assert.equal(rec.headers['anthropic-beta'], betas.join(','));
        assert.equal(res.content[0].text, 'beta ok');

        resetAll();
        mocks.openai.script = { text: 'beta ignored' };
        const res2 = await client.beta.messages.create({
            model: GROUP.openai, max_tokens: 10, betas, messages: [{ role: 'user', content: 'beta?' }],
        });
        const rec2 = seenBy('openai');
        assert.equal(rec2.headers['anthropic-beta'], undefined);
        assert.equal(res2.content[0].text, 'beta ignored');
    });

    test('azure, openrouter, hosted_vllm, ollama deployments: OpenAI format on their paths', async () => {
        const cases = [
            ['on-azure', mocks.openai, '/openai/deployments/az-deployment/chat/completions', (r) => r.headers['api-key'] === KEYS.openai && r.query['api-version'] === '2024-06-01'],
            ['on-openrouter', mocks.openai, '/api/v1/chat/completions', (r) => r.headers.authorization === `Bearer ${KEYS.openai}` && r.body.model === 'meta/llama-3'],
            ['on-vllm', keyless, '/v1/chat/completions', (r) => r.body.model === 'qwen-7b' && !r.headers.authorization],
            ['on-ollama', keyless, '/v1/chat/completions', (r) => r.body.model === 'llama3' && !r.headers.authorization],
        ];
        for (const [group, mock, path, check] of cases) {
            resetAll();
            mock.script = { text: `answer via ${group}`, usage: { prompt: 9, completion: 3 } };
            const res = await client.messages.create({
                model: group, max_tokens: 20, system: 'sys', messages: [{ role: 'user', content: 'hello' }],
            });
            assert.equal(mock.requests.length, 1, group);
            const rec = mock.last();
            assert.equal(rec.path, path, group);
            assert.ok(check(rec), `${group}: auth/model ${JSON.stringify({ headers: rec.headers, query: rec.query, model: rec.body.model })}`);
            assert.deepEqual(neutralRequest('openai', rec).system, ['sys']);
            assert.deepEqual(res.content, [{ type: 'text', text: `answer via ${group}` }]);
            assert.deepEqual([res.usage.input_tokens, res.usage.output_tokens], [9, 3]);
        }
    });

    test('wildcard group claude-wild-* passes the requested model name through', async () => {
        resetAll();
        mocks.anthropic.script = { text: 'wild' };
        const res = await client.messages.create({
            model: 'claude-wild-sonnet-9', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }],
        });
        assert.equal(mocks.anthropic.last().body.model, 'claude-wild-sonnet-9');
        assert.equal(res.content[0].text, 'wild');
    });

    test('unknown model: 4xx in Anthropic shape, no provider call', async () => {
        resetAll();
        const err = await rejects(client.messages.create({
            model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }],
        }));
        assert.ok([400, 404].includes(err.status), `status ${err.status}`);
        assertAnthropicSdkError(err, err.status, err.status === 404 ? 'not_found_error' : 'invalid_request_error', 'unknown model');
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0);
    });

    test('wrong key: 401 authentication_error in Anthropic shape (x-api-key and Bearer)', async () => {
        resetAll();
        const bad = anthropicClient(gw, { apiKey: 'sk-wrong-key-0000' });
        const err = await rejects(bad.messages.create({
            model: GROUP.openai, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }],
        }));
        assertAnthropicSdkError(err, 401, 'authentication_error', 'wrong x-api-key');
        const res = await request(`${gw.url}/v1/messages`, {
            body: { model: GROUP.openai, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
            headers: { authorization: 'Bearer sk-wrong-key-0000', 'anthropic-version': '2023-06-01' },
        });
        assert.equal(res.status, 401);
        assert.equal(res.json?.type, 'error');
        assert.equal(res.json?.error?.type, 'authentication_error');
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0);
    });

    test('provider error text with a key-like token is masked', async () => {
        resetAll();
        const leaked = 'sk-abcdefghijklmnopqrstuvwxyz123456';
        mocks.openai.script = { error: { status: 400, message: `Incorrect API key provided: ${leaked}` } };
        const err = await rejects(client.messages.create({
            model: GROUP.openai, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }],
        }));
        const body = assertAnthropicSdkError(err, 400, 'invalid_request_error', 'masked');
        assert.ok(!body.message.includes(leaked), body.message);
        assert.match(body.message, /3456/);
    });

    test('gateway logs have no provider keys', (t) => {
        for (const l of gw.errorLog().split('\n').filter((x) => /\[(error|crit)\]/.test(x)).slice(-8)) t.diagnostic(`error.log: ${l.slice(0, 300)}`);
        assert.deepEqual(gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]), []);
    });
});
