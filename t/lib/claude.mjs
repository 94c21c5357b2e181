// Run the real Claude Code CLI (@anthropic-ai/claude-code, node_modules/.bin/
// claude) non-interactively against a gateway, kept offline:
//   - a fresh HOME and working directory (no user settings, no CLAUDE.md,
//     no session history shared between runs);
//   - a minimal environment: only PATH and the variables set here, so an
//     ANTHROPIC_API_KEY or proxy setting of the developer's shell cannot leak
//     in;
//   - telemetry, error reporting, auto-update and non-essential traffic off;
//   - HTTP(S)_PROXY pointing at a closed loopback port with NO_PROXY for the
//     gateway, so anything that is not the gateway fails fast on loopback
//     instead of trying the internet.
//
//   const r = await runClaude({baseUrl: gw.url, token: gw.masterKey, prompt: 'Say hello'});
//   r.code, r.stdout, r.stderr, r.durationMs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './tmp.mjs';
import { freePort } from './ports.mjs';
import { neutralRequest, formatDeployment, KEY_ENV } from './xlate.mjs';
import { startGateway, makeSecret } from './gateway.mjs';
import { closeAll } from './index.mjs';
import { startScriptedProvider } from './scripted.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLAUDE_BIN = process.env.CLAUDE_BIN || path.resolve(here, '..', 'node_modules', '.bin', 'claude');

/** True when the CLI is installed (npm install in t/). */
export function claudeInstalled() {
    return fs.existsSync(CLAUDE_BIN);
}

/**
 * runClaude({baseUrl, token, prompt, args, env, cwd, timeoutMs}) -> {code, signal,
 * stdout, stderr, durationMs, home}.  Never throws for a non-zero exit; a run
 * that overruns timeoutMs is killed (SIGKILL) and reported with timedOut.
 */
export async function runClaude(opts) {
    const home = makeTempDir('ngx-llm-claude-home');
    const cwd = opts.cwd || makeTempDir('ngx-llm-claude-cwd');
    const deadPort = await freePort(); // nothing listens: a proxy that refuses
    const env = {
        PATH: process.env.PATH,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        TMPDIR: home,
        TERM: 'dumb',
        NO_COLOR: '1',
        CI: '1',
        ANTHROPIC_BASE_URL: opts.baseUrl,
        ANTHROPIC_AUTH_TOKEN: opts.token,
        DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_BUG_COMMAND: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
        CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
        HTTP_PROXY: `http://127.0.0.1:${deadPort}`,
        HTTPS_PROXY: `http://127.0.0.1:${deadPort}`,
        NO_PROXY: '127.0.0.1,localhost',
        ...(opts.env || {}),
    };
    const args = ['-p', opts.prompt, '--output-format', 'text', '--no-session-persistence', ...(opts.args || [])];
    return runHeadless(CLAUDE_BIN, args, { cwd, env, home, timeoutMs: opts.timeoutMs });
}

/**
 * Run a CLI headless: stdin /dev/null (a -p run must not wait for piped
 * input), stdout/stderr into files in `home`, killed with its whole process
 * group after timeoutMs (reported as timedOut).  Shared by the real-client
 * runners (runClaude, runGemini in gemini.mjs).
 */
export async function runHeadless(bin, args, { cwd, env, home, timeoutMs = 120000 }) {
    const outFile = path.join(home, 'stdout.txt');
    const errFile = path.join(home, 'stderr.txt');
    const outFd = fs.openSync(outFile, 'w');
    const errFd = fs.openSync(errFile, 'w');
    const started = Date.now();
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', outFd, errFd], detached: true });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    const result = await new Promise((resolve, reject) => {
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            // The CLI may have children (its process group): end them all.
            try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
        }, timeoutMs);
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut }); });
    });
    // Anything the CLI left in its process group goes too.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group already gone */ }
    result.durationMs = Date.now() - started;
    result.stdout = fs.readFileSync(outFile, 'utf8');
    result.stderr = fs.readFileSync(errFile, 'utf8');
    result.home = home;
    return result;
}

/** Tool results in a provider request, whatever its format. */
export function toolResults(format, record) {
    try {
        return neutralRequest(format, record).items.filter((i) => i.kind === 'result');
    } catch {
        return [];
    }
}

/** True when a provider request declares tools (a CLI's main turn). */
export function hasTools(format, record) {
    try { return neutralRequest(format, record).tools.length > 0; } catch { return false; }
}

/**
 * One line per request a provider mock received, for the report:
 * "POST /v1/messages?beta=true format=anthropic model=... stream=true
 * max_tokens=64000 tools=24 system=3 msgs=2 (roles) thinking=... beta=... bytes=76345".
 */
export function describeRequests(requests) {
    return requests.map((r) => {
        const b = r.body || {};
        let n = null;
        try { n = neutralRequest(r.format, r); } catch { /* not a chat request */ }
        const roles = Array.isArray(b.messages) ? b.messages.map((m) => m.role)
            : Array.isArray(b.contents) ? b.contents.map((c) => c.role) : [];
        const thinking = b.thinking ? JSON.stringify(b.thinking) : b.reasoning_effort
            ?? (b.generationConfig?.thinkingConfig ? JSON.stringify(b.generationConfig.thinkingConfig) : '-');
        return [
            `${r.method} ${r.url}`,
            `format=${r.format}`,
            `model=${r.model ?? b.model ?? '-'}`,
            `stream=${n ? n.stream : b.stream === true}`,
            `max_tokens=${n?.maxTokens ?? '-'}`,
            `tools=${n ? n.tools.length : 0}`,
            `system=${n ? n.system.length : '-'}`,
            `msgs=${roles.length} (${roles.join(',')})`,
            `thinking=${thinking}`,
            `beta=${r.headers['anthropic-beta'] ?? '-'}`,
            `bytes=${r.bodyBytes}`,
            `status=${r.response?.status ?? '-'}`,
        ].join(' ');
    });
}

/**
 * For a real-CLI suite (inside its describe()): before() starts a scripted
 * mock provider speaking `format` and a gateway whose wildcard "*" group
 * sends every model name to it; after() stops both.  Returns an object
 * whose .mock, .gw and .key are set once before() ran.  config is merged
 * into the gateway config (litellm_settings, ...).
 */
export function cliGateway(format, { before, after, config = {} }) {
    const ctx = { key: makeSecret(`sk-prov-${format}-`), mock: null, gw: null };
    before(async () => {
        ctx.mock = await startScriptedProvider({ apiKey: ctx.key });
        ctx.gw = await startGateway({
            config: {
                model_list: [formatDeployment('*', format, ctx.mock, '*')],
                router_settings: { num_retries: 0 },
                ...config,
            },
            env: { [KEY_ENV[format]]: ctx.key },
        });
    });
    after(() => closeAll(ctx.gw, ctx.mock));
    return ctx;
}

/** A CLI run's exit, the provider requests and the gateway's errors, as test diagnostics. */
export function diagnoseRun(t, name, r, mock, gw, accessFilter = () => true) {
    t.diagnostic(`${name} exit ${r.code} in ${r.durationMs} ms; ${mock.requests.length} provider requests`);
    for (const line of describeRequests(mock.requests)) t.diagnostic(line);
    for (const line of gw.accessLog().trim().split('\n').filter(accessFilter)) t.diagnostic(`access: ${line}`);
    const errors = gw.errorLog().split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
    for (const line of errors.slice(-5)) t.diagnostic(`error.log: ${line}`);
}
