// Temp dirs under os.tmpdir(), removed when the test process exits, unless
// the run failed and TEST_KEEP=1.  Processes the harness started are also
// killed at exit, so a crashed test never leaves a gateway or mock behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEEP_ON_FAILURE } from './env.mjs';

const dirs = [];
const exitHooks = [];

export function makeTempDir(label = 'ngx-llm-test') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
    dirs.push(dir);
    return dir;
}

/** Run fn synchronously at process exit (kill leftovers, etc.). */
export function onExit(fn) {
    exitHooks.push(fn);
}

process.on('exit', (code) => {
    for (const fn of exitHooks) {
        try { fn(); } catch { /* best effort at exit */ }
    }
    const failed = code !== 0 || (process.exitCode ?? 0) !== 0;
    if (failed && KEEP_ON_FAILURE) {
        if (dirs.length) console.error(`[harness] TEST_KEEP=1, kept:\n  ${dirs.join('\n  ')}`);
        return;
    }
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
