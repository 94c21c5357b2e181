// Start/stop a real gateway (llmctl -> /usr/sbin/nginx + ngx_llm_module.so +
// controld) in a private prefix, and look at what it left behind.
//
//   const gw = await startGateway({config, env, workers, caFile});
//   gw.url           'http://127.0.0.1:PORT'
//   gw.masterKey     the generated master key (null with masterKey: null)
//   gw.client()      openai SDK client on gw.url + '/v1' with the master key
//   gw.reload(cfg)   rewrite config.yaml (object or YAML text), `llmctl reload`
//   gw.nginxReload() `nginx -p PREFIX -s reload`
//   gw.status()      GET /_llm/status over PREFIX/run/admin.sock
//   gw.errorLog(), gw.accessLog(), gw.allLogs()
//   gw.stop()        `llmctl stop`; then fails if error.log has [alert]/[emerg]
//                    lines or any log mentions a Sanitizer report
//   withGateway(opts, async (gw) => ...)   start, run, always stop
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import OpenAI from 'openai';
import { LLMCTL, NGINX_BIN, debug } from './env.mjs';
import { makeTempDir, onExit } from './tmp.mjs';
import { freePort } from './ports.mjs';
import { toYaml, toDotEnv } from './yaml.mjs';
import { run, alive, readPid, waitFor } from './proc.mjs';
import { unixRequest } from './http.mjs';

export const MASTER_KEY_ENV = 'LITELLM_MASTER_KEY';

/** A fresh secret that is easy to grep for: prefix + 32 hex chars. */
export function makeSecret(prefix = 'sk-test-') {
    return prefix + crypto.randomBytes(16).toString('hex');
}

/** Lines of a log that show the gateway misbehaved at the nginx level. */
export function badLogLines(text) {
    return text.split('\n').filter((l) => /\[(alert|emerg)\]|Sanitizer|runtime error:/.test(l));
}

function withMasterKey(config, masterKey) {
    if (typeof config === 'string' || masterKey === null) return config;
    const general = { ...(config.general_settings || {}) };
    if (general.master_key === undefined) general.master_key = `os.environ/${MASTER_KEY_ENV}`;
    return { ...config, general_settings: general };
}

function connectable(port) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
    });
}

export class Gateway {
    constructor(opts) {
        this.opts = opts;
        this.dir = makeTempDir('ngx-llm-gw');
        this.prefix = path.join(this.dir, 'prefix');
        this.configPath = path.join(this.dir, 'config.yaml');
        this.envPath = path.join(this.dir, '.env');
        this.masterKey = opts.masterKey === null ? null : (opts.masterKey || makeSecret('sk-master-'));
        this.env = { ...(opts.env || {}) };
        if (this.masterKey !== null) this.env[MASTER_KEY_ENV] ??= this.masterKey;
        this.listen = opts.listen || null;
        this.stopped = false;
        this.started = false;
    }

    get logDir() { return path.join(this.prefix, 'logs'); }
    get runDir() { return path.join(this.prefix, 'run'); }
    get adminSocket() { return path.join(this.runDir, 'admin.sock'); }
    get nginxConf() { return path.join(this.prefix, 'conf', 'nginx.conf'); }

    writeConfig(config) {
        const text = typeof config === 'string' ? config : toYaml(withMasterKey(config, this.masterKey));
        fs.writeFileSync(this.configPath, text);
        return text;
    }

    llmctl(args, timeoutMs = 60000) {
        return run(LLMCTL, args, { logDir: this.dir, timeoutMs });
    }

    async start() {
        if (!fs.existsSync(LLMCTL)) throw new Error(`${LLMCTL} not built (run make)`);
        if (!this.listen) this.listen = `127.0.0.1:${await freePort()}`;
        this.port = Number(this.listen.split(':').pop());
        this.url = `http://${this.listen}`;
        this.configText = this.writeConfig(this.opts.config);
        fs.writeFileSync(this.envPath, toDotEnv(this.env), { mode: 0o600 });
        fs.mkdirSync(this.prefix, { recursive: true });
        const args = ['start', '--config', this.configPath, '--env', this.envPath,
            '--listen', this.listen, '--prefix', this.prefix];
        if (this.opts.caFile) args.push('--ca-file', this.opts.caFile);
        if (this.opts.workers) args.push('--workers', String(this.opts.workers));
        if (this.opts.extraArgs) args.push(...this.opts.extraArgs);
        onExit(() => this.killLeftovers());
        const res = await this.llmctl(args, this.opts.startTimeoutMs ?? 60000);
        this.startResult = res;
        if (res.code !== 0) {
            throw new Error(`llmctl start failed (exit ${res.code}):\n${res.stdout}${res.stderr}\n` +
                `error.log:\n${this.errorLog().slice(-3000)}`);
        }
        this.started = true;
        this.rememberPids();
        if (!await connectable(this.port)) {
            throw new Error(`llmctl start returned but nothing accepts connections on ${this.listen}`);
        }
        debug('gateway up', this.url, this.prefix);
        return this;
    }

    rememberPids() {
        this.nginxPid = readPid(path.join(this.runDir, 'nginx.pid'));
        this.controldPid = readPid(path.join(this.runDir, 'controld.pid'));
    }

    /** At process exit: terminate what this gateway started if stop() never ran. */
    killLeftovers() {
        if (this.stopped || !this.started) return;
        for (const pid of [this.controldPid, readPid(path.join(this.runDir, 'nginx.pid')), this.nginxPid]) {
            if (pid && alive(pid)) {
                try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
            }
        }
    }

    client(opts = {}) {
        return new OpenAI({
            baseURL: `${this.url}/v1`,
            apiKey: this.masterKey ?? 'no-key',
            maxRetries: 0,
            timeout: 30000,
            ...opts,
        });
    }

    /** Replace config.yaml and run `llmctl reload`; returns {code, stdout, stderr}. */
    async reload(newConfig) {
        if (newConfig !== undefined) this.configText = this.writeConfig(newConfig);
        const args = ['reload', '--prefix', this.prefix];
        if (this.opts.reloadWithConfig) args.push('--config', this.configPath, '--env', this.envPath);
        return this.llmctl(args);
    }

    /** `nginx -p PREFIX -c PREFIX/conf/nginx.conf -s <signal>`. */
    nginxSignal(signal) {
        return run(NGINX_BIN, ['-p', this.prefix, '-c', this.nginxConf, '-e', path.join(this.logDir, 'error.log'),
            '-s', signal], { logDir: this.dir, timeoutMs: 30000 });
    }

    nginxReload() { return this.nginxSignal('reload'); }

    async status() {
        const res = await unixRequest(this.adminSocket, '/_llm/status');
        if (res.status !== 200) throw new Error(`GET /_llm/status -> ${res.status}: ${res.text}`);
        return res.json;
    }

    readLog(name) {
        try { return fs.readFileSync(path.join(this.logDir, name), 'utf8'); } catch { return ''; }
    }

    errorLog() { return this.readLog('error.log'); }

    accessLog() { return this.readLog('access.log'); }

    /** Every file under PREFIX/logs concatenated (nginx and controld logs). */
    allLogs() {
        let text = '';
        try {
            for (const f of fs.readdirSync(this.logDir)) {
                const p = path.join(this.logDir, f);
                if (fs.statSync(p).isFile()) text += `==> ${f} <==\n${fs.readFileSync(p, 'utf8')}\n`;
            }
        } catch { /* no logs yet */ }
        return text;
    }

    /** Secrets (strings) found in any log or llmctl output; [] when clean. */
    leakedSecrets(secrets) {
        let text = this.allLogs();
        for (const f of fs.readdirSync(this.dir)) {
            if (/^cmd-.*\.(out|err)$/.test(f)) text += fs.readFileSync(path.join(this.dir, f), 'utf8');
        }
        return secrets.filter((s) => s && text.includes(s));
    }

    async stop({ checkLogs = true } = {}) {
        if (this.stopped || !this.started) return;
        this.stopped = true;
        const res = await this.llmctl(['stop', '--prefix', this.prefix]);
        const pids = [this.nginxPid, this.controldPid].filter(Boolean);
        try {
            await waitFor(() => pids.every((p) => !alive(p)), { timeoutMs: 15000, what: 'gateway processes to exit' });
        } catch (e) {
            for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
            throw new Error(`llmctl stop (exit ${res.code}) left processes running: ${e.message}`);
        }
        if (res.code !== 0) throw new Error(`llmctl stop failed (exit ${res.code}): ${res.stdout}${res.stderr}`);
        if (checkLogs) this.assertCleanLogs();
    }

    assertCleanLogs() {
        const bad = badLogLines(this.errorLog());
        const san = this.allLogs().split('\n').filter((l) => /Sanitizer|runtime error:/.test(l));
        const lines = [...new Set([...bad, ...san])];
        if (lines.length) {
            throw new Error(`gateway logs show problems (${this.logDir}):\n${lines.slice(0, 20).join('\n')}`);
        }
    }
}

/**
 * startGateway({config, env, listen, workers, caFile, masterKey, extraArgs})
 *   config: object (emitted as YAML, master_key added unless present) or YAML text
 *   env: {NAME: value} written to the .env file (LITELLM_MASTER_KEY added)
 *   masterKey: a fixed key, or null for a gateway without auth
 */
export async function startGateway(opts) {
    const gw = new Gateway(opts);
    try {
        return await gw.start();
    } catch (e) {
        gw.killLeftovers();
        gw.stopped = true;
        throw e;
    }
}

/**
 * withGateway(opts, async (gw) => ...): start, run, always stop.  A failure
 * of the body is reported even if stop() fails too (a bare try/finally
 * would let the stop error hide it); both messages are kept.
 */
export async function withGateway(opts, body) {
    const gw = await startGateway(opts);
    let failure = null;
    try {
        return await body(gw);
    } catch (e) {
        failure = e;
        throw e;
    } finally {
        try {
            await gw.stop();
        } catch (stopError) {
            if (!failure) throw stopError;
            failure.message += `\n(and stopping the gateway failed too: ${stopError.message})`;
        }
    }
}
