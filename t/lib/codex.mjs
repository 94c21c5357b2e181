// Run the real OpenAI Codex CLI (@openai/codex, node_modules/.bin/codex)
// non-interactively (`codex exec`) against a gateway, kept offline:
//   - a fresh CODEX_HOME whose config.toml selects one model provider,
//     "ngx_llm", with base_url = the gateway's /v1, wire_api = "responses"
//     and the gateway key read from NGX_LLM_API_KEY (env_key), so no login
//     and no ChatGPT account are involved; retries off (a test sees the
//     first answer), update checks, analytics, feedback and OpenTelemetry
//     export off, web_search "disabled" (OpenAI's own tool; webSearch:
//     null keeps Codex's default);
//   - a fresh HOME and working directory, `--skip-git-repo-check`,
//     `--ephemeral` (no session files), the read-only sandbox and approval
//     "never" (nothing waits for a human);
//   - a minimal environment (PATH and what is set here) and HTTP(S)_PROXY
//     at a closed loopback port with NO_PROXY for the gateway, so anything
//     that is not the gateway fails fast on loopback.
//
//   const r = await runCodex({baseUrl: gw.url, key: gw.masterKey, model: 'm', prompt: 'Say hello'});
//   r.code, r.stdout (the final message), r.stderr, r.lastMessage, r.events (--json)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './tmp.mjs';
import { freePort } from './ports.mjs';
import { runHeadless } from './claude.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CODEX_BIN = process.env.CODEX_BIN || path.resolve(here, '..', 'node_modules', '.bin', 'codex');

/** True when the CLI is installed (npm install in t/). */
export function codexInstalled() {
    return fs.existsSync(CODEX_BIN);
}

/** TOML for a string (JSON's escapes are TOML's for basic strings). */
const tomlStr = (s) => JSON.stringify(String(s));

/** The config.toml a user would write for a gateway provider, minus telemetry. */
export function codexConfig({ baseUrl, model, wireApi = 'responses', webSearch = 'disabled', extra = '' }) {
    return [
        `model = ${tomlStr(model)}`,
        'model_provider = "ngx_llm"',
        'approval_policy = "never"',
        'sandbox_mode = "read-only"',
        'check_for_update_on_startup = false',
        // web_search is a tool OpenAI runs: to any other provider the
        // gateway refuses it (400 naming the tool), so it is off unless a
        // test passes webSearch: null (Codex's default, "cached").
        ...(webSearch ? [`web_search = ${tomlStr(webSearch)}`] : []),
        '',
        '[analytics]',
        'enabled = false',
        '',
        '[feedback]',
        'enabled = false',
        '',
        '[otel]',
        'exporter = "none"',
        '',
        '[model_providers.ngx_llm]',
        'name = "ngx_llm gateway"',
        `base_url = ${tomlStr(`${baseUrl}/v1`)}`,
        'env_key = "NGX_LLM_API_KEY"',
        `wire_api = ${tomlStr(wireApi)}`,
        'request_max_retries = 0',
        'stream_max_retries = 0',
        extra,
        '',
    ].join('\n');
}

/**
 * runCodex({baseUrl, key, model, prompt, args, env, cwd, wireApi, webSearch,
 * extraConfig, json, timeoutMs}) -> {code, signal, timedOut, stdout, stderr, lastMessage,
 * events, durationMs, home}.  Never throws for a non-zero exit; a run that
 * overruns timeoutMs is killed (SIGKILL).  json: true adds --json and parses
 * stdout's JSONL into events.
 */
export async function runCodex(opts) {
    const home = makeTempDir('ngx-llm-codex-home');
    const cwd = opts.cwd || makeTempDir('ngx-llm-codex-cwd');
    const codexHome = path.join(home, '.codex');
    fs.mkdirSync(codexHome, { recursive: true });
    fs.writeFileSync(path.join(codexHome, 'config.toml'), codexConfig({
        baseUrl: opts.baseUrl, model: opts.model, wireApi: opts.wireApi, extra: opts.extraConfig,
        ...('webSearch' in opts ? { webSearch: opts.webSearch } : {}),
    }));
    const lastFile = path.join(home, 'last-message.txt');
    const deadPort = await freePort();
    const env = {
        PATH: process.env.PATH,
        HOME: home,
        CODEX_HOME: codexHome,
        TMPDIR: home,
        TERM: 'dumb',
        NO_COLOR: '1',
        CI: '1',
        NGX_LLM_API_KEY: opts.key,
        HTTP_PROXY: `http://127.0.0.1:${deadPort}`,
        HTTPS_PROXY: `http://127.0.0.1:${deadPort}`,
        ALL_PROXY: `http://127.0.0.1:${deadPort}`,
        NO_PROXY: '127.0.0.1,localhost',
        ...(opts.env || {}),
    };
    const args = ['exec', '--skip-git-repo-check', '--ephemeral', '--color', 'never',
        '-o', lastFile, ...(opts.json ? ['--json'] : []), ...(opts.args || []), opts.prompt];
    const r = await runHeadless(CODEX_BIN, args, { cwd, env, home, timeoutMs: opts.timeoutMs });
    r.lastMessage = fs.existsSync(lastFile) ? fs.readFileSync(lastFile, 'utf8') : null;
    r.events = [];
    if (opts.json) {
        for (const line of r.stdout.split('\n')) {
            if (!line.trim()) continue;
            try { r.events.push(JSON.parse(line)); } catch { /* a non-JSON line */ }
        }
    }
    return r;
}
