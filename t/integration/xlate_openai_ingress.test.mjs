// The official openai SDK against /v1/chat/completions, with the model group
// served by an Anthropic-format and a Gemini-format provider: requests are
// translated to the provider's format, answers and streams back to OpenAI's
// (chunks, finish_reason, the include_usage chunk, tool_calls deltas).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, makeSecret, request, collectChatStream, assertOpenAIError,
} from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import {
    KEY_ENV, formatDeployment, providerPath, neutralRequest, assertItems, rawSse, rejects,
    resetMocks, providerRequests,
} from '../lib/xlate.mjs';

const FORMATS = ['anthropic', 'gemini'];
const GROUP = { anthropic: 'claude-via-openai', gemini: 'gemini-via-openai' };
const UPSTREAM = { anthropic: 'upstream-claude', gemini: 'upstream-gemini' };
const KEYS = Object.fromEntries(FORMATS.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
const mocks = {};
let gw, client;

const TOOLS = [
    {
        type: 'function',
        function: {
            name: 'get_weather', description: 'Current weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
        },
    },
    {
        type: 'function',
        function: {
            name: 'get_time', description: 'Local time in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
    },
];

before(async () => {
    for (const f of FORMATS) mocks[f] = await startScriptedProvider({ apiKey: KEYS[f] });
    gw = await startGateway({
        config: {
            model_list: FORMATS.map((f) => formatDeployment(GROUP[f], f, mocks[f], UPSTREAM[f])),
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
        },
        env: Object.fromEntries(FORMATS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
    client = gw.client();
});

after(() => closeAll(gw, ...Object.values(mocks)));

function resetAll() {
    resetMocks(Object.values(mocks));
}

function seenBy(f, { stream = false } = {}) {
    const [rec] = providerRequests(mocks, f, UPSTREAM[f], 1, { stream });
    if (f === 'anthropic') {
        assert.equal(rec.headers['x-api-key'], KEYS.anthropic);
        assert.ok(rec.headers['anthropic-version']);
        assert.equal(rec.body.model, UPSTREAM.anthropic);
        assert.equal(rec.headers.authorization, undefined, 'no Bearer to Anthropic');
    } else {
        assert.equal(rec.headers['x-goog-api-key'], KEYS.gemini);
        if (stream) assert.equal(rec.query.alt, 'sse');
    }
    return rec;
}

/** Per tool-call index: {id, type, name, args (joined), deltas}. */
function assembleToolCalls(chunks) {
    const calls = [];
    for (const c of chunks) {
        for (const tc of c.choices?.[0]?.delta?.tool_calls || []) {
            let call = calls[tc.index];
            if (!call) {
                assert.ok(tc.id, `first delta of call ${tc.index} has an id: ${JSON.stringify(tc)}`);
                assert.equal(tc.type, 'function');
                assert.ok(tc.function?.name, 'first delta names the function');
                call = calls[tc.index] = { id: tc.id, name: tc.function.name, args: '', deltas: 0 };
            } else {
                assert.equal(tc.id, undefined, `later deltas of call ${tc.index} carry no new id`);
                assert.equal(tc.function?.name, undefined, 'later deltas carry no name');
            }
            call.args += tc.function?.arguments ?? '';
            call.deltas++;
        }
    }
    return calls;
}

for (const f of FORMATS) {
    describe(`openai client -> ${f} provider`, () => {
        test('chat: system + user, sampling, answer, usage with cache, finish_reason', async () => {
            resetAll();
            const usage = { prompt: 52, completion: 9, cacheRead: 20 };
            mocks[f].script = { text: `Hello from ${f}.`, usage };
            const res = await client.chat.completions.create({
                model: GROUP[f], max_tokens: 77, temperature: 0.5,
                messages: [
                    { role: 'system', content: 'Answer in one line.' },
                    { role: 'user', content: 'Greet me' },
                ],
            });
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.system, ['Answer in one line.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'Greet me' }]);
            assert.equal(seen.maxTokens, 77);
            assert.equal(seen.temperature, 0.5);
            assert.equal(seen.stream, false);

            assert.equal(res.object, 'chat.completion');
            assert.match(res.id, /^chatcmpl-/);
            assert.equal(res.model, GROUP[f]);
            assert.equal(res.choices.length, 1);
            assert.equal(res.choices[0].message.role, 'assistant');
            assert.equal(res.choices[0].message.content, `Hello from ${f}.`);
            assert.equal(res.choices[0].finish_reason, 'stop');
            assert.equal(res.usage.prompt_tokens, 52);
            assert.equal(res.usage.completion_tokens, 9);
            assert.equal(res.usage.total_tokens, 61);
            assert.equal(res.usage.prompt_tokens_details?.cached_tokens, 20);
        });

        test('chat: finish_reason length; max_tokens supplied when the client gave none', async () => {
            resetAll();
            mocks[f].script = { text: 'truncated answer', stop: 'length' };
            const res = await client.chat.completions.create({
                model: GROUP[f], messages: [{ role: 'user', content: 'long please' }],
            });
            const seen = neutralRequest(f, seenBy(f));
            if (f === 'anthropic') assert.ok(seen.maxTokens > 0, 'Anthropic requires max_tokens');
            assert.equal(res.choices[0].finish_reason, 'length');
        });

        test('stream: role first, deltas, finish_reason, no usage chunk unless asked', async () => {
            resetAll();
            const text = 'Alpha beta gamma delta epsilon.';
            mocks[f].script = { text, usage: { prompt: 14, completion: 5 } };
            const got = await collectChatStream(await client.chat.completions.create({
                model: GROUP[f], stream: true, messages: [{ role: 'user', content: 'letters' }],
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            assert.equal(neutralRequest(f, seenBy(f, { stream: true })).stream, true);
            assert.equal(got.chunks[0].choices[0].delta.role, 'assistant');
            for (const c of got.chunks) {
                assert.equal(c.object, 'chat.completion.chunk');
                assert.equal(c.model, GROUP[f]);
            }
            assert.ok(got.deltas.length >= 3, `several deltas: ${JSON.stringify(got.deltas)}`);
            assert.equal(got.deltas.join(''), text);
            assert.equal(got.finishReason, 'stop');
            assert.equal(got.usage, null, 'no usage chunk without include_usage');
            assert.ok(got.chunks.every((c) => c.choices.length === 1));
        });

        test('stream with include_usage: last chunk has choices [] and the provider\'s usage', async () => {
            resetAll();
            mocks[f].script = { text: 'usage counted here', usage: { prompt: 33, completion: 4, cacheRead: 10 } };
            const got = await collectChatStream(await client.chat.completions.create({
                model: GROUP[f], stream: true, stream_options: { include_usage: true },
                messages: [{ role: 'user', content: 'usage' }],
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            seenBy(f, { stream: true });
            const last = got.chunks[got.chunks.length - 1];
            assert.deepEqual(last.choices, []);
            assert.equal(got.usage.prompt_tokens, 33);
            assert.equal(got.usage.completion_tokens, 4);
            assert.equal(got.usage.total_tokens, 37);
            assert.equal(got.usage.prompt_tokens_details?.cached_tokens, 10);
            assert.equal(got.deltas.join(''), 'usage counted here');
        });

        test('raw stream ends with data: [DONE]', async () => {
            resetAll();
            mocks[f].script = { text: 'done marker test' };
            const res = await rawSse(`${gw.url}/v1/chat/completions`, {
                model: GROUP[f], stream: true, messages: [{ role: 'user', content: 'x' }],
            }, { authorization: `Bearer ${gw.masterKey}` });
            assert.equal(res.status, 200, res.text);
            assert.match(String(res.headers['content-type']), /text\/event-stream/);
            assert.equal(res.events[res.events.length - 1].data, '[DONE]');
            for (const e of res.events.slice(0, -1)) assert.ok(e.json, `JSON data: ${e.data}`);
        });

        test('tool calls (non-streaming) and the tool results going back', async () => {
            resetAll();
            const calls = [
                { id: 'toolu_a1', name: 'get_weather', args: { city: 'Oslo' } },
                { id: 'toolu_a2', name: 'get_time', args: { city: 'Lima' } },
            ];
            mocks[f].script = { toolCalls: calls };
            const first = {
                model: GROUP[f], tools: TOOLS, tool_choice: 'auto',
                messages: [{ role: 'user', content: 'Weather in Oslo, time in Lima' }],
            };
            const res = await client.chat.completions.create(first);
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.tools, TOOLS.map((t) => ({
                name: t.function.name, description: t.function.description, schema: t.function.parameters,
            })));
            const msg = res.choices[0].message;
            assert.equal(res.choices[0].finish_reason, 'tool_calls');
            assert.equal(msg.tool_calls.length, 2);
            msg.tool_calls.forEach((tc, i) => {
                assert.equal(tc.type, 'function');
                assert.equal(tc.function.name, calls[i].name);
                assert.deepEqual(JSON.parse(tc.function.arguments), calls[i].args);
                if (f === 'anthropic') assert.equal(tc.id, calls[i].id);
                else assert.ok(tc.id);
            });
            assert.notEqual(msg.tool_calls[0].id, msg.tool_calls[1].id);

            resetAll();
            mocks[f].script = { text: 'Oslo 3C; Lima 07:10.' };
            const res2 = await client.chat.completions.create({
                ...first,
                messages: [
                    ...first.messages,
                    { role: 'assistant', content: null, tool_calls: msg.tool_calls },
                    { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '3C' },
                    { role: 'tool', tool_call_id: msg.tool_calls[1].id, content: '07:10' },
                ],
            });
            assertItems(f, neutralRequest(f, seenBy(f)).items, [
                { role: 'user', kind: 'text', text: 'Weather in Oslo, time in Lima' },
                { role: 'assistant', kind: 'call', id: msg.tool_calls[0].id, name: 'get_weather', args: { city: 'Oslo' } },
                { role: 'assistant', kind: 'call', id: msg.tool_calls[1].id, name: 'get_time', args: { city: 'Lima' } },
                { role: 'user', kind: 'result', id: msg.tool_calls[0].id, name_of_result: 'get_weather', content: '3C' },
                { role: 'user', kind: 'result', id: msg.tool_calls[1].id, name_of_result: 'get_time', content: '07:10' },
            ], 'tool results');
            assert.equal(res2.choices[0].message.content, 'Oslo 3C; Lima 07:10.');
            assert.equal(res2.choices[0].finish_reason, 'stop');
        });

        test('streaming tool calls: index/id/name first, then argument fragments; parallel', async () => {
            resetAll();
            const calls = [
                { id: 'toolu_s1', name: 'get_weather', args: { city: 'Reykjavik', unit: 'celsius' } },
                { id: 'toolu_s2', name: 'get_time', args: { city: 'Auckland' } },
            ];
            mocks[f].script = { text: 'Checking both.', toolCalls: calls, usage: { prompt: 60, completion: 25 } };
            const got = await collectChatStream(await client.chat.completions.create({
                model: GROUP[f], stream: true, stream_options: { include_usage: true }, tools: TOOLS,
                messages: [{ role: 'user', content: 'Weather in Reykjavik and time in Auckland' }],
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            seenBy(f, { stream: true });
            assert.equal(got.deltas.join(''), 'Checking both.');
            const assembled = assembleToolCalls(got.chunks);
            assert.equal(assembled.length, 2);
            assembled.forEach((c, i) => {
                assert.equal(c.name, calls[i].name);
                assert.deepEqual(JSON.parse(c.args), calls[i].args);
                if (f === 'anthropic') {
                    assert.equal(c.id, calls[i].id);
                    assert.ok(c.deltas >= 2, 'Anthropic input_json_delta fragments arrive as separate deltas');
                }
            });
            assert.notEqual(assembled[0].id, assembled[1].id);
            assert.equal(got.finishReason, 'tool_calls');
            assert.equal(got.usage.prompt_tokens, 60);
            assert.equal(got.usage.completion_tokens, 25);
        });

        test('errors in OpenAI\'s shape: provider 400 / 429 / 500', async () => {
            for (const [status, type] of [[400, 'invalid_request_error'], [429, 'rate_limit_error'], [500, null]]) {
                resetAll();
                const message = `scripted ${status} from ${f}`;
                mocks[f].script = { error: { status, message } };
                const err = await rejects(client.chat.completions.create({
                    model: GROUP[f], messages: [{ role: 'user', content: 'fail' }],
                }));
                assert.equal(err.status, status, err.message);
                assert.equal(typeof err.error?.message, 'string');
                if (type) assert.equal(err.error.type, type, JSON.stringify(err.error));
                if (status === 400) assert.match(err.error.message, new RegExp(message));

                const res = await request(`${gw.url}/v1/chat/completions`, {
                    headers: { authorization: `Bearer ${gw.masterKey}` },
                    body: { model: GROUP[f], messages: [{ role: 'user', content: 'fail' }] },
                });
                assertOpenAIError(res, status, `${f} provider ${status}`);
                assert.ok(!res.text.includes(KEYS[f]));
            }
        });
    });
}

describe('openai client: gateway errors', () => {
    test('wrong key -> 401 and unknown model -> 4xx, in OpenAI shape, nothing sent upstream', async () => {
        resetAll();
        let res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: 'Bearer sk-wrong-0000' },
            body: { model: GROUP.anthropic, messages: [{ role: 'user', content: 'x' }] },
        });
        assertOpenAIError(res, 401, 'wrong key');
        res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'nope-model', messages: [{ role: 'user', content: 'x' }] },
        });
        assert.ok([400, 404].includes(res.status), `status ${res.status}`);
        assertOpenAIError(res, res.status, 'unknown model');
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0);
    });

    test('gateway logs have no provider keys', (t) => {
        for (const l of gw.errorLog().split('\n').filter((x) => /\[(error|crit)\]/.test(x)).slice(-8)) t.diagnostic(`error.log: ${l.slice(0, 300)}`);
        assert.deepEqual(gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]), []);
    });
});
