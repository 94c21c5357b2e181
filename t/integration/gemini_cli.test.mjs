// Gemini CLI end to end: the real CLI (`gemini -p`, @google/gemini-cli)
// talks to the gateway with GOOGLE_GEMINI_BASE_URL + GEMINI_API_KEY (the
// master key, sent as x-goog-api-key); a wildcard "*" model group sends the
// models it asks for (a classifier call to a flash-lite model with a JSON
// schema, then the main streamed call with its tools) to a mock provider
// speaking OpenAI's or Anthropic's format, translated.  The CLI sends topK
// on every request: with drop_params not set it is dropped (a sampling
// hint), and reported in x-llm-dropped-params.  The CLI is kept offline
// (lib/gemini.mjs); the requests it sent are printed as test diagnostics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeAll, startGateway, makeSecret, makeTempDir, request } from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import { KEY_ENV, formatDeployment, neutralRequest, assertGeminiError } from '../lib/xlate.mjs';
import { describeRequests, toolResults, hasTools } from '../lib/claude.mjs';
import { runGemini, geminiInstalled } from '../lib/gemini.mjs';

const SKIP = geminiInstalled() ? false : 'node_modules/.bin/gemini is not installed (npm install in t/)';
const FIXED = 'Hello from the mock provider behind ngx_llm!';
const NOTE = `note-${makeSecret('').slice(0, 12)}`;
const CLASSIFIED = JSON.stringify({ complexity_reasoning: 'a greeting', complexity_score: 5 });



/** The CLI's JSON-schema calls (its model router) reach OpenAI as response_format. */
function wantsJson(record) {
    return Boolean(record.body?.response_format);
}

for (const format of ['openai', 'anthropic']) {
    describe(`gemini cli -> gateway "*" -> ${format} provider`, { skip: SKIP }, () => {
        const key = makeSecret(`sk-prov-${format}-`);
        let mock, gw;

        before(async () => {
            mock = await startScriptedProvider({ apiKey: key });
            // drop_params is not set: the default under test
            gw = await startGateway({
                config: {
                    model_list: [formatDeployment('*', format, mock, '*')],
                    router_settings: { num_retries: 0 },
                },
                env: { [KEY_ENV[format]]: key },
            });
        });

        after(() => closeAll(gw, mock));

        test('gemini -p "Say hello" prints the provider\'s text', { timeout: 240000 }, async (t) => {
            mock.reset();
            mock.script = (record) => (wantsJson(record) ? { text: CLASSIFIED } : { text: FIXED });
            const r = await runGemini({ baseUrl: gw.url, key: gw.masterKey, prompt: 'Say hello', timeoutMs: 200000 });
            t.diagnostic(`gemini exit ${r.code} in ${r.durationMs} ms; ${mock.requests.length} provider requests`);
            for (const line of describeRequests(mock.requests)) t.diagnostic(line);
            for (const line of gw.accessLog().trim().split('\n')) t.diagnostic(`access: ${line}`);

            assert.equal(r.timedOut, false, 'gemini timed out');
            assert.equal(r.code, 0, `gemini failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(0, 2000)}`);
            assert.equal(r.stdout.trim(), FIXED);
            const main = mock.requests.filter((q) => hasTools(format, q));
            assert.ok(main.length >= 1, 'the main request carries the CLI\'s tools');
            const seen = neutralRequest(format, main[0]);
            assert.equal(seen.stream, true, 'the CLI streams its main turn');
            assert.ok(seen.tools.some((tool) => tool.name === 'read_file'), 'read_file is declared');
            // topK (a sampling hint) did not reach an OpenAI provider
            if (format === 'openai') {
                for (const q of mock.requests) assert.equal(q.body.top_k, undefined);
            }
            // the CLI's calls, by the Gemini paths it uses
            const log = gw.accessLog();
            assert.match(log, /POST \/v1beta\/models\/[^ :]+:streamGenerateContent\?alt=sse HTTP\/1.1" 200 /);
            assert.match(log, /POST \/v1beta\/models\/[^ :]+:generateContent HTTP\/1.1" (200|400) /);
            for (const q of mock.requests) {
                assert.equal(q.headers['x-goog-api-key'], undefined, 'the client key is not forwarded');
            }
            assert.deepEqual(gw.leakedSecrets([key, gw.masterKey]), []);
            assert.ok(!r.stdout.includes(gw.masterKey) && !r.stderr.includes(key));
        });

        test('tool loop: read_file call -> functionResponse back in the provider\'s format -> answer', { timeout: 240000 }, async (t) => {
            mock.reset();
            const cwd = makeTempDir('ngx-llm-gemini-cwd');
            const file = path.join(cwd, 'note.txt');
            fs.writeFileSync(file, `${NOTE}\n`);
            const callId = format === 'openai' ? 'call_read_note' : 'toolu_read_note';
            mock.script = (record) => {
                if (wantsJson(record)) return { text: CLASSIFIED };
                const results = toolResults(format, record);
                if (results.some((res) => res.content.includes(NOTE))) return { text: `The note says ${NOTE}.` };
                if (results.length) return { text: `unexpected tool results: ${JSON.stringify(results).slice(0, 200)}` };
                if (hasTools(format, record)) {
                    return { text: 'Reading the note.', toolCalls: [{ id: callId, name: 'read_file', args: { file_path: file } }] };
                }
                return { text: FIXED };
            };
            const r = await runGemini({
                baseUrl: gw.url, key: gw.masterKey, cwd, timeoutMs: 200000, prompt: 'What does note.txt say?',
            });
            t.diagnostic(`gemini exit ${r.code} in ${r.durationMs} ms; ${mock.requests.length} provider requests`);
            for (const line of describeRequests(mock.requests)) t.diagnostic(line);

            assert.equal(r.timedOut, false, 'gemini timed out');
            assert.equal(r.code, 0, `gemini failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(0, 2000)}`);
            assert.match(r.stdout, new RegExp(`The note says ${NOTE}\\.`));
            const withResult = mock.requests.filter((q) => toolResults(format, q).some((res) => res.content.includes(NOTE)));
            assert.ok(withResult.length >= 1, 'the tool result reached the provider');
            const items = neutralRequest(format, withResult[0]).items;
            const call = items.find((i) => i.kind === 'call' && i.name === 'read_file');
            assert.ok(call, `the read_file call is in the history: ${JSON.stringify(items).slice(0, 500)}`);
            assert.deepEqual(call.args, { file_path: file });
            const result = items.find((i) => i.kind === 'result' && i.content.includes(NOTE));
            assert.equal(result.id, call.id, 'the result answers the call');
        });
    });
}

// The default for parameters a target cannot take, without the CLI: the
// same Gemini request the CLI sends, to each kind of deployment.
describe('dropped parameters (drop_params not set / false / true)', () => {
    const key = makeSecret('sk-prov-');
    let mock, gw;
    const CLI_LIKE = {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        generationConfig: { temperature: 1, topP: 0.95, topK: 64, seed: 7 },
    };
    const SCHEMA = {
        contents: [{ role: 'user', parts: [{ text: 'rate this' }] }],
        generationConfig: {
            topK: 64, responseMimeType: 'application/json',
            responseJsonSchema: { type: 'OBJECT', properties: { score: { type: 'INTEGER' } } },
        },
    };

    before(async () => {
        mock = await startScriptedProvider({ apiKey: key });
        gw = await startGateway({
            config: {
                model_list: [
                    formatDeployment('oa-default', 'openai', mock, 'up'),
                    formatDeployment('oa-strict', 'openai', mock, 'up', { drop_params: false }),
                    formatDeployment('an-default', 'anthropic', mock, 'up'),
                    formatDeployment('an-lax', 'anthropic', mock, 'up', { drop_params: true }),
                ],
                router_settings: { num_retries: 0, disable_cooldowns: true },
            },
            env: { OPENAI_API_KEY: key, ANTHROPIC_API_KEY: key },
        });
    });

    after(() => closeAll(gw, mock));

    function post(model, body, query = '') {
        return request(`${gw.url}/v1beta/models/${model}:generateContent${query}`,
            { body, headers: { 'x-goog-api-key': gw.masterKey } });
    }

    test('not set: top_k and seed (OpenAI has seed) -> top_k dropped and reported', async () => {
        mock.reset();
        mock.script = { text: 'ok' };
        const res = await post('oa-default', CLI_LIKE);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-llm-dropped-params'], 'top_k');
        assert.equal(mock.requests.length, 1);
        assert.equal(mock.last().body.top_k, undefined);
        assert.equal(mock.last().body.seed, 7, 'OpenAI takes seed: kept');
        assert.equal(mock.last().body.top_p, 0.95);
    });

    test('not set, to Anthropic: seed dropped and reported, top_k kept', async () => {
        mock.reset();
        mock.script = { text: 'ok' };
        const res = await post('an-default', CLI_LIKE);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-llm-dropped-params'], 'seed');
        assert.equal(mock.last().body.top_k, 64);
        assert.equal(mock.last().body.seed, undefined);
    });

    test('a request with nothing to drop has no x-llm-dropped-params', async () => {
        mock.reset();
        mock.script = { text: 'ok' };
        const res = await post('oa-default', { contents: CLI_LIKE.contents, generationConfig: { temperature: 0.2 } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-llm-dropped-params'], undefined);
    });

    test('drop_params: false keeps the strict 400, in Gemini\'s error format', async () => {
        mock.reset();
        const res = await post('oa-strict', CLI_LIKE);
        assertGeminiError(res, 400, 'INVALID_ARGUMENT', 'strict top_k');
        assert.match(res.json.error.message, /top_k is not supported by openai models/);
        assert.equal(mock.requests.length, 0, 'nothing reached the provider');
    });

    test('not set: a JSON schema Anthropic cannot enforce stays a 400 (it would change the answer)', async () => {
        mock.reset();
        const res = await post('an-default', SCHEMA);
        assertGeminiError(res, 400, 'INVALID_ARGUMENT', 'schema to anthropic');
        assert.match(res.json.error.message, /response_format is not supported by anthropic models/);
        assert.equal(mock.requests.length, 0);
    });

    test('not set: candidateCount 2 stays a 400; candidateCount 1 is fine', async () => {
        mock.reset();
        mock.script = { text: 'ok' };
        const two = await post('oa-default', { ...CLI_LIKE, generationConfig: { candidateCount: 2 } });
        assertGeminiError(two, 400, 'INVALID_ARGUMENT', 'n > 1');
        const one = await post('oa-default', { ...CLI_LIKE, generationConfig: { candidateCount: 1 } });
        assert.equal(one.status, 200, one.text);
        assert.equal(mock.requests.length, 1);
    });

    test('drop_params: true drops the schema too, and says so', async () => {
        mock.reset();
        mock.script = { text: '{"score":3}' };
        const res = await post('an-lax', SCHEMA);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-llm-dropped-params'], 'response_format');
        assert.equal(mock.last().body.output_format, undefined);
    });

    test('streaming answers carry the header too', async () => {
        mock.reset();
        mock.script = { text: 'streamed' };
        const res = await request(`${gw.url}/v1beta/models/oa-default:streamGenerateContent?alt=sse`,
            { body: CLI_LIKE, headers: { 'x-goog-api-key': gw.masterKey } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-llm-dropped-params'], 'top_k');
        assert.match(res.text, /^data: /m);
    });
});
