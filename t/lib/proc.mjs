// Running product commands.  Output goes to files, not pipes: `llmctl start`
// leaves daemons behind that could inherit a pipe and keep it open forever,
// so we wait for the command's own exit, then read its output files.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { debug } from './env.mjs';
import { makeTempDir } from './tmp.mjs';

let seq = 0;

/**
 * run(cmd, args, {cwd, env, timeoutMs, logDir}) -> {code, signal, stdout, stderr}
 * Never throws for a non-zero exit; throws if the command cannot start or
 * overruns timeoutMs (then it is killed).
 */
export async function run(cmd, args, opts = {}) {
    const logDir = opts.logDir || makeTempDir('ngx-llm-run');
    const base = path.join(logDir, `cmd-${process.pid}-${++seq}`);
    const outFd = fs.openSync(`${base}.out`, 'w');
    const errFd = fs.openSync(`${base}.err`, 'w');
    debug('run', cmd, args.join(' '));
    const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: { ...process.env, ...(opts.env || {}) },
        stdio: ['ignore', outFd, errFd],
    });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    const timeoutMs = opts.timeoutMs ?? 60000;
    const result = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
    });
    result.stdout = fs.readFileSync(`${base}.out`, 'utf8');
    result.stderr = fs.readFileSync(`${base}.err`, 'utf8');
    debug('exit', result.code, result.stdout.trim(), result.stderr.trim());
    return result;
}

/** True if a process with this pid exists (signal 0 probe). */
export function alive(pid) {
    if (!pid) return false;
    try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Read a pid file; null if missing or empty. */
export function readPid(file) {
    try {
        const pid = Number(fs.readFileSync(file, 'utf8').trim());
        return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch { return null; }
}

export async function waitFor(pred, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
    const end = Date.now() + timeoutMs;
    for (;;) {
        if (await pred()) return;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}
