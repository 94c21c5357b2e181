// A provider that reports no usage (here: a client stream that turned
// include_usage off) is still accounted: the module estimates the tokens
// from the bytes and marks the estimate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-est-');
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('est', mock, 'upstream-est')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(() => closeAll(gw, mock));

async function usage() {
    const res = await request('http://localhost/_llm/usage', {
        method: 'GET', socketPath: path.join(gw.prefix, 'run', 'admin.sock'),
    });
    assert.equal(res.status, 200, res.text);
    return Object.values(res.json.deployments)[0];
}

test('a stream without usage is estimated from its bytes, and counted', async () => {
    const before = await usage();
    const res = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: {
            model: 'est', stream: true, stream_options: { include_usage: false },
            messages: [{ role: 'user', content: 'please answer at some length' }],
        },
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(!/"usage":\{/.test(res.text), 'the provider sent no usage');
    assert.equal(mock.last().body.stream_options.include_usage, false,
                 'the client\'s choice is forwarded');

    const after = await usage();
    assert.equal(after.requests - before.requests, 1);
    assert.ok(after.prompt_tokens - before.prompt_tokens > 0, 'prompt tokens estimated');
    assert.ok(after.completion_tokens - before.completion_tokens > 0, 'completion tokens estimated');
});
