// A HashiCorp Vault test server: the parts of Vault's HTTP API the gateway
// uses, with Vault's paths, headers and JSON shapes (developer.hashicorp.com
// /vault/api-docs), so that what passes here passes against a real Vault:
//
//   GET  /v1/sys/health                       200, or 503 when sealed
//   GET  /v1/sys/internal/ui/mounts/MOUNT     the mount's type and KV version
//   GET  /v1/MOUNT/data/PATH      (KV v2)     {"data":{"data":{..},"metadata":{..}}}
//   POST /v1/MOUNT/data/PATH      (KV v2)     body {"data":{..}}: a new version
//   GET  /v1/MOUNT/PATH           (KV v1)     {"data":{..}}
//   POST /v1/MOUNT/PATH           (KV v1)     body {..}: 204
//   POST /v1/auth/approle/login               {"auth":{"client_token":..}}
//   POST /v1/auth/token/renew-self
//
// Tokens come in X-Vault-Token (or "Authorization: Bearer"); a missing,
// unknown or revoked token, or one whose policy does not cover the path,
// gets 403 {"errors":["permission denied"]}; a path with no secret gets
// 404 {"errors":[]}; a sealed Vault 503 {"errors":["Vault is sealed"]}.
// X-Vault-Namespace must match when the server has a namespace.  A KV v2
// mount read without /data/ gets Vault's 404 with its warning.
//
// Answers go out like Go's net/http on a real network: headers and body in
// separate writes, the body itself split, with small gaps.  Faults:
// vault.seal() / unseal(), vault.stop() / start() (connection refused on
// the same port), vault.stall = true (accepts, never answers; such a
// request is recorded with stalled: true and open: true until the client
// closes it).
//
//   const vault = await startMockVault({ token: 'hvs.x' });
//   vault.put('secret/vrooli/openai', { api_key: 'sk-...' });   // KV v2
//   vault.url                                  'http://127.0.0.1:PORT'
import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';
import { freePort } from '../ports.mjs';
import { onExit } from '../tmp.mjs';
import { sleep } from './common.mjs';

const uuid = () => crypto.randomUUID();

function envelope(fields) {
    return {
        request_id: uuid(), lease_id: '', renewable: false, lease_duration: 0,
        data: null, wrap_info: null, warnings: null, auth: null, ...fields,
    };
}

export class MockVault {
    constructor(options = {}) {
        this.options = options;
        this.namespace = options.namespace || null;
        this.tokens = new Map();        // token -> {policies: [path prefixes] | ['*'], ttl}
        this.roles = new Map();         // role_id -> {secret_id, policies, ttl}
        this.mounts = new Map([['secret', { version: 2, secrets: new Map() }]]);
        this.requests = [];
        this.sealed = false;
        this.stall = false;
        this.server = null;
        this.sockets = new Set();
        this.port = 0;
        if (options.token) this.addToken(options.token);
    }

    addToken(token, policies = ['*'], ttl = 0) { this.tokens.set(token, { policies, ttl }); return token; }

    revoke(token) { this.tokens.delete(token); }

    addRole(roleId, secretId, { policies = ['*'], ttl = 3600 } = {}) {
        this.roles.set(roleId, { secretId, policies, ttl });
    }

    /** A KV mount (`vault secrets enable -path=NAME -version=V kv`). */
    mount(name, version = 2) { this.mounts.set(name, { version, secrets: new Map() }); }

    /** `vault kv put MOUNT/PATH k=v...`: a new version (v2) or a replace (v1). */
    put(fullPath, data) {
        const { mount, path } = this.split(fullPath);
        if (!mount) throw new Error(`mock vault: no mount for ${fullPath}`);
        const entry = mount.secrets.get(path) || { versions: [] };
        entry.versions.push({ data: { ...data }, created_time: new Date().toISOString() });
        mount.secrets.set(path, entry);
        return entry.versions.length;
    }

    /** `vault kv metadata delete`: the secret is gone. */
    remove(fullPath) {
        const { mount, path } = this.split(fullPath);
        mount?.secrets.delete(path);
    }

    seal() { this.sealed = true; }

    unseal() { this.sealed = false; }

    split(fullPath) {
        const clean = fullPath.replace(/^\/+/, '');
        const slash = clean.indexOf('/');
        const name = slash < 0 ? clean : clean.slice(0, slash);
        return { name, mount: this.mounts.get(name) || null, path: slash < 0 ? '' : clean.slice(slash + 1) };
    }

    async start() {
        this.port = this.port || this.options.port || await freePort();
        const handler = (req, res) => this.handle(req, res).catch((err) => {
            if (!res.headersSent) { res.writeHead(500); res.end(JSON.stringify({ errors: [String(err)] })); }
        });
        this.server = this.options.tls
            ? https.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }, handler)
            : http.createServer(handler);
        this.server.keepAliveTimeout = 5000;
        this.server.on('connection', (sock) => {
            this.sockets.add(sock);
            sock.on('close', () => this.sockets.delete(sock));
        });
        await new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(this.port, '127.0.0.1', resolve);
        });
        this.server.unref();
        this.url = `${this.options.tls ? 'https://localhost' : 'http://127.0.0.1'}:${this.port}`;
        onExit(() => { for (const s of this.sockets) s.destroy(); });
        return this;
    }

    /** Down: the port refuses connections until start() again. */
    async stop() {
        if (!this.server) return;
        for (const s of this.sockets) s.destroy();
        await new Promise((resolve) => this.server.close(() => resolve()));
        this.server = null;
    }

    close() { return this.stop(); }

    /** Paths read (GET) with a given token, for assertions. */
    reads(pathPrefix = '') {
        return this.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/v1/${pathPrefix}`));
    }

    async send(res, status, body) {
        const text = body === null ? '' : JSON.stringify(body);
        const headers = { 'Cache-Control': 'no-store', 'Content-Type': 'application/json',
            'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' };
        if (status !== 204) headers['Content-Length'] = Buffer.byteLength(text);
        res.writeHead(status, headers);
        res.flushHeaders();
        if (!text) { res.end(); return; }
        // the body in pieces, cut at arbitrary bytes, as a network may deliver it
        const buf = Buffer.from(text);
        const cut = 1 + crypto.randomInt(Math.max(1, buf.length - 1));
        await sleep(1);
        res.write(buf.subarray(0, cut));
        await sleep(1);
        res.end(buf.subarray(cut));
    }

    fail(res, status, errors = [], extra = {}) { return this.send(res, status, { errors, ...extra }); }

    allowed(tokenInfo, path) {
        return tokenInfo.policies.some((p) => p === '*' || path.startsWith(p));
    }

    async handle(req, res) {
        const parts = [];
        for await (const c of req) parts.push(c);
        const raw = Buffer.concat(parts).toString('utf8');
        const u = new URL(req.url, 'http://vault');
        const token = req.headers['x-vault-token']
            || (req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : null);
        const record = { method: req.method, path: u.pathname, token, namespace: req.headers['x-vault-namespace'] ?? null, body: raw };
        this.requests.push(record);

        if (this.stall) {           // never answers; the client's timeout must end it
            record.stalled = true;
            record.open = true;     // until the client gives up and closes
            res.on('close', () => { record.open = false; });
            return;
        }
        if (!u.pathname.startsWith('/v1/')) return this.fail(res, 404, []);
        const apiPath = u.pathname.slice(4);

        if (apiPath === 'sys/health') {
            const body = { initialized: true, sealed: this.sealed, standby: false, performance_standby: false,
                replication_performance_mode: 'disabled', replication_dr_mode: 'disabled',
                server_time_utc: Math.floor(Date.now() / 1000), version: '1.15.6', cluster_name: 'vault-cluster-mock' };
            return this.send(res, this.sealed ? 503 : 200, body);
        }
        if (this.sealed) return this.fail(res, 503, ['Vault is sealed']);
        if (this.namespace && record.namespace !== this.namespace) {
            return this.fail(res, 403, ['permission denied']);
        }

        let body = null;
        if (raw) {
            try { body = JSON.parse(raw); } catch { return this.fail(res, 400, ['failed to parse JSON input: invalid character']); }
        }

        if (req.method === 'POST' && /^auth\/[^/]+\/login$/.test(apiPath)) return this.login(res, body);

        const info = token ? this.tokens.get(token) : null;
        if (!info || (info.expires && Date.now() > info.expires)) return this.fail(res, 403, ['permission denied']);

        if (apiPath === 'auth/token/renew-self' && req.method === 'POST') {
            if (info.ttl) info.expires = Date.now() + info.ttl * 1000;
            return this.send(res, 200, envelope({ auth: { client_token: token, policies: ['default'], lease_duration: info.ttl, renewable: true } }));
        }

        const mountsPrefix = 'sys/internal/ui/mounts/';
        if (apiPath.startsWith(mountsPrefix) && req.method === 'GET') {
            const { name, mount } = this.split(apiPath.slice(mountsPrefix.length));
            if (!mount) return this.fail(res, 400, [`preflight capability check returned 403, please ensure client's policies grant access to path "${name}/"`]);
            return this.send(res, 200, envelope({ data: {
                accessor: `kv_${name}`, config: { default_lease_ttl: 0, max_lease_ttl: 0 }, description: '',
                external_entropy_access: false, local: false, path: `${name}/`, seal_wrap: false, type: 'kv', uuid: uuid(),
                options: mount.version === 2 ? { version: '2' } : null,
            } }));
        }

        const { name, mount, path } = this.split(apiPath);
        if (!mount) return this.fail(res, 404, ['no handler for route "' + apiPath + '". route entry not found.']);
        if (!this.allowed(info, apiPath)) return this.fail(res, 403, ['permission denied']);

        if (mount.version === 2) {
            if (!path.startsWith('data/')) {
                return this.send(res, 404, { errors: [], warnings: [`Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.`] });
            }
            const key = path.slice(5);
            if (req.method === 'GET') {
                const entry = mount.secrets.get(key);
                if (!entry) return this.fail(res, 404, []);
                const n = entry.versions.length;
                const v = entry.versions[n - 1];
                return this.send(res, 200, envelope({ data: {
                    data: v.data,
                    metadata: { created_time: v.created_time, custom_metadata: null, deletion_time: '', destroyed: false, version: n },
                } }));
            }
            if (req.method === 'POST' || req.method === 'PUT') {
                if (!body || typeof body.data !== 'object') return this.fail(res, 400, ['no data provided']);
                const n = this.put(`${name}/${key}`, body.data);
                return this.send(res, 200, envelope({ data: { created_time: new Date().toISOString(), custom_metadata: null, deletion_time: '', destroyed: false, version: n } }));
            }
            return this.fail(res, 405, ['1 error occurred:\n\t* unsupported operation\n\n']);
        }

        // KV v1
        if (req.method === 'GET') {
            const entry = mount.secrets.get(path);
            if (!entry) return this.fail(res, 404, []);
            return this.send(res, 200, envelope({ lease_duration: 2764800, data: entry.versions[entry.versions.length - 1].data }));
        }
        if (req.method === 'POST' || req.method === 'PUT') {
            if (!body || typeof body !== 'object') return this.fail(res, 400, ['no data provided']);
            this.put(`${name}/${path}`, body);
            return this.send(res, 204, null);
        }
        return this.fail(res, 405, ['1 error occurred:\n\t* unsupported operation\n\n']);
    }

    login(res, body) {
        const role = this.roles.get(body?.role_id);
        if (!role || role.secretId !== body?.secret_id) {
            return this.fail(res, 400, ['invalid role or secret ID']);
        }
        const token = `hvs.${crypto.randomBytes(12).toString('base64url')}`;
        this.tokens.set(token, { policies: role.policies, ttl: role.ttl, expires: Date.now() + role.ttl * 1000 });
        return this.send(res, 200, envelope({ auth: {
            client_token: token, accessor: crypto.randomBytes(12).toString('base64url'),
            policies: ['default'], token_policies: ['default'], metadata: { role_name: 'gateway' },
            lease_duration: role.ttl, renewable: true, entity_id: uuid(), token_type: 'service', orphan: true,
        } }));
    }
}

/** startMockVault({token, namespace, tls: {cert, key}, port}) */
export async function startMockVault(options = {}) {
    return new MockVault(options).start();
}
