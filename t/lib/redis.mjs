// A real redis-server for tests, on a free loopback port, with AOF
// persistence in a temp dir so a restart keeps the data:
//   const redis = await startRedis();      redis.port, redis.dir
//   await redis.command('HGETALL', 'llm:key:...')   (tiny RESP client)
//   await redis.stop();  await redis.start();        (same port, same data)
//   await redis.kill();                               (SIGKILL, no shutdown)
//   redis.aofFile()                    the AOF file being appended to
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './ports.mjs';
import { makeTempDir, onExit } from './tmp.mjs';
import { alive, waitFor } from './proc.mjs';
import { debug } from './env.mjs';

const REDIS_BIN = process.env.REDIS_SERVER || '/usr/bin/redis-server';

/** Encode a command as RESP. */
function encode(args) {
    let out = `*${args.length}\r\n`;
    for (const a of args) {
        const s = String(a);
        out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
    }
    return out;
}

/** Parse one RESP value from buf at offset; returns [value, next] or null. */
function parse(buf, i = 0) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return null;
    const type = String.fromCharCode(buf[i]);
    const line = buf.toString('utf8', i + 1, eol);
    const next = eol + 2;
    if (type === '+') return [line, next];
    if (type === '-') return [new Error(line), next];
    if (type === ':') return [Number(line), next];
    if (type === '$') {
        const n = Number(line);
        if (n < 0) return [null, next];
        if (buf.length < next + n + 2) return null;
        return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    if (type === '*') {
        const n = Number(line);
        if (n < 0) return [null, next];
        const items = [];
        let at = next;
        for (let k = 0; k < n; k++) {
            const r = parse(buf, at);
            if (!r) return null;
            items.push(r[0]);
            at = r[1];
        }
        return [items, at];
    }
    throw new Error(`RESP: unexpected type ${type}`);
}

export class Redis {
    constructor(opts = {}) {
        this.dir = opts.dir || makeTempDir('ngx-llm-redis');
        this.password = opts.password || null;
        this.port = opts.port || null;
        // 'always' (the default here) or Redis' own default 'everysec'
        this.appendfsync = opts.appendfsync || 'always';
        this.child = null;
    }

    get host() { return '127.0.0.1'; }

    async start() {
        if (!this.port) this.port = await freePort();
        const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
            '--appendonly', 'yes', '--appendfsync', this.appendfsync, '--dir', this.dir,
            '--logfile', path.join(this.dir, 'redis.log')];
        if (this.password) args.push('--requirepass', this.password);
        this.child = spawn(REDIS_BIN, args, { stdio: 'ignore' });
        const pid = this.child.pid;
        onExit(() => { if (alive(pid)) process.kill(pid, 'SIGKILL'); });
        await waitFor(async () => {
            try { return (await this.command('PING')) === 'PONG'; } catch { return false; }
        }, { timeoutMs: 10000, what: `redis-server on port ${this.port}` });
        debug('redis up', this.port, this.dir);
        return this;
    }

    /** One command on a fresh connection (AUTH first if a password is set). */
    command(...args) {
        const cmds = this.password ? [['AUTH', this.password], args] : [args];
        return new Promise((resolve, reject) => {
            const sock = net.connect(this.port, '127.0.0.1');
            let buf = Buffer.alloc(0);
            const replies = [];
            sock.setTimeout(5000, () => sock.destroy(new Error('redis: timeout')));
            sock.on('error', reject);
            // SHUTDOWN (or a dying server) closes without a reply
            sock.on('close', () => reject(new Error('redis: connection closed')));
            sock.on('connect', () => sock.write(cmds.map(encode).join('')));
            sock.on('data', (d) => {
                buf = Buffer.concat([buf, d]);
                let r;
                while ((r = parse(buf)) !== null) {
                    replies.push(r[0]);
                    buf = buf.subarray(r[1]);
                }
                if (replies.length === cmds.length) {
                    sock.end();
                    const last = replies[replies.length - 1];
                    if (last instanceof Error) reject(last); else resolve(last);
                }
            });
        });
    }

    /** HGETALL as an object. */
    async hgetall(key) {
        const flat = await this.command('HGETALL', key);
        const out = {};
        for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
        return out;
    }

    async waitExit(ms = 10000) {
        const child = this.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, ms))]);
    }

    /** Graceful stop (the AOF is fsynced on every write anyway). */
    async stop() {
        if (!this.child) return;
        try { await this.command('SHUTDOWN', 'NOSAVE'); } catch { /* closes the connection */ }
        await this.waitExit();
        if (alive(this.child.pid)) this.child.kill('SIGKILL');
        await this.waitExit();
        this.child = null;
    }

    /** The AOF file Redis appends to now (Redis 7: appendonlydir/*.incr.aof). */
    aofFile() {
        const dir = path.join(this.dir, 'appendonlydir');
        const incr = fs.readdirSync(dir).filter((f) => f.endsWith('.incr.aof')).sort();
        if (!incr.length) throw new Error(`no incr AOF in ${dir}`);
        return path.join(dir, incr[incr.length - 1]);
    }

    /** Crash it. */
    async kill() {
        if (!this.child) return;
        this.child.kill('SIGKILL');
        await this.waitExit();
        this.child = null;
    }
}

/** startRedis({password}) -> a running Redis (persistence on). */
export async function startRedis(opts = {}) {
    return new Redis(opts).start();
}
