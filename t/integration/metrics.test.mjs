// /metrics: Prometheus text from the shared zone.  promtool checks the
// format, and a real Prometheus scrapes the gateway (on the unauthenticated
// metrics_listen address) and answers a PromQL query for requests made here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, freePort, makeTempDir, run, waitFor,
} from '../lib/index.mjs';
import { sample } from '../lib/prom.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw, client, metricsPort;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    metricsPort = await freePort();
    gw = await startGateway({
        config: {
            model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')],
            general_settings: {
                metrics_listen: `127.0.0.1:${metricsPort}`,
                metrics_names: 'both',
            },
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    client = new OpenAI({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
});

after(() => closeAll(gw, mock));

const scrape = (url, key) => request(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});

test('the gateway listener wants the master key', async () => {
    const res = await scrape(`${gw.url}/metrics`);
    assert.equal(res.status, 401, res.text);
    const bad = await scrape(`${gw.url}/metrics`, makeSecret('sk-wrong-'));
    assert.equal(bad.status, 401);
});

test('requests, tokens, spend and latency are counted; promtool accepts the text', async () => {
    const before = await scrape(`${gw.url}/metrics`, gw.masterKey);
    assert.equal(before.status, 200, before.text);
    assert.match(before.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const base = sample(before.text, 'llm_requests_total', { model_group: 'chat-model', status_class: '2xx' }) ?? 0;

    const res = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'count me' }] });
    const stream = await client.chat.completions.create({ model: 'chat-model', stream: true, messages: [{ role: 'user', content: 'stream me' }] });
    for await (const _ of stream) { /* drain */ }
    const missing = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] },
    });
    assert.equal(missing.status >= 400 && missing.status < 500, true);

    const after = await scrape(`${gw.url}/metrics`, gw.masterKey);
    const text = after.text;
    const labels = { model_group: 'chat-model', provider: 'openai', ingress: 'openai', status_class: '2xx' };
    assert.equal(sample(text, 'llm_requests_total', labels), base + 2);
    assert.ok(sample(text, 'llm_requests_total', { deployment: '', status_class: '4xx' }) >= 1, 'unrouted 4xx counted');
    assert.ok(sample(text, 'llm_input_tokens_total', { model_group: 'chat-model' }) >= res.usage.prompt_tokens);
    assert.ok(sample(text, 'llm_output_tokens_total', { model_group: 'chat-model' }) >= res.usage.completion_tokens);
    assert.equal(sample(text, 'llm_request_duration_seconds_count', { model_group: 'chat-model' }), base + 2);
    assert.ok(sample(text, 'llm_time_to_first_token_seconds_count', { model_group: 'chat-model' }) >= 1);
    assert.equal(sample(text, 'llm_request_duration_seconds_bucket', { model_group: 'chat-model', le: '+Inf' }), base + 2);
    assert.equal(sample(text, 'llm_deployment_in_flight', { model_group: 'chat-model' }), 0);
    assert.equal(sample(text, 'llm_deployment_cooling_down', { model_group: 'chat-model' }), 0);
    assert.ok(sample(text, 'llm_config_generation') >= 1);
    // LiteLLM's names beside ours (metrics_names: both)
    assert.ok(sample(text, 'litellm_proxy_total_requests_metric_total', { requested_model: 'chat-model' }) >= 2);
    assert.ok(sample(text, 'litellm_input_tokens_metric_total', { requested_model: 'chat-model' }) >= 1);
    assert.notEqual(sample(text, 'litellm_spend_metric_total', { litellm_model_name: 'chat-model' }), null);
    assert.equal(sample(text, 'litellm_deployment_state', { litellm_model_name: 'chat-model' }), 0);

    // no secret in a scrape
    for (const secret of [PROVIDER_KEY, gw.masterKey]) assert.ok(!text.includes(secret));

    const dir = makeTempDir('ngx-llm-metrics');
    const file = path.join(dir, 'scrape.prom');
    fs.writeFileSync(file, text);
    const check = await run('/bin/sh', ['-c', `promtool check metrics < ${file}`]);
    assert.equal(check.code, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool has no lint complaints');
});

test('a failing deployment shows failures and a cooldown by reason', async () => {
    const m2 = await startMockProvider({ apiKey: PROVIDER_KEY });
    const g2 = await startGateway({
        config: {
            model_list: [
                openaiDeployment('flaky', m2, 'fault-429'),
                openaiDeployment('flaky', m2, 'fault-429'),
            ],
            router_settings: { num_retries: 0, allowed_fails: 0, cooldown_time: 60 },
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    try {
        await request(`${g2.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${g2.masterKey}` },
            body: { model: 'flaky', messages: [{ role: 'user', content: 'fail' }] },
        });
        const text = (await scrape(`${g2.url}/metrics`, g2.masterKey)).text;
        const fails = sample(text, 'llm_deployment_failures_total', { model_group: 'flaky', reason: 'rate_limit' });
        assert.ok(fails >= 1, text.split('\n').filter((l) => l.startsWith('llm_deployment_f')).join('\n'));
        assert.ok(sample(text, 'llm_deployment_cooldowns_total', { model_group: 'flaky', reason: 'rate_limit' }) >= 1);
        assert.ok(sample(text, 'llm_deployment_cooling_down', { model_group: 'flaky' }) >= 1);

        // llmctl proxy-status names the deployments cooling down
        const ps = await g2.llmctl(['proxy-status', '--prefix', g2.prefix, '--json']);
        assert.equal(ps.code, 0, ps.stderr);
        const view = JSON.parse(ps.stdout);
        assert.match(view.cooling_down, /\(flaky\)/);
        assert.equal(view.controld_up, true);
    } finally {
        await closeAll(g2, m2);
    }
});

test('a real Prometheus scrapes metrics_listen and answers PromQL for our requests', async () => {
    const open = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(open.status, 200, 'metrics_listen needs no key');
    assert.equal((await scrape(`http://127.0.0.1:${metricsPort}/v1/models`)).status, 404, 'only /metrics there');

    await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'for prometheus' }] });
    const want = sample((await scrape(`${gw.url}/metrics`, gw.masterKey)).text, 'llm_requests_total',
        { model_group: 'chat-model', status_class: '2xx' });

    const dir = makeTempDir('ngx-llm-prom');
    const promPort = await freePort();
    fs.writeFileSync(path.join(dir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ngx_llm\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`);
    const prom = spawn('prometheus', [
        `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
    ], { stdio: ['ignore', fs.openSync(path.join(dir, 'prom.log'), 'w'), fs.openSync(path.join(dir, 'prom.err'), 'w')] });
    try {
        const q = encodeURIComponent('sum(llm_requests_total{model_group="chat-model",status_class="2xx"})');
        let got = null;
        await waitFor(async () => {
            const r = await request(`http://127.0.0.1:${promPort}/api/v1/query?query=${q}`).catch(() => null);
            if (!r || r.status !== 200) return false;
            const body = JSON.parse(r.text);
            got = body.data?.result?.[0]?.value?.[1];
            return got !== undefined && Number(got) >= want;
        }, { timeoutMs: 60000, intervalMs: 500, what: 'Prometheus to scrape the gateway' });
        assert.equal(Number(got), want);
        // every query of the shipped Grafana dashboard parses and runs
        const dash = JSON.parse(fs.readFileSync(new URL('../../conf/grafana-ngx-llm.json', import.meta.url), 'utf8'));
        const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$model_group', '.*')));
        assert.ok(exprs.length >= 10);
        for (const e of exprs) {
            const r = await request(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(e)}`);
            assert.equal(r.status, 200, `${e}: ${r.text}`);
            assert.equal(JSON.parse(r.text).status, 'success', e);
        }
        const up = await request(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('up{job="ngx_llm"}')}`);
        assert.equal(JSON.parse(up.text).data.result[0].value[1], '1');
    } finally {
        prom.kill('SIGTERM');
        await new Promise((r) => prom.once('exit', r));
    }
});

test('llmctl proxy-status: requests/s, in flight, error rate from the metrics', async () => {
    const ps = gw.llmctl(['proxy-status', '--prefix', gw.prefix, '--json']);
    // requests during its one-second window
    const end = Date.now() + 1500;
    let sent = 0;
    while (Date.now() < end) {
        await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'busy' }] });
        sent++;
    }
    const r = await ps;
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.ok(view.requests >= 1 && view.requests <= sent, r.stdout);
    assert.ok(view.requests_per_s > 0);
    assert.equal(view.error_rate, 0);
    assert.equal(view.cooling_down, '');
    assert.ok(view.config_generation >= 1);

    const table = await gw.llmctl(['proxy-status', '--prefix', gw.prefix]);
    assert.equal(table.code, 0, table.stderr);
    for (const row of ['requests/s', 'in flight', 'error rate', 'cooling down', 'controld', 'config gen']) {
        assert.match(table.stdout, new RegExp(`^${row}\\s`, 'm'));
    }
    assert.match(table.stdout, /^cooling down\s+none$/m);
    assert.ok(!table.stdout.includes('\u001b['), 'no colour off a TTY');
    assert.equal((await gw.llmctl(['proxy-status', '--prefix', gw.prefix, '--bogus'])).code, 2);
    const none = makeTempDir('ngx-llm-noprefix');
    assert.equal((await gw.llmctl(['proxy-status', '--prefix', none])).code, 1);
});

// llm_metrics_collect off (what `make bench` target e measures against):
// requests are served and no counter moves; back on, they count again.
test('llm_metrics_collect off: requests are served and not counted; on again, counted', async () => {
    const conf = fs.readFileSync(gw.nginxConf, 'utf8');
    assert.match(conf, /^\s*llm_zone .*$/m);
    const labels = { model_group: 'chat-model', status_class: '2xx' };
    const count = async () => sample((await scrape(`${gw.url}/metrics`, gw.masterKey)).text,
        'llm_requests_total', labels) ?? 0;
    // a fresh connection each: an SDK's kept-alive one may be the one an
    // old worker closes as it goes (nginx -s reload), a reset to the client
    const ask = async () => {
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'chat-model', messages: [{ role: 'user', content: 'n' }] },
        });
        assert.equal(res.status, 200, res.text);
        return res.json;
    };
    try {
        fs.writeFileSync(gw.nginxConf, conf.replace(/^(\s*llm_zone .*)$/m, '$1\n    llm_metrics_collect off;'));
        await gw.nginxReload();
        // old workers still count until they have gone
        await waitFor(async () => { const n = await count(); await ask(); return await count() === n; },
            { timeoutMs: 60000, what: 'the new workers (not counting)' });
        const n = await count();
        assert.ok(n > 0, 'the deployment\'s counts so far still show');
        for (let i = 0; i < 3; i++) assert.ok((await ask()).choices[0].message.content);
        assert.equal(await count(), n, 'no request counted');
        const text = (await scrape(`${gw.url}/metrics`, gw.masterKey)).text;
        assert.ok(sample(text, 'llm_config_generation') >= 1, 'state gauges still served');
    } finally {
        fs.writeFileSync(gw.nginxConf, conf);
        await gw.nginxReload();
    }
    await waitFor(async () => { const n = await count(); await ask(); return await count() === n + 1; },
        { timeoutMs: 60000, what: 'counting again' });
});
