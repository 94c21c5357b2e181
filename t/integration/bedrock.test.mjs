// AWS Bedrock (Converse / ConverseStream) behind every client format: the
// mock recomputes each request's SigV4 signature and refuses a wrong one,
// streams come back as event-stream binary frames (cut at odd bytes on the
// wire), tool calls and usage cross over, a throttled deployment falls back,
// and bad credentials reach the client as an auth error in its format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, request, collectChatStream, parseSse,
} from '../lib/index.mjs';

const AWS = {
    accessKeyId: 'AKIDEXAMPLEBEDROCK01',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYBEDROCKKEY',
    sessionToken: 'IQoJb3JpZ2luX2VjEBEDROCKSESSIONTOKEN',
    region: 'us-west-2',
};
const MODEL_ID = 'anthropic.claude-3-5-haiku-20241022-v1:0';
let mock, backup, gw, client;

before(async () => {
    mock = await startMockProvider({ aws: AWS });
    backup = await startMockProvider({ name: 'backup' });
    const bedrock = (model, extra = {}) => ({
        model: `bedrock/${model}`, api_base: mock.url, aws_region_name: AWS.region,
        input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, ...extra,
    });
    gw = await startGateway({
        config: {
            model_list: [
                { model_name: 'claude-bedrock', litellm_params: bedrock(`converse/${MODEL_ID}`) },
                // credentials from litellm_params instead of the environment
                { model_name: 'claude-bedrock-params', litellm_params: bedrock(MODEL_ID, {
                    aws_access_key_id: AWS.accessKeyId, aws_secret_access_key: AWS.secretAccessKey,
                    aws_session_token: AWS.sessionToken }) },
                { model_name: 'bedrock-badkey', litellm_params: bedrock(MODEL_ID, {
                    aws_access_key_id: AWS.accessKeyId, aws_secret_access_key: 'not-the-secret-at-all-000000' }) },
                { model_name: 'bedrock-throttled', litellm_params: bedrock('fault-429') },
                { model_name: 'openai-backup', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${backup.url}/v1`, api_key: 'sk-backup-000000000000' } },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true, fallbacks: [{ 'bedrock-throttled': ['openai-backup'] }] },
        },
        env: {
            AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
            AWS_SESSION_TOKEN: AWS.sessionToken,
        },
    });
    client = gw.client();
});

after(() => closeAll(gw, mock, backup));

function post(path, body, headers = {}) {
    return request(`${gw.url}${path}`, { body, headers: { authorization: `Bearer ${gw.masterKey}`, ...headers } });
}

function lastBedrock(stream) {
    const rec = mock.last();
    assert.equal(rec.format, 'bedrock');
    assert.equal(rec.path, `/model/${encodeURIComponent(MODEL_ID)}/${stream ? 'converse-stream' : 'converse'}`);
    assert.match(rec.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEBEDROCK01\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    assert.equal(rec.headers['x-amz-security-token'], AWS.sessionToken);
    assert.equal(rec.response.status, 200, JSON.stringify(rec.response));
    return rec;
}

const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

test('openai SDK, whole answer: signed Converse request, answer, usage and cost', async () => {
    const res = await client.chat.completions.create({
        model: 'claude-bedrock', max_tokens: 100,
        messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hello bedrock' }],
    });
    assert.match(res.choices[0].message.content, /you said hello bedrock/);
    assert.equal(res.choices[0].finish_reason, 'stop');
    const rec = lastBedrock(false);
    assert.deepEqual(rec.body.system, [{ text: 'Be terse.' }]);
    assert.equal(rec.body.inferenceConfig.maxTokens, 100);
    assert.equal(res.usage.prompt_tokens, rec.response.usage.inputTokens);
    assert.equal(res.usage.completion_tokens, rec.response.usage.outputTokens);
});

test('openai SDK, stream cut at odd bytes: deltas, finish and the usage chunk', async () => {
    const stream = await client.chat.completions.create({
        model: 'claude-bedrock', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me mock-wire[bytes=300:1]' }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    const rec = lastBedrock(true);
    assert.ok(rec.response.wire, 'the mock cut the answer');
    assert.equal(out.deltas.join(''), rec.response.text);
    assert.equal(out.finishReason, 'stop');
    assert.equal(out.usage.prompt_tokens, rec.response.usage.inputTokens);
});

test('openai tool calls, whole and streamed', async () => {
    const res = await client.chat.completions.create({
        model: 'claude-bedrock-params', tools: TOOLS, messages: [{ role: 'user', content: 'weather?' }],
    });
    const call = res.choices[0].message.tool_calls[0];
    assert.equal(res.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    const rec = lastBedrock(false);
    assert.equal(rec.body.toolConfig.tools[0].toolSpec.name, 'get_weather');
    assert.equal(call.id, rec.response.toolUse.toolUseId);

    // the result goes back as a toolResult in the user turn
    const res2 = await client.chat.completions.create({
        model: 'claude-bedrock-params', tools: TOOLS, messages: [
            { role: 'user', content: 'weather?' }, res.choices[0].message,
            { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    assert.match(res2.choices[0].message.content, /sunny/);
    const sent = mock.last().body.messages;
    assert.equal(sent[1].content.find((b) => b.toolUse).toolUse.toolUseId, call.id);
    assert.equal(sent[2].content[0].toolResult.toolUseId, call.id);

    const stream = await client.chat.completions.create({
        model: 'claude-bedrock', stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'weather, streamed?' }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    assert.equal(out.finishReason, 'tool_calls');
    const args = out.chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls || []).map((t) => t.function?.arguments || '').join('');
    assert.deepEqual(JSON.parse(args), { city: 'Paris' });
});

test('Anthropic client: whole and streamed, tool_use blocks', async () => {
    const res = await post('/v1/messages', { model: 'claude-bedrock', max_tokens: 64, messages: [{ role: 'user', content: 'hi from anthropic' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.type, 'message');
    assert.match(res.json.content[0].text, /hi from anthropic/);
    assert.equal(res.json.usage.input_tokens, lastBedrock(false).response.usage.inputTokens);

    const s = await post('/v1/messages', { model: 'claude-bedrock', max_tokens: 64, stream: true,
        tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'tools, streamed mock-wire[bytes=200:1]' }] },
    { 'anthropic-version': '2023-06-01' });
    assert.equal(s.status, 200, s.text);
    const evs = parseSse(s.text);
    const names = evs.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.equal(names[names.length - 1], 'message_stop');
    const tool = evs.find((e) => e.event === 'content_block_start' && e.json.content_block.type === 'tool_use');
    assert.equal(tool.json.content_block.name, 'get_weather');
    const json = evs.filter((e) => e.json?.delta?.type === 'input_json_delta').map((e) => e.json.delta.partial_json).join('');
    assert.deepEqual(JSON.parse(json), { city: 'Paris' });
    assert.equal(evs.find((e) => e.event === 'message_delta').json.delta.stop_reason, 'tool_use');
});

test('Gemini client: generateContent and streamGenerateContent', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi from gemini' }] }] };
    const res = await post('/v1beta/models/claude-bedrock:generateContent', body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.candidates[0].content.parts[0].text, /hi from gemini/);
    assert.equal(res.json.usageMetadata.promptTokenCount, lastBedrock(false).response.usage.inputTokens);

    const s = await post('/v1beta/models/claude-bedrock:streamGenerateContent?alt=sse', body);
    assert.equal(s.status, 200, s.text);
    const text = parseSse(s.text).map((e) => e.json?.candidates?.[0]?.content?.parts?.[0]?.text || '').join('');
    assert.equal(text, lastBedrock(true).response.text);
});

test('a throttled Bedrock deployment falls back to another provider', async () => {
    backup.reset();
    const res = await client.chat.completions.create({ model: 'bedrock-throttled', messages: [{ role: 'user', content: 'fallback please' }] });
    assert.match(res.choices[0].message.content, /fallback please/);
    assert.equal(backup.requests.length, 1);
    assert.ok(mock.requests.some((r) => r.path.includes('fault-429') && r.response.status === 429));
});

test('bad credentials: AWS refuses the signature, the client gets an auth error in its format', async () => {
    const res = await post('/v1/chat/completions', { model: 'bedrock-badkey', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.status, 403, res.text);
    assert.match(res.json.error.message, /signature we calculated does not match/);
    assert.equal(mock.last().response.kind, 'InvalidSignatureException');
    const an = await post('/v1/messages', { model: 'bedrock-badkey', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(an.status, 403, an.text);
    assert.equal(an.json.type, 'error');
    assert.equal(an.json.error.type, 'permission_error');
    // no secret in any log or status output
    const logs = gw.allLogs() + JSON.stringify(await gw.status());
    for (const secret of [AWS.secretAccessKey, AWS.sessionToken, 'not-the-secret-at-all-000000']) {
        assert.ok(!logs.includes(secret), 'a secret reached the logs or status');
    }
});

test('"too long" from Bedrock is a context window error for the client', async () => {
    const res = await post('/v1/chat/completions', { model: 'claude-bedrock', messages: [{ role: 'user', content: 'too long for bedrock' }] });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /Input is too long/);
});
