// Run the real Gemini CLI (@google/gemini-cli, node_modules/.bin/gemini)
// non-interactively (`gemini -p`) against a gateway, kept offline:
//   - a fresh HOME with ~/.gemini/settings.json choosing API-key auth
//     (security.auth.selectedType "gemini-api-key") and turning usage
//     statistics, telemetry and auto-update off;
//   - GOOGLE_GEMINI_BASE_URL = the gateway, GEMINI_API_KEY = a gateway key;
//   - GEMINI_CLI_TRUST_WORKSPACE=true: headless runs refuse an untrusted
//     directory otherwise (exit 55);
//   - a minimal environment (PATH and what is set here) and HTTP(S)_PROXY
//     at a closed loopback port with NO_PROXY for the gateway, so anything
//     that is not the gateway fails fast on loopback.
//
//   const r = await runGemini({baseUrl: gw.url, key: gw.masterKey, prompt: 'Say hello'});
//   r.code, r.stdout, r.stderr, r.durationMs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './tmp.mjs';
import { freePort } from './ports.mjs';
import { runHeadless } from './claude.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const GEMINI_BIN = process.env.GEMINI_BIN || path.resolve(here, '..', 'node_modules', '.bin', 'gemini');

/** True when the CLI is installed (npm install in t/). */
export function geminiInstalled() {
    return fs.existsSync(GEMINI_BIN);
}

/** The settings a fresh user would write to use an API key, minus telemetry. */
export const GEMINI_SETTINGS = {
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
};

/**
 * runGemini({baseUrl, key, prompt, args, env, cwd, settings, timeoutMs}) ->
 * {code, signal, timedOut, stdout, stderr, durationMs, home}.  Never throws
 * for a non-zero exit; a run that overruns timeoutMs is killed (SIGKILL).
 */
export async function runGemini(opts) {
    const home = makeTempDir('ngx-llm-gemini-home');
    const cwd = opts.cwd || makeTempDir('ngx-llm-gemini-cwd');
    fs.mkdirSync(path.join(home, '.gemini'), { recursive: true });
    fs.writeFileSync(path.join(home, '.gemini', 'settings.json'),
        JSON.stringify({ ...GEMINI_SETTINGS, ...(opts.settings || {}) }));
    const deadPort = await freePort();
    const env = {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: home,
        TERM: 'dumb',
        NO_COLOR: '1',
        CI: '1',
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        GOOGLE_GEMINI_BASE_URL: opts.baseUrl,
        GEMINI_API_KEY: opts.key,
        HTTP_PROXY: `http://127.0.0.1:${deadPort}`,
        HTTPS_PROXY: `http://127.0.0.1:${deadPort}`,
        NO_PROXY: '127.0.0.1,localhost',
        ...(opts.env || {}),
    };
    const args = ['-p', opts.prompt, '--output-format', 'text', ...(opts.args || [])];
    return runHeadless(GEMINI_BIN, args, { cwd, env, home, timeoutMs: opts.timeoutMs });
}
