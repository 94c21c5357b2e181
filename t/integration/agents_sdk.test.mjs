// The OpenAI Agents SDK (@openai/agents) against the gateway's /v1/responses:
// an Agent whose model is a gateway model group, run by a Runner whose
// OpenAIProvider uses an `openai` client pointed at the gateway (Responses
// API).  The group is served by an OpenAI chat-completions provider and by
// an Anthropic provider, both reached through translation.  Answers are
// scripted on the mock, so what the agent returns is checked against what
// the provider said, and the provider's view of the request against what
// the agent sent.
//
// Offline: tracing is disabled (setTracingDisabled and the env variable, so
// no exporter posts to api.openai.com), the client gets the gateway's URL
// and master key explicitly, and every fetch the SDKs make goes through a
// recorder that fails the suite if one leaves the gateway.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { z } from 'zod';
import { closeAll } from '../lib/index.mjs';
import {
    startFormatGateways, providerPath, neutralRequest, assertItems, rejects, resetMocks, providerRequests,
} from '../lib/xlate.mjs';

process.env.OPENAI_AGENTS_DISABLE_TRACING = '1';
const { Agent, Runner, OpenAIProvider, tool, toolNamespace, setTracingDisabled } = await import('@openai/agents');
setTracingDisabled(true);

const FORMATS = ['openai', 'anthropic'];
const GROUP = { openai: 'gpt-agent', anthropic: 'claude-agent' };
const UPSTREAM = { openai: 'upstream-gpt', anthropic: 'upstream-claude' };
let gw, mocks, runner;
const fetched = [];
const sent = [];    // the JSON bodies the SDK sent to the gateway
const answered = [];    // the gateway's response headers

before(async () => {
    ({ gw, mocks } = await startFormatGateways(FORMATS, GROUP, UPSTREAM));
    // Every request the SDKs make is recorded: all must go to the gateway.
    const realFetch = globalThis.fetch;
    const recording = async (input, init) => {
        fetched.push(typeof input === 'string' ? input : input.url ?? String(input));
        if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
        const res = await realFetch(input, init);
        answered.push(res.headers);
        return res;
    };
    const client = new OpenAI({
        baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0, timeout: 30000, fetch: recording,
    });
    runner = new Runner({
        modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }),
        tracingDisabled: true,
    });
});

after(async () => {
    await closeAll(gw, ...Object.values(mocks));
    const away = fetched.filter((u) => !u.startsWith(`${gw.url}/`));
    assert.deepEqual(away, [], 'the SDKs reached something other than the gateway');
});

function resetAll() {
    resetMocks(Object.values(mocks));
}

/** The provider requests of `f`, each asserted to be on its chat path. */
function seenBy(f, n, { stream = false } = {}) {
    return providerRequests(mocks, f, UPSTREAM[f], n, { stream });
}

const weatherCalls = [];
const getWeather = tool({
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
        weatherCalls.push(city);
        return `{"city":"${city}","sky":"sunny","celsius":21}`;
    },
});

const lookups = [];
const lookupCustomer = tool({
    name: 'lookup_customer',
    description: 'A customer record by id',
    parameters: z.object({ id: z.string() }),
    execute: async ({ id }) => {
        lookups.push(id);
        return `{"id":"${id}","name":"Ada Lovelace","plan":"gold"}`;
    },
});
const crmTools = toolNamespace({ name: 'crm', description: 'Customer records', tools: [lookupCustomer] });

/**
 * A streaming run drained: {events, raw (the Responses events the model
 * saw), error (the run's, whether it threw or ended with stream.error),
 * stream}.
 */
async function streamRun(agent, input) {
    const out = { events: [], raw: [], error: null, stream: null };
    try {
        out.stream = await runner.run(agent, input, { stream: true });
        for await (const ev of out.stream) {
            out.events.push(ev);
            if (ev.type === 'raw_model_stream_event' && ev.data.type === 'model') out.raw.push(ev.data.event);
        }
        await out.stream.completed;
        out.error = out.stream.error;
    } catch (e) {
        out.error = e;
    }
    return out;
}

/** The scripted tool loop: call get_weather first, answer once the result is back. */
function toolLoop(f, callId, city, answer) {
    return (record) => {
        const items = neutralRequest(f, record).items;
        const result = items.find((i) => i.kind === 'result');
        if (result) return { text: answer, usage: { prompt: 60, completion: 8 } };
        return { toolCalls: [{ id: callId, name: 'get_weather', args: { city } }], usage: { prompt: 50, completion: 5 } };
    };
}

/** Reset, script the get_weather loop on `f`'s mock; returns the call id. */
function weatherLoop(f, tag, city, answer) {
    resetAll();
    weatherCalls.length = 0;
    const callId = f === 'openai' ? `call_agent_${tag}` : `toolu_agent_${tag}`;
    mocks[f].script = toolLoop(f, callId, city, answer);
    return callId;
}

function agentOf(f, extra = {}) {
    return new Agent({ name: `agent-${f}`, instructions: 'You are a terse assistant.', model: GROUP[f], ...extra });
}

for (const f of FORMATS) {
    describe(`agents sdk -> gateway /v1/responses -> ${f} provider`, () => {
        test('plain run: finalOutput is the provider\'s text; instructions and input reach it', async () => {
            resetAll();
            const text = `Hello from the ${f} provider, via an agent.`;
            mocks[f].script = { text, usage: { prompt: 30, completion: 9 } };
            const result = await runner.run(agentOf(f), 'Say hello');

            const [rec] = seenBy(f, 1);
            const seen = neutralRequest(f, rec);
            assert.deepEqual(seen.system, ['You are a terse assistant.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'Say hello' }], 'request');
            assert.equal(seen.stream, false);
            assert.deepEqual(seen.tools, []);

            assert.equal(result.finalOutput, text);
            assert.equal(result.rawResponses.length, 1);
            const raw = result.rawResponses[0];
            assert.match(raw.responseId, /^resp_/);
            assert.equal(raw.usage.inputTokens, 30);
            assert.equal(raw.usage.outputTokens, 9);
        });

        test('streaming run: text deltas joined equal the provider\'s text; the stream request reaches it', async () => {
            resetAll();
            const text = `Streaming an agent answer through ${f}, piece by piece.`;
            mocks[f].script = { text, usage: { prompt: 25, completion: 11 } };
            const { events, error, stream } = await streamRun(agentOf(f), 'Stream please');
            assert.equal(error, null, `stream error: ${error}`);
            const joined = events.filter((ev) => ev.type === 'raw_model_stream_event' && ev.data.type === 'output_text_delta')
                .map((ev) => ev.data.delta).join('');
            const kinds = new Set(events.map((ev) => ev.type));

            const [rec] = seenBy(f, 1, { stream: true });
            assert.equal(neutralRequest(f, rec).stream, true);
            assert.equal(rec.response.stream, true);

            assert.equal(joined, text);
            assert.equal(stream.finalOutput, text);
            assert.ok(kinds.has('run_item_stream_event'), [...kinds].join(','));
            const raw = stream.rawResponses.at(-1);
            assert.match(raw.responseId, /^resp_/);
            assert.equal(raw.usage.inputTokens, 25);
            assert.equal(raw.usage.outputTokens, 11);
        });

        test('function tool round trip: the agent calls get_weather, sends the result, gets the answer', async () => {
            const answer = 'It is sunny and 21 C in Lyon.';
            const callId = weatherLoop(f, 'w1', 'Lyon', answer);
            const result = await runner.run(agentOf(f, { tools: [getWeather] }), 'Weather in Lyon?');

            assert.deepEqual(weatherCalls, ['Lyon'], 'the tool ran once with the model\'s argument');
            const [first, second] = seenBy(f, 2);
            const t1 = neutralRequest(f, first);
            assert.deepEqual(t1.tools.map((t) => t.name), ['get_weather']);
            assert.equal(t1.tools[0].description, 'Current weather for a city');
            assert.deepEqual(t1.tools[0].schema.properties, { city: { type: 'string' } });
            assert.deepEqual(t1.tools[0].schema.required, ['city']);

            const t2 = neutralRequest(f, second);
            assertItems(f, t2.items, [
                { role: 'user', kind: 'text', text: 'Weather in Lyon?' },
                { role: 'assistant', kind: 'call', id: callId, name: 'get_weather', args: { city: 'Lyon' } },
                { role: 'user', kind: 'result', id: callId, content: '{"city":"Lyon","sky":"sunny","celsius":21}', name_of_result: 'get_weather' },
            ], 'second turn');

            assert.equal(result.finalOutput, answer);
            const types = result.newItems.map((i) => i.type);
            assert.deepEqual(types, ['tool_call_item', 'tool_call_output_item', 'message_output_item'], types.join(','));
            assert.equal(result.newItems[0].rawItem.callId, callId);
            assert.equal(result.newItems[0].rawItem.name, 'get_weather');
            assert.equal(result.rawResponses.length, 2);
        });

        test('streaming tool round trip: the call streams, the tool runs, the answer streams', async () => {
            const answer = 'Oslo is sunny today.';
            const callId = weatherLoop(f, 's1', 'Oslo', answer);
            const { events, error, stream } = await streamRun(agentOf(f, { tools: [getWeather] }), 'Weather in Oslo?');
            assert.equal(error, null, `stream error: ${error}`);
            const runItems = events.filter((ev) => ev.type === 'run_item_stream_event').map((ev) => ev.name);

            assert.deepEqual(weatherCalls, ['Oslo']);
            const [, second] = seenBy(f, 2, { stream: true });
            const result = neutralRequest(f, second).items.find((i) => i.kind === 'result');
            assert.equal(result.id, callId);
            assert.match(result.content, /"city":"Oslo"/);
            assert.equal(stream.finalOutput, answer);
            assert.ok(runItems.includes('tool_called') && runItems.includes('tool_output'), runItems.join(','));
        });

        test('multi-turn: the first run\'s history (assistant message items with ids) goes back as the next input', async () => {
            resetAll();
            mocks[f].script = { text: 'Paris is the capital of France.' };
            const agent = agentOf(f);
            const first = await runner.run(agent, 'Capital of France?');
            mocks[f].script = { text: 'About 2.1 million people.' };
            const second = await runner.run(agent, first.history.concat({ role: 'user', content: 'Its population?' }));

            const [, rec] = seenBy(f, 2);
            assertItems(f, neutralRequest(f, rec).items, [
                { role: 'user', kind: 'text', text: 'Capital of France?' },
                { role: 'assistant', kind: 'text', text: 'Paris is the capital of France.' },
                { role: 'user', kind: 'text', text: 'Its population?' },
            ], 'second run');
            assert.equal(second.finalOutput, 'About 2.1 million people.');
        });

        test('a namespaced tool (toolNamespace): called as crm__lookup_customer, run by the SDK as crm.lookup_customer', async () => {
            resetAll();
            lookups.length = 0;
            const callId = f === 'openai' ? 'call_crm_1' : 'toolu_crm_1';
            mocks[f].script = (record) => {
                const result = neutralRequest(f, record).items.find((i) => i.kind === 'result');
                if (result) return { text: `Customer c42 is ${JSON.parse(result.content).name}.` };
                return { toolCalls: [{ id: callId, name: 'crm__lookup_customer', args: { id: 'c42' } }] };
            };
            const result = await runner.run(agentOf(f, { tools: [...crmTools] }), 'Who is customer c42?');

            assert.deepEqual(lookups, ['c42'], 'the SDK ran the namespaced tool');
            const [first, second] = seenBy(f, 2);
            const t1 = neutralRequest(f, first);
            assert.deepEqual(t1.tools.map((t) => t.name), ['crm__lookup_customer']);
            assert.equal(t1.tools[0].description, 'A customer record by id');
            const items = neutralRequest(f, second).items;
            const call = items.find((i) => i.kind === 'call');
            assert.equal(call.name, 'crm__lookup_customer');
            assert.equal(call.id, callId);
            assert.equal(items.find((i) => i.kind === 'result').id, callId);
            assert.equal(result.finalOutput, 'Customer c42 is Ada Lovelace.');
            const raw = result.newItems[0].rawItem;
            assert.equal(raw.name, 'lookup_customer');
            assert.equal(raw.namespace, 'crm');
        });

        test('parallel tool calls in one turn: both run, both results go back in one turn', async () => {
            resetAll();
            weatherCalls.length = 0;
            const ids = f === 'openai' ? ['call_p1', 'call_p2'] : ['toolu_p1', 'toolu_p2'];
            mocks[f].script = (record) => {
                const results = neutralRequest(f, record).items.filter((i) => i.kind === 'result');
                if (results.length) return { text: `Got ${results.length} reports.` };
                return { toolCalls: [
                    { id: ids[0], name: 'get_weather', args: { city: 'Paris' } },
                    { id: ids[1], name: 'get_weather', args: { city: 'Oslo' } },
                ] };
            };
            const result = await runner.run(agentOf(f, { tools: [getWeather] }), 'Weather in Paris and Oslo?');
            assert.deepEqual(weatherCalls.slice().sort(), ['Oslo', 'Paris']);
            const [, second] = seenBy(f, 2);
            const items = neutralRequest(f, second).items;
            assert.deepEqual(items.filter((i) => i.kind === 'call').map((i) => [i.id, i.args.city]),
                [[ids[0], 'Paris'], [ids[1], 'Oslo']]);
            assert.deepEqual(items.filter((i) => i.kind === 'result').map((i) => i.id), ids);
            if (f === 'anthropic') {
                // Anthropic wants every result of a turn in the one user message after it.
                const msgs = second.body.messages;
                assert.equal(msgs.length, 3, JSON.stringify(msgs.map((m) => m.role)));
                assert.deepEqual(msgs[2].content.map((b) => b.type), ['tool_result', 'tool_result']);
            }
            assert.equal(result.finalOutput, 'Got 2 reports.');
        });

        test('handoff: the transfer tool call switches agents; the next request carries the new agent\'s instructions', async () => {
            resetAll();
            const billing = new Agent({ name: 'Billing agent', instructions: 'You handle invoices.', model: GROUP[f] });
            const triage = agentOf(f, { handoffs: [billing] });
            const callId = f === 'openai' ? 'call_h1' : 'toolu_h1';
            mocks[f].script = (record) => {
                const seen = neutralRequest(f, record);
                if (seen.system.includes('You handle invoices.')) return { text: 'Your invoice is paid.' };
                const transfer = seen.tools.find((t) => /^transfer_to_/.test(t.name));
                return { toolCalls: [{ id: callId, name: transfer.name, args: {} }] };
            };
            const result = await runner.run(triage, 'Is my invoice paid?');
            const [first, second] = seenBy(f, 2);
            assert.deepEqual(neutralRequest(f, first).tools.map((t) => t.name), ['transfer_to_Billing_agent']);
            const s2 = neutralRequest(f, second);
            assert.ok(s2.system.some((x) => x.includes('You handle invoices.')), JSON.stringify(s2.system));
            assert.equal(s2.items.find((i) => i.kind === 'result')?.id, callId);
            assert.equal(result.finalOutput, 'Your invoice is paid.');
            assert.equal(result.lastAgent.name, 'Billing agent');
        });

        test('modelSettings reach the provider: temperature, top_p, max tokens, tool_choice required, parallel calls off, reasoning', async () => {
            resetAll();
            weatherCalls.length = 0;
            mocks[f].script = { text: 'Set.' };
            const agent = agentOf(f, {
                tools: [getWeather],
                resetToolChoice: true,
                modelSettings: {
                    temperature: 0.3, topP: 0.9, maxTokens: 321, toolChoice: 'required',
                    parallelToolCalls: false, truncation: 'auto', store: false,
                    reasoning: { effort: 'low' },
                },
            });
            const result = await runner.run(agent, 'Settings?', { maxTurns: 1 });
            const [rec] = seenBy(f, 1);
            const body = rec.body;
            const seen = neutralRequest(f, rec);
            assert.equal(seen.temperature, 0.3);
            assert.equal(body.top_p, 0.9);
            if (f === 'openai') {
                assert.equal(seen.maxTokens, 321);
                assert.equal(body.tool_choice, 'required');
                assert.equal(body.parallel_tool_calls, false);
                assert.equal(body.reasoning_effort, 'low');
            } else {
                // Anthropic refuses thinking when tool_choice forces a tool:
                // the effort is the hint that goes, and says so
                assert.equal(body.thinking, undefined);
                assert.equal(body.max_tokens, 321);
                assert.equal(body.tool_choice.type, 'any');
                assert.equal(body.tool_choice.disable_parallel_tool_use, true);
                assert.equal(answered.at(-1).get('x-llm-dropped-params'), 'thinking with a forced tool_choice');
            }
            assert.equal(body.store, undefined, 'store is bookkeeping, not sent');
            assert.equal(body.truncation, undefined);
            assert.equal(result.finalOutput, 'Set.');
        });

        test('reasoning effort with a free tool choice: a thinking budget (Anthropic) or reasoning_effort (OpenAI)', async () => {
            resetAll();
            mocks[f].script = { text: 'Thought about it.' };
            const agent = agentOf(f, { tools: [getWeather], modelSettings: { reasoning: { effort: 'medium' }, maxTokens: 500 } });
            const result = await runner.run(agent, 'Think first');
            const [{ body }] = seenBy(f, 1);
            if (f === 'openai') assert.equal(body.reasoning_effort, 'medium');
            else {
                assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 2048 });
                assert.equal(body.max_tokens, 500 + 2048, 'the answer\'s 500 tokens on top of the budget');
            }
            assert.equal(result.finalOutput, 'Thought about it.');
        });

        test('provider error: the run rejects with the provider\'s status and message', async () => {
            resetAll();
            mocks[f].script = { error: { status: 400, message: `the ${f} provider refuses this prompt` } };
            const err = await rejects(runner.run(agentOf(f), 'Refuse me'), 'agent run');
            seenBy(f, 1);
            assert.equal(err.status, 400, `${err.constructor.name}: ${err.message}`);
            assert.match(err.message, new RegExp(`the ${f} provider refuses this prompt`));
            assert.equal(err.error?.type, 'invalid_request_error', JSON.stringify(err.error));
        });

        test('provider 429 on a streaming run: the stream ends in an error, not a hang', async () => {
            resetAll();
            mocks[f].script = { error: { status: 429, message: `the ${f} provider is rate limited` } };
            const { error: err } = await streamRun(agentOf(f), 'Rate limit me');
            seenBy(f, 1, { stream: true });
            assert.ok(err, 'the streaming run failed');
            assert.equal(err.status, 429, `${err.constructor?.name}: ${err.message}`);
            assert.match(err.message, new RegExp(`rate limit.*"${GROUP[f]}"`));
            assert.equal(err.error?.type, 'rate_limit_error', JSON.stringify(err.error));
        });

        test('a fault after the first byte: the run fails on response.failed carrying the provider\'s message', async () => {
            resetAll();
            mocks[f].script = {
                text: 'this answer will not finish because the provider fails midway',
                streamError: { afterChunks: 2, status: 500, message: 'upstream broke mid-answer' },
            };
            const { raw, error: err } = await streamRun(agentOf(f), 'Fail midway');
            seenBy(f, 1, { stream: true });
            assert.ok(err, 'the streaming run failed');
            // The SDK names the terminal event; the message is in the event.
            assert.match(String(err.message), /response\.failed/, String(err));
            assert.equal(raw[0]?.type, 'response.created', raw.map((e) => e.type).join(','));
            const failed = raw.at(-1);
            assert.equal(failed.type, 'response.failed', raw.map((e) => e.type).join(','));
            assert.equal(failed.response.status, 'failed');
            assert.match(failed.response.error.message, /upstream broke mid-answer/, JSON.stringify(failed.response.error));
            assert.ok(raw.some((e) => e.type === 'response.output_text.delta'), 'text arrived before the fault');
        });
    });
}

describe('structured output (outputType)', () => {
    const Weather = z.object({ city: z.string(), celsius: z.number() });

    test('to the OpenAI provider: response_format json_schema; finalOutput is the parsed object', async () => {
        resetAll();
        mocks.openai.script = { text: '{"city":"Lyon","celsius":21}' };
        const result = await runner.run(agentOf('openai', { outputType: Weather }), 'Weather in Lyon as JSON');
        const [rec] = seenBy('openai', 1);
        const format = sent.at(-1).text.format;
        assert.equal(format.type, 'json_schema', JSON.stringify(sent.at(-1).text));
        const rf = rec.body.response_format;
        assert.equal(rf?.type, 'json_schema', JSON.stringify(rec.body));
        assert.equal(rf.json_schema.name, format.name);
        assert.equal(rf.json_schema.strict, true);
        assert.deepEqual(rf.json_schema.schema, format.schema);
        assert.deepEqual(rf.json_schema.schema.required, ['city', 'celsius']);
        assert.deepEqual(result.finalOutput, { city: 'Lyon', celsius: 21 });
    });

    test('to the Anthropic provider: refused with a 400 naming response_format, nothing sent', async () => {
        resetAll();
        mocks.anthropic.script = { text: '{}' };
        const err = await rejects(runner.run(agentOf('anthropic', { outputType: Weather }), 'Weather as JSON'), 'agent run');
        assert.equal(err.status, 400, String(err));
        assert.match(err.message, /response_format/);
        assert.equal(mocks.anthropic.requests.length, 0);
    });
});
