// Two providers behind one address (one CDN edge, one server under two
// names) must never share a keep-alive connection: nginx's cache matches
// connections by address, and a request for one provider would then ride a
// TLS session opened with the other's server name.  The module keys its
// provider addresses by scheme and host as well.
//
// As in routing_dns.test.mjs, the gateway runs in its own mount namespace
// with a hosts file of the test's over /etc/hosts: a.provider.test and
// b.provider.test both name 127.0.0.1, where one TLS mock listens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateHosts } from '../lib/hosts.mjs';

const ns = privateHosts('127.0.0.1 localhost a.provider.test b.provider.test\n');

const { closeAll, startGateway, makeSecret, startMockProvider, makeTestPki, deployment, request } =
    await import('../lib/index.mjs');

const KEY = makeSecret('sk-prov-sni-');
let mock, gw;

before(async () => {
    if (!ns.canUnshare) return;
    const pki = makeTestPki();
    mock = await startMockProvider({ apiKey: KEY, tls: { cert: pki.cert, key: pki.key } });
    const port = mock.port;
    gw = await startGateway({
        config: {
            model_list: ['a', 'b'].map((n) => deployment(`via-${n}`, `openai/up-${n}`, {
                api_base: `https://${n}.provider.test:${port}/v1`, api_key: 'os.environ/SNI_PROVIDER_KEY',
            })),
            router_settings: { num_retries: 0 },
        },
        env: { SNI_PROVIDER_KEY: KEY },
        caFile: pki.caFile,
    });
});

after(async () => {
    await closeAll(gw, mock);
    ns.remove();
});

test('each provider\'s requests arrive on connections opened with its own server name', { skip: !ns.canUnshare && 'needs root and unshare --mount' }, async () => {
    mock.reset();
    const opened = mock.connections;
    for (let i = 0; i < 10; i++) {
        const model = i % 2 ? 'via-b' : 'via-a';
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model, messages: [{ role: 'user', content: `turn ${i}` }] },
        });
        assert.equal(res.status, 200, res.text);
    }
    assert.equal(mock.requests.length, 10);
    for (const seen of mock.requests) {
        const name = seen.headers.host.split(':')[0];
        assert.equal(seen.body.model, name === 'a.provider.test' ? 'up-a' : 'up-b');
        assert.equal(seen.tls?.servername, name, `Host ${seen.headers.host} on a connection for ${seen.tls?.servername}`);
    }
    // still kept alive: connections are reused within each provider (the
    // mock counts a TLS connection twice, at accept and at the handshake)
    const connections = (mock.connections - opened) / 2;
    assert.ok(connections >= 2 && connections < 10, `${connections} connections for 10 requests`);
});
