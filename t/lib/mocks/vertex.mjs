// Vertex AI for the mock: Gemini's wire format (gemini.mjs) under
//   POST {base}/v1/projects/{project}/locations/{location}/publishers/google/
//        models/{model}:generateContent | :streamGenerateContent?alt=sse
// with `Authorization: Bearer <token>`, where the token must be one the
// token server issued and not yet expired (mock option vertex: tokenServer).
//
// startVertexTokenServer({publicKey, clientEmail, expiresIn}) is Google's
// OAuth2 token endpoint for a service account: POST /token with
// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT; the
// JWT's RS256 signature is verified against publicKey and its claims
// (iss, scope, aud = the token URI, iat, exp) checked; the answer is
// {access_token, expires_in, token_type}, or 400 invalid_grant.
import http from 'node:http';
import crypto from 'node:crypto';
import { freePort } from '../ports.mjs';
import { geminiFormat, generate } from './gemini.mjs';

export const VERTEX_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PATH = /^(.*)\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

async function answer(ctx) {
    const server = ctx.mock.options.vertex;
    const m = /^Bearer (.+)$/.exec(ctx.req.headers.authorization || '');
    ctx.record.bearer = m ? m[1] : null;
    if (server && !(m && [].concat(server).some((s) => s.valid(m[1])))) {
        ctx.fail(401, 'auth', 'Request had invalid authentication credentials. Expected OAuth 2 access token (mock).');
        return;
    }
    await generate(ctx);
}

export const vertexFormat = {
    name: 'vertex',

    match(method, path) {
        const m = PATH.exec(path);
        if (!m || method !== 'POST') return null;
        return {
            handler: answer, project: m[2], location: m[3], model: decodeURIComponent(m[4]),
            stream: m[5] === 'streamGenerateContent', endpoint: m[5],
        };
    },

    authOk(ctx, key) { return ctx.req.headers.authorization === `Bearer ${key}`; },
    checkBody: geminiFormat.checkBody,
    errorBody: geminiFormat.errorBody,
};

/** The JWT's problem, or null when it is signed and claimed right. */
function jwtProblem(jwt, srv, now) {
    const parts = String(jwt || '').split('.');
    if (parts.length !== 3) return 'not a JWT';
    let header, claims;
    try { header = b64json(parts[0]); claims = b64json(parts[1]); } catch { return 'JWT parts are not base64url JSON'; }
    if (header.alg !== 'RS256' || header.typ !== 'JWT') return `unexpected JWT header ${JSON.stringify(header)}`;
    const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`),
        srv.publicKey, Buffer.from(parts[2], 'base64url'));
    if (!ok) return 'Invalid JWT Signature.';
    if (claims.iss !== srv.clientEmail) return `iss is ${claims.iss}`;
    if (claims.scope !== VERTEX_SCOPE) return `scope is ${claims.scope}`;
    if (claims.aud !== srv.tokenUri) return `aud is ${claims.aud}, not ${srv.tokenUri}`;
    if (!Number.isInteger(claims.iat) || Math.abs(claims.iat - now) > 300) return `iat ${claims.iat} is not now`;
    if (!Number.isInteger(claims.exp) || claims.exp <= claims.iat || claims.exp - claims.iat > 3600) return `exp ${claims.exp} is not within an hour of iat`;
    return null;
}

export async function startVertexTokenServer({ publicKey, clientEmail, expiresIn = 3600 }) {
    const srv = {
        publicKey, clientEmail, expiresIn, issued: [], rejected: [], tokens: new Map(), fail: null,
        valid(token) { const exp = this.tokens.get(token); return exp !== undefined && exp > Date.now(); },
        close() { return new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }); },
    };
    const server = http.createServer(async (req, res) => {
        const parts = [];
        for await (const c of req) parts.push(c);
        const form = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
        const reply = (status, obj) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(obj));
        };
        if (req.method !== 'POST' || new URL(req.url, 'http://x').pathname !== '/token') {
            reply(404, { error: 'not_found' });
            return;
        }
        const now = Math.floor(Date.now() / 1000);
        const problem = srv.fail
            || (form.get('grant_type') !== GRANT ? `grant_type is ${form.get('grant_type')}` : null)
            || (/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '') ? null : 'not a form')
            || jwtProblem(form.get('assertion'), srv, now);
        if (problem) {
            srv.rejected.push({ at: Date.now(), problem });
            reply(400, { error: 'invalid_grant', error_description: problem });
            return;
        }
        const token = `ya29.mock-${srv.issued.length + 1}-${crypto.randomBytes(12).toString('hex')}`;
        srv.tokens.set(token, Date.now() + srv.expiresIn * 1000);
        srv.issued.push({ at: Date.now(), token, claims: b64json(form.get('assertion').split('.')[1]) });
        reply(200, { access_token: token, expires_in: srv.expiresIn, token_type: 'Bearer' });
    });
    const port = await freePort();
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    server.unref();
    srv.url = `http://127.0.0.1:${port}`;
    srv.tokenUri = `${srv.url}/token`;
    return srv;
}

/** A service-account key file for the test, with its public key. */
export function serviceAccount({ tokenUri, clientEmail = 'gateway-test@mock-project.iam.gserviceaccount.com', projectId = 'mock-project' }) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
        publicKey,
        json: {
            type: 'service_account', project_id: projectId, private_key_id: crypto.randomBytes(20).toString('hex'),
            private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: clientEmail,
            client_id: '100000000000000000001', token_uri: tokenUri,
        },
    };
}
