// Claude Code end to end: the real CLI (`claude -p`, @anthropic-ai/claude-code)
// talks to the gateway with ANTHROPIC_BASE_URL + ANTHROPIC_AUTH_TOKEN (the
// master key); a wildcard "*" model group sends whatever model it asks for
// to a mock provider speaking Anthropic's, OpenAI's or Gemini's format.
// The mock answers Claude Code's real requests (streaming, ~20 tools, system
// blocks with cache_control, ?beta=true, mid-conversation system messages,
// thinking, context_management): fixed text for a plain prompt, and a
// Read tool call -> tool_result -> answer loop for the tool test.  The CLI
// is kept offline (lib/claude.mjs); the requests it sent are printed as test
// diagnostics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeSecret, makeTempDir } from '../lib/index.mjs';
import { neutralRequest } from '../lib/xlate.mjs';
import { runClaude, claudeInstalled, toolResults, hasTools, cliGateway, diagnoseRun } from '../lib/claude.mjs';

const SKIP = claudeInstalled() ? false : 'node_modules/.bin/claude is not installed (npm install in t/)';
const FIXED = 'Hello from the mock provider behind ngx_llm!';
const NOTE = `note-${makeSecret('').slice(0, 12)}`;

/** Model names the gateway logged for /v1/messages requests (access log). */
function loggedModels(gw) {
    return gw.accessLog().split('\n')
        .filter((l) => l.includes('/v1/messages'))
        .map((l) => /model=(\S*)/.exec(l)?.[1])
        .filter(Boolean);
}



for (const format of ['anthropic', 'openai', 'gemini']) {
    describe(`claude code -> gateway "*" -> ${format} provider`, { skip: SKIP }, () => {
        const cli = cliGateway(format, { before, after, config: { litellm_settings: { drop_params: true } } });

        test('claude -p "Say hello" prints the provider\'s text', { timeout: 180000 }, async (t) => {
            const { mock, gw, key } = cli;
            mock.reset();
            mock.script = { text: FIXED, usage: { prompt: 1200, completion: 12 } };
            const r = await runClaude({ baseUrl: gw.url, token: gw.masterKey, prompt: 'Say hello', timeoutMs: 150000 });
            diagnoseRun(t, 'claude', r, mock, gw);

            assert.equal(r.timedOut, false, 'claude timed out');
            assert.equal(r.code, 0, `claude failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(0, 2000)}`);
            assert.equal(r.stdout.trim(), FIXED);
            assert.ok(mock.requests.length >= 1, 'Claude Code reached the provider through the gateway');
            const main = mock.requests.filter((q) => hasTools(format, q));
            assert.ok(main.length >= 1, 'the main request carries Claude Code\'s tools');
            assert.equal(neutralRequest(format, main[0]).stream, true, 'Claude Code streams');
            // The wildcard group passed Claude Code's model name through.
            const models = loggedModels(gw);
            assert.ok(models.length >= 1, gw.accessLog());
            assert.ok(models.every((m) => /^claude-/.test(m)), `models: ${models}`);
            if (format !== 'gemini') assert.deepEqual(mock.requests.map((q) => q.body.model).sort(), models.slice().sort());
            else assert.deepEqual(mock.requests.map((q) => q.model).sort(), models.slice().sort());
            // Claude Code calls /v1/messages?beta=true with anthropic-beta; only
            // an Anthropic provider gets the header.
            assert.match(gw.accessLog(), /POST \/v1\/messages\?beta=true /);
            for (const q of mock.requests) {
                if (format === 'anthropic') assert.match(q.headers['anthropic-beta'] || '', /claude-code-/);
                else assert.equal(q.headers['anthropic-beta'], undefined);
            }
            assert.deepEqual(gw.leakedSecrets([key, gw.masterKey]), []);
            assert.ok(!r.stdout.includes(gw.masterKey) && !r.stderr.includes(key));
        });

        test('tool loop: Read tool call -> tool_result back in the provider\'s format -> answer', { timeout: 180000 }, async (t) => {
            const { mock, gw } = cli;
            mock.reset();
            const cwd = makeTempDir('ngx-llm-claude-cwd');
            const file = path.join(cwd, 'note.txt');
            fs.writeFileSync(file, `${NOTE}\n`);
            const callId = format === 'openai' ? 'call_read_note' : 'toolu_read_note';
            mock.script = (record) => {
                const results = toolResults(format, record);
                const ours = results.find((res) => res.content.includes(NOTE));
                if (ours) return { text: `The note says ${NOTE}.` };
                if (results.length) return { text: `unexpected tool results: ${JSON.stringify(results).slice(0, 200)}` };
                if (hasTools(format, record)) {
                    return { text: 'Reading the note.', toolCalls: [{ id: callId, name: 'Read', args: { file_path: file } }] };
                }
                return { text: FIXED };
            };
            const r = await runClaude({
                baseUrl: gw.url, token: gw.masterKey, cwd, timeoutMs: 150000,
                prompt: 'What does note.txt say?', args: ['--allowedTools', 'Read'],
            });
            diagnoseRun(t, 'claude', r, mock, gw);

            assert.equal(r.timedOut, false, 'claude timed out');
            assert.equal(r.code, 0, `claude failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(0, 2000)}`);
            assert.equal(r.stdout.trim(), `The note says ${NOTE}.`);
            // The second main request carried the call and its result, matched.
            const withResult = mock.requests.filter((q) => toolResults(format, q).some((res) => res.content.includes(NOTE)));
            assert.ok(withResult.length >= 1, 'the tool result reached the provider');
            const items = neutralRequest(format, withResult[0]).items;
            const call = items.find((i) => i.kind === 'call' && i.name === 'Read');
            assert.ok(call, `the Read call is in the history: ${JSON.stringify(items).slice(0, 500)}`);
            assert.deepEqual(call.args, { file_path: file });
            const result = items.find((i) => i.kind === 'result' && i.content.includes(NOTE));
            if (format === 'gemini') assert.equal(result.name, 'Read');
            else assert.equal(result.id, call.id);
            if (format === 'anthropic') assert.equal(call.id, callId);
        });
    });
}
