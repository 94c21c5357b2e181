// Configuration changes without dropping requests: llmctl reload (good and
// bad configs), nginx -s reload under load, and a cold start of nginx alone
// from controld's snapshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, pool,
    NGINX_BIN, waitFor, alive, badLogLines, parseSse,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-reload-');
let mock, gw;

function config(...extra) {
    return {
        model_list: [
            openaiDeployment('model-a', mock, 'upstream-a'),
            // Each answer takes ~80 ms, so reloads overlap requests in flight.
            openaiDeployment('slow-a', mock, 'fault-slow-headers-80'),
            ...extra,
        ],
    };
}

async function modelIds(g = gw) {
    const page = await g.client().models.list();
    return page.data.map((m) => m.id).sort();
}

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY, chunkDelayMs: 5 });
    gw = await startGateway({ config: config(), env: { OPENAI_API_KEY: PROVIDER_KEY } });
});

after(() => closeAll(gw, mock));

test('llmctl reload with an added model: models list and routing have it', async () => {
    assert.deepEqual(await modelIds(), ['model-a', 'slow-a']);
    const res = await gw.reload(config(openaiDeployment('model-b', mock, 'upstream-b')));
    assert.equal(res.code, 0, `llmctl reload failed: ${res.stdout}${res.stderr}`);
    assert.deepEqual(await modelIds(), ['model-a', 'model-b', 'slow-a']);
    mock.reset();
    const chat = await gw.client().chat.completions.create({ model: 'model-b', messages: [{ role: 'user', content: 'new' }] });
    assert.equal(mock.last().body.model, 'upstream-b');
    assert.equal(chat.choices[0].message.content, mock.last().response.text);
});

test('llmctl reload with an invalid config: non-zero exit naming file:line, old config keeps serving', async () => {
    const before = await modelIds();
    // Line 4 is no number (an unknown provider would only disable the
    // deployment: providers_table, litellm_config).
    const bad = [
        'model_list:',
        '  - model_name: "model-c"',
        '    litellm_params:',
        '      rpm: "lots"',
        '      model: "openai/whatever"',
        'general_settings:',
        '  master_key: "os.environ/LITELLM_MASTER_KEY"',
        '',
    ].join('\n');
    const res = await gw.reload(bad);
    const out = res.stdout + res.stderr;
    assert.notEqual(res.code, 0, 'llmctl reload must fail on an invalid config');
    assert.ok(out.includes(`${path.basename(gw.configPath)}:4`), `error must name config.yaml:4, got:\n${out}`);
    assert.deepEqual(await modelIds(), before, 'the running config must stay in place');
    const chat = await gw.client().chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'still here' }] });
    assert.ok(chat.choices[0].message.content.includes('still here'));

    const syntax = await gw.reload('model_list:\n  - model_name: "x"\n    litellm_params: {model: "openai/x"\n');
    assert.notEqual(syntax.code, 0, 'a YAML syntax error must fail');
    assert.match(syntax.stdout + syntax.stderr, /config\.yaml:\d+/);
    assert.deepEqual(await modelIds(), before);
});

test('200 requests (concurrency 10) across llmctl reload and nginx -s reload all succeed', async () => {
    // Back to a good config first (the previous test left a bad file on disk).
    const first = await gw.reload(config());
    assert.equal(first.code, 0, first.stderr);
    let done = 0;
    const reloads = [];
    const traffic = pool(200, 10, async (i) => {
        const stream = i % 2 === 1;
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'slow-a', stream, messages: [{ role: 'user', content: `req ${i}` }] },
        });
        done++;
        if (res.status !== 200) throw new Error(`request ${i}: ${res.status} ${res.text.slice(0, 200)}`);
        const text = stream
            ? parseSse(res.text).filter((e) => e.json).map((e) => e.json.choices[0]?.delta?.content ?? '').join('')
            : res.json.choices[0].message.content;
        if (!text.endsWith(`you said req ${i}`)) throw new Error(`request ${i}: wrong or cut answer ${JSON.stringify(text)}`);
        if (stream && parseSse(res.text).at(-1)?.data !== '[DONE]') throw new Error(`request ${i}: stream not terminated`);
        return res.status;
    });
    const steps = [
        [20, () => gw.reload(config(openaiDeployment('model-c', mock, 'upstream-c')))],
        [60, () => gw.nginxReload()],
        [110, () => gw.reload(config())],
        [150, () => gw.nginxReload()],
    ];
    const driver = (async () => {
        for (const [at, step] of steps) {
            await waitFor(() => done >= at, { timeoutMs: 60000, intervalMs: 5, what: `${at} requests` });
            reloads.push(await step());
        }
    })();
    const [results] = await Promise.all([traffic, driver]);
    const failed = results.filter((r) => !r.ok).map((r) => r.error.message);
    assert.deepEqual(failed, [], `${failed.length} requests failed during reloads`);
    for (const r of reloads) assert.equal(r.code, 0, `reload failed: ${r.stdout}${r.stderr}`);
    assert.deepEqual(await modelIds(), ['model-a', 'slow-a']);
});

test('cold start: nginx alone serves from the snapshot controld wrote', async () => {
    const cold = await startGateway({ config: config(), env: { OPENAI_API_KEY: PROVIDER_KEY } });
    let child;
    try {
        await cold.stop();
        assert.ok(!alive(cold.controldPid), 'controld must be down: nginx has to serve from the snapshot');
        child = spawn(NGINX_BIN, ['-p', cold.prefix, '-c', cold.nginxConf, '-e', path.join(cold.logDir, 'error.log')], {
            stdio: 'ignore',
        });
        await waitFor(async () => {
            try { return (await request(`${cold.url}/health/liveliness`, { timeoutMs: 1000 })).status > 0; } catch { return false; }
        }, { timeoutMs: 10000, what: 'nginx to accept connections' });
        assert.deepEqual(await modelIds(cold), ['model-a', 'slow-a']);
        mock.reset();
        const chat = await cold.client().chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'cold' }] });
        assert.equal(mock.last().body.model, 'upstream-a');
        assert.equal(chat.choices[0].message.content, mock.last().response.text);
    } finally {
        if (child && child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGQUIT');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
            if (alive(child.pid)) child.kill('SIGKILL');
        }
    }
    assert.deepEqual(badLogLines(cold.errorLog()), []);
});
