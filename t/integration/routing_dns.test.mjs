// Provider host names are re-resolved while the gateway runs: controld
// resolves them (the module never does) and publishes changed answers, so
// a provider that moves is followed without any reload.
//
// The gateway runs in its own mount namespace with a hosts file of the
// test's bind-mounted over /etc/hosts (root and util-linux's unshare, as in
// CI); "provider.test" first points at 127.0.0.2, then at 127.0.0.3, where
// two mock providers listen on the same port.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateHosts } from '../lib/hosts.mjs';

const ns = privateHosts('127.0.0.1 localhost\n127.0.0.2 provider.test\n');
process.env.LLM_RESOLVE_INTERVAL = '1';

const { closeAll, startGateway, makeSecret, startMockProvider, waitFor } =
    await import('../lib/index.mjs');

const KEY = makeSecret('sk-prov-dns-');
let a, b, gw;

before(async () => {
    if (!ns.canUnshare) return;
    a = await startMockProvider({ apiKey: KEY, host: '127.0.0.2' });
    b = await startMockProvider({ apiKey: KEY, host: '127.0.0.3', port: a.port });
    gw = await startGateway({
        config: {
            model_list: [{
                model_name: 'moving',
                litellm_params: {
                    model: 'openai/gpt-moving',
                    api_base: `http://provider.test:${a.port}/v1`,
                    api_key: 'os.environ/DNS_PROVIDER_KEY',
                },
            }],
        },
        env: { DNS_PROVIDER_KEY: KEY },
    });
});

after(async () => {
    await closeAll(gw, a, b);
    ns.remove();
});

async function ask(content) {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'moving', messages: [{ role: 'user', content }] }),
    });
    return { status: res.status, text: await res.text() };
}

test('a changed DNS answer is followed without a reload; keep-alive is kept', { skip: !ns.canUnshare && 'needs root and unshare --mount' }, async () => {
    for (let i = 0; i < 3; i++) {
        const res = await ask(`first ${i}`);
        assert.equal(res.status, 200, res.text);
    }
    assert.equal(a.requests.length, 3, 'served at 127.0.0.2');
    assert.equal(b.requests.length, 0);
    assert.equal(a.connections, 1, 'one keep-alive connection for three requests');

    // the provider moves: same name, new address (controld re-resolves
    // every LLM_RESOLVE_INTERVAL = 1 s here)
    ns.write('127.0.0.1 localhost\n127.0.0.3 provider.test\n');

    await waitFor(async () => {
        const res = await ask('probe');
        assert.equal(res.status, 200, res.text);
        return b.requests.length > 0;
    }, { timeoutMs: 10000, intervalMs: 300, what: 'requests reaching the new address' });

    const servedByA = a.requests.length;
    b.requests.length = 0;

    for (let i = 0; i < 3; i++) {
        const res = await ask(`second ${i}`);
        assert.equal(res.status, 200, res.text);
    }
    assert.equal(b.requests.length, 3, 'served at 127.0.0.3 after the move');
    assert.equal(a.requests.length, servedByA, 'nothing more went to the old address');
    assert.equal(b.connections, 1, 'keep-alive to the new address too');
    assert.equal(b.requests[0].headers.host, `provider.test:${a.port}`,
                 'Host still names the provider');
});
