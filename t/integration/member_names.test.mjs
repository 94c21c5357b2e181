// The gateway routes, authorises and charges on the body's `model` (and
// reads `stream` and `max_tokens`); the provider must read the same ones.
// JSON lets a name be written with escapes ("\u006dodel" is "model" to
// every parser, and the last of duplicate names wins), and Go's
// encoding/json (Ollama's server) also takes "Model", "MODEL", or "ſtream"
// with U+017F, for a field.  A body whose names could be read two ways must
// never reach a provider as something other than what was routed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, assertOpenAIError,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-names-');
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: {
            model_list: [
                openaiDeployment('cheap', mock, 'provider-cheap'),
                openaiDeployment('dear', mock, 'provider-dear'),
            ],
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(() => closeAll(gw, mock));

function post(body, key = gw.masterKey) {
    return request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
    });
}

const MESSAGES = '"messages":[{"role":"user","content":"hi"}]';

test('"model" written with escapes is the model', async () => {
    mock.reset();
    const res = await post(`{"\\u006dodel":"dear",${MESSAGES}}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.last().body.model, 'provider-dear', mock.last().rawBody);
});

test('an escaped "model" naming an unknown model is refused as unknown', async () => {
    mock.reset();
    const res = await post(`{"mod\\u0065l":"nowhere",${MESSAGES}}`);
    const err = assertOpenAIError(res, 400, 'escaped unknown model');
    assert.match(err.message, /nowhere/);
    assert.equal(mock.requests.length, 0);
});

for (const [what, body] of [
    ['plain', `{"model":"cheap",${MESSAGES},"model":"dear"}`],
    ['escaped after plain', `{"model":"cheap",${MESSAGES},"\\u006dodel":"dear"}`],
    ['all escaped', `{"model":"cheap",${MESSAGES},"\\u006d\\u006f\\u0064\\u0065\\u006c":"dear"}`],
    ['"stream" twice', `{"model":"cheap",${MESSAGES},"stream":false,"str\\u0065am":true}`],
]) {
    test(`a request member named twice (${what}): 400, nothing sent`, async () => {
        mock.reset();
        const res = await post(body);
        const err = assertOpenAIError(res, 400, what);
        assert.match(err.message, /twice/);
        assert.equal(mock.requests.length, 0);
    });
}

test('a key allowed one model cannot reach another through an escaped name', async () => {
    const created = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: ['cheap'] }),
    });
    assert.equal(created.status, 200, created.text);
    const key = created.json.key;
    mock.reset();
    assertOpenAIError(await post(`{"\\u006dodel":"dear",${MESSAGES}}`, key), 401, 'escaped model not allowed');
    assertOpenAIError(await post(`{"model":"cheap",${MESSAGES},"\\u006dodel":"dear"}`, key), 400, 'duplicate');
    assert.equal(mock.requests.length, 0);
    const ok = await post(`{"\\u006dodel":"cheap",${MESSAGES}}`, key);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(mock.last().body.model, 'provider-cheap');
});

for (const [what, name] of [
    ['"Model"', 'Model'], ['"MODEL"', 'MODEL'], ['"Stream"', 'Stream'], ['"Max_Tokens"', 'Max_Tokens'],
    ['"\\u017ftream" (long s)', '\\u017ftream'], ['"ſtream" in UTF-8', 'ſtream'],
    ['"max_to\\u212aens" (Kelvin sign)', 'max_to\\u212aens'], ['"STREAM_OPTIONS"', 'STREAM_OPTIONS'],
]) {
    test(`a member named ${what} next to the real ones: 400, nothing sent`, async () => {
        mock.reset();
        const value = /model/i.test(name) ? '"dear"' : /stream$/i.test(name) || /ſtream|017f/.test(name) ? 'true' : '5';
        const res = await post(`{"model":"cheap",${MESSAGES},"${name}":${value}}`);
        const err = assertOpenAIError(res, 400, what);
        assert.match(err.message, /letter case/);
        assert.equal(mock.requests.length, 0);
    });
}

test('names that only look alike are ordinary members', async () => {
    mock.reset();
    const res = await post(`{"model":"cheap",${MESSAGES},"models":"x","model_":1,"streams":true,"mode":"y"}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(mock.last().body.model, 'provider-cheap');
    assert.equal(mock.last().body.streams, true);
});
