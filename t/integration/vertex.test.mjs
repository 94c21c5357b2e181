// Vertex AI (vertex_ai/gemini-*) behind every client format: controld signs
// a JWT with the test's service account, trades it at the account's
// token_uri (a mock that checks the RS256 signature against the test key's
// public half and the claims), publishes the access token, and the module
// sends Gemini's wire format to the project's publisher path with
// Authorization: Bearer.  A short-lived token is renewed before it expires;
// a service account the token endpoint refuses leaves its deployment
// disabled with the reason in /health and llmctl status.
//
// Claude on Vertex (vertex_ai/claude-*): Anthropic's Messages body without
// "model" and with "anthropic_version": "vertex-2023-10-16" to
// publishers/anthropic/models/M@version:rawPredict | :streamRawPredict
// (and count-tokens:rawPredict), from the openai SDK (chat, stream, tools,
// Responses), the Anthropic SDK, Gemini's API and Claude Code.  Embedding
// models (vertex_ai/text-embedding-*) answer OpenAI's /v1/embeddings
// through :predict; Gemini's countTokens goes to Vertex's :countTokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, request, collectChatStream, parseSse, waitFor,
    startVertexTokenServer, serviceAccount, makeTempDir,
} from '../lib/index.mjs';
import { anthropicClient, collectMessageStream } from '../lib/xlate.mjs';
import { runClaude, claudeInstalled, diagnoseRun } from '../lib/claude.mjs';

const CLAUDE = 'claude-sonnet-4@20250514';
const EMBED = 'text-embedding-005';

const PROJECT = 'proj-vertex-1';
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let tokens, shortTokens, mock, gw, client, sa, shortSa, badSa, dir;

before(async () => {
    tokens = await startVertexTokenServer({ clientEmail: 'gw@proj-vertex-1.iam.gserviceaccount.com' });
    sa = serviceAccount({ tokenUri: tokens.tokenUri, clientEmail: tokens.clientEmail, projectId: PROJECT });
    tokens.publicKey = sa.publicKey;
    // a second account whose tokens live 4 seconds: renewed at 80%
    shortTokens = await startVertexTokenServer({ clientEmail: 'short@proj-vertex-1.iam.gserviceaccount.com', expiresIn: 4 });
    shortSa = serviceAccount({ tokenUri: shortTokens.tokenUri, clientEmail: shortTokens.clientEmail, projectId: PROJECT });
    shortTokens.publicKey = shortSa.publicKey;
    // the same account name with a key the token endpoint does not know
    badSa = serviceAccount({ tokenUri: tokens.tokenUri, clientEmail: tokens.clientEmail, projectId: PROJECT });

    mock = await startMockProvider({ vertex: [tokens, shortTokens] });
    dir = makeTempDir('vertex-sa');
    const file = path.join(dir, 'sa.json');
    fs.writeFileSync(file, JSON.stringify(sa.json), { mode: 0o600 });
    const vertex = (model, extra = {}) => ({
        model: `vertex_ai/${model}`, api_base: mock.url, vertex_project: PROJECT,
        vertex_location: 'us-central1', vertex_credentials: file, ...PRICES, ...extra,
    });
    gw = await startGateway({
        config: {
            model_list: [
                { model_name: 'gemini-vertex', litellm_params: vertex('gemini-2.0-flash') },
                // project, location and the key file from the environment
                { model_name: 'gemini-vertex-env', litellm_params: { model: 'vertex_ai/gemini-2.5-pro', api_base: mock.url } },
                // the key file's JSON itself
                { model_name: 'gemini-vertex-short', litellm_params: vertex('gemini-2.0-flash-lite', { vertex_credentials: JSON.stringify(shortSa.json) }) },
                { model_name: 'vertex-badkey', litellm_params: vertex('gemini-2.0-flash', { vertex_credentials: JSON.stringify(badSa.json) }) },
                { model_name: 'claude-vertex', litellm_params: vertex(CLAUDE) },
                // Claude Code's model names (claude-sonnet-4-5-..., claude-haiku-...)
                { model_name: 'claude-*', litellm_params: vertex(CLAUDE) },
                { model_name: 'claude-vertex-global', litellm_params: vertex('claude-opus-4-1@20250805', { vertex_location: 'global' }) },
                { model_name: 'vertex-embed', litellm_params: vertex(EMBED) },
                // LiteLLM's wildcard: the family is the requested model's
                { model_name: 'vertex_ai/*', litellm_params: vertex('*') },
                { model_name: 'vertex-429', litellm_params: vertex('fault-429') },
                { model_name: 'vertex-400', litellm_params: vertex('fault-400') },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
        },
        env: { VERTEXAI_PROJECT: 'proj-from-env', VERTEXAI_LOCATION: 'global', GOOGLE_APPLICATION_CREDENTIALS: file },
    });
    client = gw.client();
    // served once controld has a token for each good account
    await waitFor(async () => {
        const st = await gw.status();
        return !st.disabled.some((d) => d.model_name !== 'vertex-badkey');
    }, { timeoutMs: 30000, what: 'vertex deployments to get their tokens' });
});

after(() => closeAll(gw, mock, tokens, shortTokens));

function post(p, body, headers = {}) {
    return request(`${gw.url}${p}`, { body, headers: { authorization: `Bearer ${gw.masterKey}`, ...headers } });
}

function lastVertex(stream, { model = 'gemini-2.0-flash', project = PROJECT, location = 'us-central1' } = {}) {
    const rec = mock.last();
    assert.equal(rec.format, 'vertex');
    assert.equal(rec.path, `/v1/projects/${project}/locations/${location}/publishers/google/models/${model}:${stream ? 'streamGenerateContent' : 'generateContent'}`);
    if (stream) assert.equal(rec.query.alt, 'sse');
    assert.ok(tokens.valid(rec.bearer) || shortTokens.valid(rec.bearer), `a live issued token (${rec.headers.authorization ? 'Bearer' : 'none'})`);
    assert.equal(rec.headers['x-goog-api-key'], undefined);
    assert.equal(rec.response.status, 200, JSON.stringify(rec.response));
    return rec;
}

/** x-litellm-response-cost is the deployment's prices times the provider's tokens. */
function assertCost(response, input, output) {
    const cost = Number(response.headers.get('x-litellm-response-cost'));
    assert.ok(Math.abs(cost - (input * PRICES.input_cost_per_token + output * PRICES.output_cost_per_token)) < 1e-9, String(cost));
}

/** An openai SDK stream of model: its text is what the provider sent (last() checks the request). */
async function chatStream(model, content, last) {
    const stream = await client.chat.completions.create({
        model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    const rec = last();
    assert.equal(out.deltas.join(''), rec.response.text);
    assert.equal(out.finishReason, 'stop');
    return { out, rec };
}

test('the token exchange: an RS256 JWT with the service account\'s claims', () => {
    assert.ok(tokens.issued.length >= 1, JSON.stringify(tokens.rejected));
    const c = tokens.issued[0].claims;
    assert.equal(c.iss, tokens.clientEmail);
    assert.equal(c.aud, tokens.tokenUri);
    assert.equal(c.scope, 'https://www.googleapis.com/auth/cloud-platform');
    assert.equal(c.exp - c.iat, 3600);
    // the account with the wrong key was refused by its signature
    assert.ok(tokens.rejected.some((r) => r.problem === 'Invalid JWT Signature.'), JSON.stringify(tokens.rejected));
});

test('openai SDK, whole answer: Vertex path, Bearer token, usage and cost', async () => {
    const res = await client.chat.completions.create({
        model: 'gemini-vertex', max_tokens: 100,
        messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hello vertex' }],
    }).withResponse();
    const { data, response } = res;
    assert.match(data.choices[0].message.content, /hello vertex/);
    assert.equal(data.choices[0].finish_reason, 'stop');
    const rec = lastVertex(false);
    assert.deepEqual(rec.body.systemInstruction.parts, [{ text: 'Be terse.' }]);
    assert.equal(rec.body.generationConfig.maxOutputTokens, 100);
    assert.equal(rec.body.model, undefined);
    const u = rec.response.usage;
    assert.equal(data.usage.prompt_tokens, u.promptTokenCount);
    assert.equal(data.usage.completion_tokens, u.candidatesTokenCount);
    assertCost(response, u.promptTokenCount, u.candidatesTokenCount);
});

test('openai SDK, stream: streamGenerateContent?alt=sse, deltas and usage', async () => {
    const { out, rec } = await chatStream('gemini-vertex', 'stream me from vertex', () => lastVertex(true));
    assert.equal(out.usage.prompt_tokens, rec.response.usage.promptTokenCount);
});

test('project, location and key file from the environment; "global" has no regional host', async () => {
    const res = await client.chat.completions.create({ model: 'gemini-vertex-env', messages: [{ role: 'user', content: 'env' }] });
    assert.match(res.choices[0].message.content, /env/);
    lastVertex(false, { model: 'gemini-2.5-pro', project: 'proj-from-env', location: 'global' });
});

test('Anthropic client: whole and streamed', async () => {
    const res = await post('/v1/messages', { model: 'gemini-vertex', max_tokens: 64, messages: [{ role: 'user', content: 'hi from anthropic' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.type, 'message');
    assert.match(res.json.content[0].text, /hi from anthropic/);
    assert.equal(res.json.usage.input_tokens, lastVertex(false).response.usage.promptTokenCount);

    const s = await post('/v1/messages', { model: 'gemini-vertex', max_tokens: 64, stream: true,
        messages: [{ role: 'user', content: 'anthropic, streamed' }] }, { 'anthropic-version': '2023-06-01' });
    assert.equal(s.status, 200, s.text);
    const evs = parseSse(s.text);
    assert.equal(evs[0].event, 'message_start');
    assert.equal(evs[evs.length - 1].event, 'message_stop');
    const text = evs.filter((e) => e.json?.delta?.type === 'text_delta').map((e) => e.json.delta.text).join('');
    assert.equal(text, lastVertex(true).response.text);
});

test('Gemini client: the body goes as it came, to the Vertex path', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi from gemini' }] }], generationConfig: { temperature: 0.5 } };
    const res = await post('/v1beta/models/gemini-vertex:generateContent', body, { authorization: '', 'x-goog-api-key': gw.masterKey });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.candidates[0].content.parts[0].text, /hi from gemini/);
    assert.deepEqual(lastVertex(false).body, body);

    const s = await post('/v1beta/models/gemini-vertex:streamGenerateContent?alt=sse', body);
    assert.equal(s.status, 200, s.text);
    const text = parseSse(s.text).map((e) => e.json?.candidates?.[0]?.content?.parts?.[0]?.text || '').join('');
    assert.equal(text, lastVertex(true).response.text);
});

/**
 * The openai SDK asks model about the weather with a get_weather tool; the
 * mock answers a Vertex request of publisher with `answer` (the provider's
 * tool call, its usage).  Returns the SDK's result, the tool call checked.
 */
async function weatherCall(model, publisher, answer, usage) {
    mock.onRequest = async (ctx) => {
        if (ctx.route?.publisher !== publisher || !JSON.parse(ctx.record.rawBody || '{}').tools) return false;
        ctx.record.bearer = (ctx.req.headers.authorization || '').replace(/^Bearer /, '');
        ctx.record.body = JSON.parse(ctx.record.rawBody);
        ctx.sendJson(answer, { usage });
        return true;
    };
    try {
        const res = await client.chat.completions.create({
            model, messages: [{ role: 'user', content: 'weather in Paris?' }],
            tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city',
                parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
        });
        const call = res.choices[0].message.tool_calls[0];
        assert.equal(res.choices[0].finish_reason, 'tool_calls');
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
        return res;
    } finally {
        mock.onRequest = null;
    }
}

test('tool calls: functionDeclarations out, functionCall back as tool_calls', async () => {
    const res = await weatherCall('gemini-vertex', 'google', {
        candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
            finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
    }, { promptTokenCount: 12, candidatesTokenCount: 5 });
    assert.equal(lastVertex(false).body.tools[0].functionDeclarations[0].name, 'get_weather');
    assert.equal(res.usage.prompt_tokens, 12);
});

test('a short-lived token is renewed before it expires, and the new one is used', async () => {
    const first = shortTokens.issued.length;
    await waitFor(() => shortTokens.issued.length >= first + 2, { timeoutMs: 30000, what: 'two renewals' });
    const [a, b] = shortTokens.issued.slice(-2);
    assert.notEqual(a.token, b.token);
    // renewed before the old one ran out (4 s), not after
    assert.ok(b.at - a.at < 4000, `renewed after ${b.at - a.at} ms`);
    // the published token follows: a request carries a live, recent one
    await waitFor(async () => {
        const res = await client.chat.completions.create({ model: 'gemini-vertex-short', messages: [{ role: 'user', content: 'renewed' }] });
        assert.match(res.choices[0].message.content, /renewed/);
        const rec = lastVertex(false, { model: 'gemini-2.0-flash-lite' });
        return shortTokens.issued.slice(first + 1).some((t) => t.token === rec.bearer);
    }, { timeoutMs: 20000, what: 'a renewed token on the wire' });
});

test('bad credentials: the deployment is disabled with the token endpoint\'s reason', async () => {
    const st = await gw.status();
    const dis = st.disabled.find((d) => d.model_name === 'vertex-badkey');
    assert.ok(dis, JSON.stringify(st.disabled));
    assert.match(dis.reason, /no OAuth2 access token for gw@proj-vertex-1\.iam\.gserviceaccount\.com: token endpoint .* answered HTTP 400: invalid_grant: Invalid JWT Signature\./);
    const res = await post('/v1/chat/completions', { model: 'vertex-badkey', messages: [{ role: 'user', content: 'x' }] });
    assert.ok(res.status >= 400 && res.status < 600, res.text);
    assert.match(res.json.error.message, /invalid_grant/);
    const health = await request(`${gw.url}/health`, { method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
    const bad = health.json.unhealthy_endpoints.find((e) => e.model_name === 'vertex-badkey');
    assert.match(bad.error, /Invalid JWT Signature/);
    const cli = await gw.llmctl(['status', '--prefix', gw.prefix]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /vertex-badkey \(vertex_ai\/gemini-2\.0-flash\): provider 'vertex_ai': no OAuth2 access token/);
});

test('a bad service account in the config: disabled with a clear reason, the rest starts', async () => {
    const small = await startGateway({
        config: { model_list: [
            { model_name: 'no-key', litellm_params: { model: 'vertex_ai/gemini-2.0-flash', vertex_project: PROJECT, vertex_location: 'us-central1',
                vertex_credentials: JSON.stringify({ ...sa.json, private_key: 'not a key' }) } },
            { model_name: 'no-file', litellm_params: { model: 'vertex_ai/gemini-2.0-flash', vertex_project: PROJECT, vertex_location: 'us-central1',
                vertex_credentials: path.join(dir, 'missing.json') } },
            { model_name: 'no-project', litellm_params: { model: 'vertex_ai/gemini-2.0-flash', vertex_location: 'us-central1',
                vertex_credentials: JSON.stringify({ ...sa.json, project_id: undefined }) } },
        ] },
    });
    try {
        const reasons = Object.fromEntries((await small.status()).disabled.map((d) => [d.model_name, d.reason]));
        assert.match(reasons['no-key'], /vertex_credentials: private_key is not a PEM private key/);
        assert.match(reasons['no-file'], /cannot read the service-account file .*missing\.json/);
        assert.match(reasons['no-project'], /no Vertex AI project: set litellm_params\.vertex_project or VERTEXAI_PROJECT/);
        const res = await request(`${small.url}/v1/chat/completions`, { body: { model: 'no-key', messages: [{ role: 'user', content: 'x' }] },
            headers: { authorization: `Bearer ${small.masterKey}` } });
        assert.match(res.json.error.message, /private_key is not a PEM private key/);
    } finally {
        await small.stop();
    }
});

test('upstream errors: 429 and 400 in the client\'s format', async () => {
    const r429 = await post('/v1/chat/completions', { model: 'vertex-429', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r429.status, 429, r429.text);
    assert.equal(mock.last().format, 'vertex');
    const r400 = await post('/v1/chat/completions', { model: 'vertex-400', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r400.status, 400, r400.text);
    assert.match(r400.json.error.message, /mock rejects this request/);
    const an = await post('/v1/messages', { model: 'vertex-429', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(an.status, 429, an.text);
    assert.equal(an.json.type, 'error');
    assert.equal(an.json.error.type, 'rate_limit_error');
});

/** The last request: Claude's Vertex path, a live token, Anthropic's body without model. */
function lastClaude(stream, { model = CLAUDE, location = 'us-central1' } = {}) {
    const rec = mock.last();
    assert.equal(rec.format, 'vertex');
    assert.equal(rec.path, `/v1/projects/${PROJECT}/locations/${location}/publishers/anthropic/models/${model}:${stream ? 'streamRawPredict' : 'rawPredict'}`);
    assert.ok(tokens.valid(rec.bearer), 'a live token the token endpoint issued');
    assert.equal(rec.headers['x-api-key'], undefined);
    assert.equal(rec.headers['anthropic-version'], undefined, 'the version is in the body on Vertex');
    assert.equal(rec.body.anthropic_version, 'vertex-2023-10-16');
    assert.ok(!Object.hasOwn(rec.body, 'model'), 'no model in the body');
    assert.equal(rec.body.stream === true, stream);
    assert.equal(rec.response.status, 200, JSON.stringify(rec.response));
    return rec;
}

test('claude on Vertex, openai SDK whole: rawPredict with the @version in the path, usage and cost', async () => {
    const { data, response } = await client.chat.completions.create({
        model: 'claude-vertex', max_tokens: 50,
        messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hello claude on vertex' }],
    }).withResponse();
    const rec = lastClaude(false);
    assert.equal(data.choices[0].message.content, rec.response.text);
    assert.match(data.choices[0].message.content, /hello claude on vertex/);
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.equal(rec.body.max_tokens, 50);
    assert.deepEqual(rec.body.system, [{ type: 'text', text: 'Be terse.' }]);
    assert.equal(data.usage.prompt_tokens, rec.response.usage.input_tokens);
    assert.equal(data.usage.completion_tokens, rec.response.usage.output_tokens);
    assertCost(response, rec.response.usage.input_tokens, rec.response.usage.output_tokens);
});

test('claude on Vertex, openai SDK stream: streamRawPredict, deltas and usage', async () => {
    const { out, rec } = await chatStream('claude-vertex', 'stream claude from vertex', () => lastClaude(true));
    assert.equal(out.usage.prompt_tokens, rec.response.usage.input_tokens);
    assert.equal(out.usage.completion_tokens, rec.response.usage.output_tokens);
});

test('claude on Vertex, openai SDK tools: tools as input_schema out, tool_use back as tool_calls', async () => {
    const res = await weatherCall('claude-vertex', 'anthropic', {
        id: 'msg_vtx_tool', type: 'message', role: 'assistant', model: CLAUDE,
        content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_vtx_1', name: 'get_weather', input: { city: 'Paris' } }],
        stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 40, output_tokens: 9 },
    }, { input_tokens: 40, output_tokens: 9 });
    const rec = lastClaude(false);
    assert.equal(rec.body.tools[0].name, 'get_weather');
    assert.deepEqual(rec.body.tools[0].input_schema.required, ['city']);
    assert.equal(res.choices[0].message.tool_calls[0].id, 'toolu_vtx_1');
    assert.equal(res.usage.prompt_tokens, 40);
});

test('claude on Vertex, Anthropic SDK: the client\'s body as it came, model out, anthropic_version in', async () => {
    const anth = anthropicClient(gw);
    const params = {
        model: 'claude-vertex', max_tokens: 64, temperature: 0.3, metadata: { user_id: 'u-vertex' },
        system: [{ type: 'text', text: 'You are on Vertex.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hi from the anthropic sdk' }],
    };
    const msg = await anth.messages.create(params);
    const rec = lastClaude(false);
    const { model, ...rest } = params;
    assert.deepEqual(rec.body, { ...rest, anthropic_version: 'vertex-2023-10-16' });
    assert.equal(msg.type, 'message');
    assert.equal(msg.content[0].text, rec.response.text);
    assert.equal(msg.usage.input_tokens, rec.response.usage.input_tokens);

    const out = await collectMessageStream(anth.messages.stream({ ...params, messages: [{ role: 'user', content: 'anthropic sdk, streamed' }] }));
    assert.equal(out.error, null);
    const srec = lastClaude(true);
    assert.equal(out.text, srec.response.text);
    assert.equal(out.types[0], 'message_start');
    assert.equal(out.types[out.types.length - 1], 'message_stop');
    assert.equal(out.final.usage.output_tokens, srec.response.usage.output_tokens);
});

test('claude on Vertex, "global": the location in the path; count_tokens to count-tokens:rawPredict', async () => {
    const res = await post('/v1/messages', { model: 'claude-vertex-global', max_tokens: 20, messages: [{ role: 'user', content: 'global claude' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    lastClaude(false, { model: 'claude-opus-4-1@20250805', location: 'global' });

    const body = { model: 'claude-vertex', system: 'Count me.', messages: [{ role: 'user', content: 'how many tokens are in this request?' }] };
    const c = await post('/v1/messages/count_tokens', body, { 'anthropic-version': '2023-06-01' });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.headers['x-llm-token-count'], 'provider');
    const rec = mock.last();
    assert.equal(rec.path, `/v1/projects/${PROJECT}/locations/us-central1/publishers/anthropic/models/count-tokens:rawPredict`);
    assert.ok(tokens.valid(rec.bearer));
    assert.equal(rec.body.model, CLAUDE, 'count-tokens names the model in the body');
    assert.equal(rec.body.anthropic_version, 'vertex-2023-10-16');
    assert.equal(c.json.input_tokens, rec.response.body.input_tokens);
});

test('claude on Vertex from Gemini\'s API and from /v1/responses', async () => {
    const g = await post('/v1beta/models/claude-vertex:generateContent',
        { contents: [{ role: 'user', parts: [{ text: 'gemini asks claude' }] }], generationConfig: { maxOutputTokens: 30 } });
    assert.equal(g.status, 200, g.text);
    const rec = lastClaude(false);
    assert.equal(rec.body.max_tokens, 30);
    assert.equal(g.json.candidates[0].content.parts[0].text, rec.response.text);
    assert.equal(g.json.usageMetadata.promptTokenCount, rec.response.usage.input_tokens);

    const gs = await post('/v1beta/models/claude-vertex:streamGenerateContent?alt=sse',
        { contents: [{ role: 'user', parts: [{ text: 'gemini streams claude' }] }] });
    assert.equal(gs.status, 200, gs.text);
    const text = parseSse(gs.text).map((e) => e.json?.candidates?.[0]?.content?.parts?.[0]?.text || '').join('');
    assert.equal(text, lastClaude(true).response.text);

    const r = await client.responses.create({ model: 'claude-vertex', input: 'responses to claude on vertex', max_output_tokens: 40 });
    const rrec = lastClaude(false);
    assert.equal(r.output_text, rrec.response.text);
    assert.equal(rrec.body.max_tokens, 40);
    assert.equal(r.usage.input_tokens, rrec.response.usage.input_tokens);
});

test('a vertex_ai/* wildcard: Claude names go to rawPredict, Gemini names to generateContent', async () => {
    const res = await client.chat.completions.create({ model: `vertex_ai/${CLAUDE}`, max_tokens: 20,
        messages: [{ role: 'user', content: 'wildcard claude, openai sdk' }] });
    const rec = lastClaude(false);
    assert.equal(res.choices[0].message.content, rec.response.text);
    assert.equal(rec.body.max_tokens, 20);

    const anth = anthropicClient(gw);
    const msg = await anth.messages.create({ model: `vertex_ai/${CLAUDE}`, max_tokens: 30,
        messages: [{ role: 'user', content: 'wildcard claude, anthropic sdk' }] });
    const arec = lastClaude(false);
    assert.deepEqual(arec.body, { max_tokens: 30, messages: [{ role: 'user', content: 'wildcard claude, anthropic sdk' }],
        anthropic_version: 'vertex-2023-10-16' });
    assert.equal(msg.content[0].text, arec.response.text);
    const out = await collectMessageStream(anth.messages.stream({ model: `vertex_ai/${CLAUDE}`, max_tokens: 30,
        messages: [{ role: 'user', content: 'wildcard claude, streamed' }] }));
    assert.equal(out.error, null);
    assert.equal(out.text, lastClaude(true).response.text);

    const g = await client.chat.completions.create({ model: 'vertex_ai/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'wildcard gemini' }] });
    assert.equal(g.choices[0].message.content, lastVertex(false, { model: 'gemini-2.5-flash' }).response.text);

    // count_tokens follows the family too
    const c = await post('/v1/messages/count_tokens', { model: `vertex_ai/${CLAUDE}`, messages: [{ role: 'user', content: 'count me' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.headers['x-llm-token-count'], 'provider');
    const crec = mock.last();
    assert.equal(crec.path, `/v1/projects/${PROJECT}/locations/us-central1/publishers/anthropic/models/count-tokens:rawPredict`);
    assert.equal(crec.body.model, CLAUDE);
    assert.equal(c.json.input_tokens, crec.response.body.input_tokens);
});

test('Vertex embeddings, openai SDK: :predict instances, outputDimensionality, vectors and usage back', async () => {
    const res = await client.embeddings.create({ model: 'vertex-embed', input: ['first text', 'second one'], dimensions: 16 });
    const rec = mock.last();
    assert.equal(rec.path, `/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/${EMBED}:predict`);
    assert.ok(tokens.valid(rec.bearer));
    assert.deepEqual(rec.body, { instances: [{ content: 'first text' }, { content: 'second one' }], parameters: { outputDimensionality: 16 } });
    assert.equal(res.data.length, 2);
    // the SDK asked for base64 and decoded it: float32 of the mock's values
    for (const [i, v] of rec.response.vectors.entries()) {
        assert.equal(res.data[i].index, i);
        assert.deepEqual(Array.from(res.data[i].embedding), Array.from(Float32Array.from(v)));
    }
    assert.equal(res.usage.prompt_tokens, rec.response.tokens);
    assert.equal(res.usage.total_tokens, rec.response.tokens);

    const one = await post('/v1/embeddings', { model: 'vertex-embed', input: 'floats please', encoding_format: 'float' });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json.data[0].embedding, mock.last().response.vectors[0]);
    assert.equal(one.json.model, 'vertex-embed');
    assert.ok(!('parameters' in mock.last().body));
});

test('Vertex: the endpoints a model family does not serve are a clear 400', async () => {
    const chat = await post('/v1/chat/completions', { model: 'vertex-embed', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(chat.status, 400, chat.text);
    assert.match(chat.json.error.message, /provider "vertex_ai" does not serve/);
    const emb = await post('/v1/embeddings', { model: 'claude-vertex', input: 'x' });
    assert.equal(emb.status, 400, emb.text);
    assert.match(emb.json.error.message, /does not serve/);
    const tok = await post('/v1/embeddings', { model: 'vertex-embed', input: [[1, 2, 3]] });
    assert.equal(tok.status, 400, tok.text);
    assert.match(tok.json.error.message, /Vertex AI embeds text, not token arrays/);
    const gem = await post('/v1beta/models/vertex-embed:embedContent', { content: { parts: [{ text: 'x' }] } });
    assert.equal(gem.status, 400, gem.text);
    assert.equal(gem.json.error.status, 'INVALID_ARGUMENT');
    assert.match(gem.json.error.message, /does not serve/);
});

test('Gemini countTokens to Vertex\'s :countTokens', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'count these words for me please' }] }] };
    const res = await post('/v1beta/models/gemini-vertex:countTokens', body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-llm-token-count'], 'provider');
    const rec = mock.last();
    assert.equal(rec.path, `/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.0-flash:countTokens`);
    assert.ok(tokens.valid(rec.bearer));
    assert.deepEqual(rec.body, body);
    assert.equal(res.json.totalTokens, rec.response.body.totalTokens);
});

test('Claude Code against a vertex_ai/claude deployment', { skip: claudeInstalled() ? false : 'claude is not installed', timeout: 180000 }, async (t) => {
    const FIXED = 'Hello from Claude on the Vertex mock!';
    const before = mock.requests.length;
    mock.options.reply = FIXED;
    try {
        const r = await runClaude({ baseUrl: gw.url, token: gw.masterKey, prompt: 'Say hello', timeoutMs: 150000 });
        diagnoseRun(t, 'claude', r, { requests: mock.requests.slice(before) }, gw);
        assert.equal(r.timedOut, false, 'claude timed out');
        assert.equal(r.code, 0, `claude failed (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(0, 2000)}`);
        assert.equal(r.stdout.trim(), FIXED);
        const sent = mock.requests.slice(before).filter((q) => /\/publishers\/anthropic\//.test(q.path));
        assert.ok(sent.length >= 1, 'Claude Code reached Vertex through the gateway');
        const main = sent.filter((q) => Array.isArray(q.body?.tools) && q.body.tools.length);
        assert.ok(main.length >= 1, 'the main request carries Claude Code\'s tools');
        for (const q of sent) {
            assert.match(q.path, new RegExp(`/publishers/anthropic/models/${CLAUDE}:(streamRawPredict|rawPredict)$`));
            assert.equal(q.body.anthropic_version, 'vertex-2023-10-16');
            assert.ok(!Object.hasOwn(q.body, 'model'));
            assert.ok(tokens.valid(q.bearer));
            assert.equal(q.response.status, 200, JSON.stringify(q.response).slice(0, 300));
        }
        assert.ok(main.every((q) => q.body.stream === true), 'Claude Code streams');
    } finally {
        delete mock.options.reply;
    }
});

test('claude on Vertex: Vertex\'s own errors (Google\'s JSON) reach each client in its format', async () => {
    const DENIED = "Permission 'aiplatform.endpoints.predict' denied on resource (mock)";
    let status = 403;
    mock.onRequest = async (ctx) => {
        if (ctx.route?.publisher !== 'anthropic') return false;
        ctx.fail(status, status === 429 ? 'rate_limit' : 'permission', status === 429 ? 'Quota exceeded (mock)' : DENIED);
        return true;
    };
    const messages = (extra = {}) => post('/v1/messages', { model: 'claude-vertex', max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }], ...extra }, { 'anthropic-version': '2023-06-01' });
    try {
        const an = await messages();
        assert.equal(an.status, 403, an.text);
        assert.equal(mock.last().response.error.error.status, 'PERMISSION_DENIED', 'the mock answered as Vertex does');
        assert.deepEqual(an.json, { type: 'error', error: { type: 'permission_error', message: DENIED } });
        const s = await messages({ stream: true });
        assert.equal(s.status, 403, s.text);
        assert.deepEqual(s.json, an.json);
        const oa = await post('/v1/chat/completions', { model: 'claude-vertex', messages: [{ role: 'user', content: 'x' }] });
        assert.equal(oa.status, 403, oa.text);
        assert.equal(oa.json.error.message, DENIED);
        // a retryable status: the gateway's own answer once its attempts are spent
        status = 429;
        const rl = await messages();
        assert.equal(rl.status, 429, rl.text);
        assert.equal(rl.json.type, 'error');
        assert.equal(rl.json.error.type, 'rate_limit_error');
    } finally {
        mock.onRequest = null;
    }
});

test('no private key and no access token in any log or status output', async () => {
    const secrets = [sa.json.private_key, shortSa.json.private_key, badSa.json.private_key,
        ...tokens.issued.map((t) => t.token), ...shortTokens.issued.map((t) => t.token)];
    const pem = (k) => k.split('\n')[1];      // a line of the key's body
    assert.deepEqual(gw.leakedSecrets(secrets.map((s) => (s.includes('PRIVATE KEY') ? pem(s) : s))), []);
    const st = JSON.stringify(await gw.status());
    for (const s of secrets) assert.ok(!st.includes(s.includes('PRIVATE KEY') ? pem(s) : s), 'a secret in the status');
});
