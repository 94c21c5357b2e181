// Upstream TLS: nginx verifies the provider's certificate against the CA
// file given to llmctl (--ca-file) and sends SNI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    withGateway, startMockProvider, makeSecret, makeTestPki, deployment, request, assertOpenAIError,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-tls-');
let pki, mock;

function config() {
    return {
        model_list: [deployment('secure', 'openai/upstream-tls', {
            api_base: `${mock.url}/v1`, // https://localhost:PORT/v1
            api_key: 'os.environ/OPENAI_API_KEY',
        })],
        router_settings: { num_retries: 0 },
    };
}

before(async () => {
    pki = makeTestPki();
    mock = await startMockProvider({ apiKey: PROVIDER_KEY, tls: { cert: pki.cert, key: pki.key } });
});

after(async () => { await mock?.close(); });

test('https provider verified by the test CA -> 200, with SNI', async () => {
    await withGateway({ config: config(), env: { OPENAI_API_KEY: PROVIDER_KEY }, caFile: pki.caFile }, async (gw) => {
        mock.reset();
        const res = await gw.client().chat.completions.create({
            model: 'secure', messages: [{ role: 'user', content: 'over tls' }],
        });
        const seen = mock.last();
        assert.equal(res.choices[0].message.content, seen.response.text);
        assert.equal(seen.tls?.servername, 'localhost', 'SNI must name the provider host');
        assert.equal(seen.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    });
});

test('https provider with an unrelated CA -> 502 and a verify failure in error.log', async () => {
    await withGateway({ config: config(), env: { OPENAI_API_KEY: PROVIDER_KEY }, caFile: pki.otherCaFile }, async (gw) => {
        mock.reset();
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'secure', messages: [{ role: 'user', content: 'must not arrive' }] },
        });
        assertOpenAIError(res, 502, 'untrusted upstream certificate');
        assert.equal(mock.requests.length, 0, 'no HTTP request may cross an unverified TLS session');
        assert.match(gw.errorLog(), /certificate verify (error|failed)|unable to get local issuer certificate/i);
        assert.ok(!res.text.includes(PROVIDER_KEY));
    });
});
