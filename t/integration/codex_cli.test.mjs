// OpenAI Codex CLI end to end: the real CLI (`codex exec`, @openai/codex)
// with a config.toml provider entry pointing at the gateway (wire_api =
// "responses", the only wire Codex 0.171 has: "chat" is refused by its
// config loader), the gateway key in env_key.  A wildcard "*" model group
// sends the model Codex asks for to a mock provider speaking Anthropic's,
// Gemini's or OpenAI chat-completions format (a chat-only server: vLLM,
// Ollama, ...), so every Codex request goes through the Responses ->
// provider translation and back.  The mock answers Codex's real requests
// (streaming, ~12 tools including the multi_agent_v1 namespace, developer
// messages, client_metadata): fixed text for a plain prompt, an
// exec_command call -> output -> answer loop, and a call to a namespace
// member.  The CLI is kept offline (lib/codex.mjs); the requests it sent
// are printed as test diagnostics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeSecret, makeTempDir, waitFor } from '../lib/index.mjs';
import { neutralRequest } from '../lib/xlate.mjs';
import { toolResults, hasTools, cliGateway, diagnoseRun } from '../lib/claude.mjs';
import { runCodex, codexInstalled } from '../lib/codex.mjs';

const SKIP = codexInstalled() ? false : 'node_modules/.bin/codex is not installed (npm install in t/)';
const FIXED = 'Hello from the mock provider behind ngx_llm, to Codex!';
const NOTE = `note-${makeSecret('').slice(0, 12)}`;
const MODEL = 'codex-test-model';
const USAGE = { prompt: 1500, completion: 20 };

/** Responses requests the gateway logged (access log lines). */
function responsesLines(gw) {
    return gw.accessLog().split('\n').filter((l) => l.includes('/v1/responses'));
}

/**
 * The /v1/responses lines logged after the first `from`, once there are
 * `n`: nginx writes a line in the log phase, which may come just after
 * the CLI has read its answer and exited.
 */
async function loggedSince(gw, from, n) {
    await waitFor(() => responsesLines(gw).length - from >= n, { timeoutMs: 10000, what: `${n} access log line(s)` });
    return responsesLines(gw).slice(from);
}

const diagnose = (t, r, mock, gw) => diagnoseRun(t, 'codex', r, mock, gw, (l) => l.includes('/v1/responses'));

/** The call id a mock gives (Gemini has none). */
function callIdFor(format, tag) {
    return { anthropic: `toolu_codex_${tag}`, openai: `call_codex_${tag}` }[format];
}

function assertRan(r) {
    assert.equal(r.timedOut, false, 'codex timed out');
    assert.equal(r.code, 0, `codex failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-2000)}`);
}

for (const format of ['anthropic', 'gemini', 'openai']) {
    describe(`codex exec -> gateway /v1/responses "*" -> ${format} provider`, { skip: SKIP }, () => {
        const cli = cliGateway(format, { before, after });

        const codex = (opts) => runCodex({ baseUrl: cli.gw.url, key: cli.gw.masterKey, model: MODEL, timeoutMs: 150000, ...opts });

        test('codex exec "Say hello" prints the provider\'s text', { timeout: 180000 }, async (t) => {
            const { mock, gw, key } = cli;
            mock.reset();
            mock.script = { text: FIXED, usage: USAGE };
            const logged = responsesLines(gw).length;
            const r = await codex({ prompt: 'Say hello', json: true });
            diagnose(t, r, mock, gw);
            assertRan(r);
            assert.equal(r.lastMessage.trim(), FIXED);
            const said = r.events.filter((e) => e.type === 'item.completed' && e.item.type === 'agent_message');
            assert.deepEqual(said.map((e) => e.item.text), [FIXED]);
            // Codex reports the usage the gateway translated.
            const done = r.events.find((e) => e.type === 'turn.completed');
            assert.equal(done?.usage.input_tokens, USAGE.prompt, JSON.stringify(done));
            assert.equal(done.usage.output_tokens, USAGE.completion);

            // One Responses request from Codex, one provider request.
            assert.equal((await loggedSince(gw, logged, 1)).length, 1, gw.accessLog());
            assert.equal(mock.requests.length, 1);
            const q = mock.requests[0];
            if (format === 'gemini') assert.equal(q.model, MODEL);
            else assert.equal(q.body.model, MODEL);
            const seen = neutralRequest(format, q);
            assert.equal(seen.stream, true, 'Codex streams');
            // Codex's developer messages are the system prompt; the prompt is the last user text.
            assert.ok(seen.system.some((s) => /Codex/.test(s)), `system: ${seen.system.map((s) => s.slice(0, 60))}`);
            const texts = seen.items.filter((i) => i.kind === 'text');
            // (an OpenAI provider gets Codex's two user items as one message)
            assert.match(texts.at(-1).text, /(^|>)Say hello$/);
            assert.ok(texts.every((i) => i.role === 'user'));
            // Its function tools, and the members of its multi_agent_v1 namespace tool, flattened.
            const names = seen.tools.map((x) => x.name);
            assert.ok(names.includes('exec_command'), names.join(','));
            assert.ok(names.includes('multi_agent_v1__spawn_agent'), names.join(','));
            assert.ok(!names.some((n) => /web_search/.test(n)), names.join(','));
            const exec = seen.tools.find((x) => x.name === 'exec_command');
            assert.equal(exec.schema.properties.cmd.type, 'string');
            assert.deepEqual(gw.leakedSecrets([key, gw.masterKey]), []);
            assert.ok(!r.stdout.includes(gw.masterKey) && !r.stderr.includes(key));
        });

        test('tool loop: exec_command call -> Codex runs it -> output back in the provider\'s format -> answer', { timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            const cwd = makeTempDir('ngx-llm-codex-cwd');
            fs.writeFileSync(path.join(cwd, 'note.txt'), `${NOTE}\n`);
            const callId = callIdFor(format, 'cat');
            mock.script = (record) => {
                const results = toolResults(format, record);
                if (results.some((res) => res.content.includes(NOTE))) return { text: `The note says ${NOTE}.` };
                if (results.length) return { text: `unexpected tool results: ${JSON.stringify(results).slice(0, 300)}` };
                if (hasTools(format, record)) {
                    return { text: 'Reading the note.', toolCalls: [{ id: callId, name: 'exec_command', args: { cmd: 'cat note.txt' } }] };
                }
                return { text: FIXED };
            };
            const r = await codex({ prompt: 'What does note.txt say?', cwd, json: true });
            diagnose(t, r, mock, gw);
            assertRan(r);
            assert.equal(r.lastMessage.trim(), `The note says ${NOTE}.`);
            const ran = r.events.filter((e) => e.type === 'item.completed' && e.item.type === 'command_execution');
            assert.equal(ran.length, 1, JSON.stringify(r.events.map((e) => e.item?.type ?? e.type)));
            assert.match(ran[0].item.command, /cat note\.txt/);
            assert.equal(ran[0].item.exit_code, 0);

            assert.equal(mock.requests.length, 2);
            const items = neutralRequest(format, mock.requests[1]).items;
            const call = items.find((i) => i.kind === 'call');
            assert.ok(call, JSON.stringify(items).slice(0, 500));
            assert.equal(call.name, 'exec_command');
            assert.deepEqual(call.args, { cmd: 'cat note.txt' });
            const result = items.find((i) => i.kind === 'result');
            assert.match(result.content, new RegExp(NOTE));
            if (format === 'gemini') assert.equal(result.name, 'exec_command');
            else assert.equal(result.id, callId);
            assert.equal(items.at(-1).kind, 'result', 'the output is the last item of the turn');
        });

        test('a call to a namespace member (multi_agent_v1.close_agent) reaches Codex\'s tool and comes back under the qualified name', { timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            const target = '00000000-0000-4000-8000-00000000beef';
            const callId = callIdFor(format, 'close');
            mock.script = (record) => {
                const results = toolResults(format, record);
                if (results.length) return { text: 'Done with the agent.' };
                return { toolCalls: [{ id: callId, name: 'multi_agent_v1__close_agent', args: { target } }] };
            };
            const r = await codex({ prompt: 'Close the sub-agent.' });
            diagnose(t, r, mock, gw);
            assertRan(r);
            assert.equal(r.lastMessage.trim(), 'Done with the agent.');
            assert.equal(mock.requests.length, 2);
            const items = neutralRequest(format, mock.requests[1]).items;
            const call = items.find((i) => i.kind === 'call');
            assert.equal(call?.name, 'multi_agent_v1__close_agent', JSON.stringify(items).slice(0, 500));
            assert.deepEqual(call.args, { target });
            // Codex's close_agent answered (an unknown agent), not "unsupported call".
            const result = items.find((i) => i.kind === 'result');
            assert.ok(result, JSON.stringify(items).slice(0, 500));
            assert.doesNotMatch(result.content, /unsupported call|not found: multi_agent_v1__/i, result.content);
            assert.match(result.content, new RegExp(target), result.content);
            if (format === 'gemini') assert.equal(result.name, 'multi_agent_v1__close_agent');
            else assert.equal(result.id, callId);
        });

        test('reasoning round trip: provider thinking reaches Codex as a reasoning summary and goes back signed', { skip: format !== 'anthropic' && 'signed thinking blocks are Anthropic\'s', timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            const cwd = makeTempDir('ngx-llm-codex-cwd');
            fs.writeFileSync(path.join(cwd, 'note.txt'), `${NOTE}\n`);
            const thinking = { text: 'The user wants the note; cat it first.', signature: `sig-${makeSecret('').slice(0, 16)}` };
            mock.script = (record) => {
                if (toolResults(format, record).length) return { text: `The note says ${NOTE}.` };
                return { thinking, toolCalls: [{ id: 'toolu_codex_think', name: 'exec_command', args: { cmd: 'cat note.txt' } }] };
            };
            const r = await codex({ prompt: 'What does note.txt say?', cwd, json: true });
            diagnose(t, r, mock, gw);
            assertRan(r);
            assert.equal(r.lastMessage.trim(), `The note says ${NOTE}.`);
            const reasoning = r.events.filter((e) => e.type === 'item.completed' && e.item.type === 'reasoning');
            assert.ok(reasoning.some((e) => e.item.text.includes(thinking.text)), JSON.stringify(r.events).slice(0, 1500));

            assert.equal(mock.requests.length, 2);
            const second = mock.requests[1].body;
            // Codex asks for include: ["reasoning.encrypted_content"]; the
            // assistant turn goes back with its signed thinking first, as Anthropic requires with tools
            const assistant = second.messages.find((m) => m.role === 'assistant');
            assert.deepEqual(assistant.content.map((b) => b.type), ['thinking', 'tool_use'], JSON.stringify(assistant.content).slice(0, 500));
            assert.equal(assistant.content[0].thinking, thinking.text);
            assert.equal(assistant.content[0].signature, thinking.signature);
        });

        test('a provider error reaches Codex: exit 1 with the provider\'s message', { timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            mock.script = { error: { status: 400, message: `the ${format} provider refuses this prompt` } };
            const r = await codex({ prompt: 'Refuse me' });
            diagnose(t, r, mock, gw);
            assert.equal(r.timedOut, false);
            assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr.slice(-1500)}`);
            assert.match(r.stderr, new RegExp(`the ${format} provider refuses this prompt`));
            assert.equal(mock.requests.length, 1, 'no retry by the gateway (num_retries 0) nor by Codex (request_max_retries 0)');
        });

        test('web_search left on (Codex\'s default): a 400 naming the tool reaches Codex, nothing reaches the provider', { timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            mock.script = { text: FIXED };
            const logged = responsesLines(gw).length;
            const r = await codex({ prompt: 'Say hello', webSearch: null });
            diagnose(t, r, mock, gw);
            assert.equal(r.timedOut, false);
            assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr.slice(-1500)}`);
            assert.match(r.stderr, new RegExp(`tool web_search is not supported by ${format} models`));
            assert.equal(mock.requests.length, 0);
            const mine = await loggedSince(gw, logged, 1);
            assert.equal(mine.length, 1, mine.join('\n'));
            assert.match(mine[0], /" 400 /);
        });
    });
}
