// Vertex AI for the mock, under
//   POST {base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/
//        models/{model}:{method}
// with `Authorization: Bearer <token>`, where the token must be one the
// token server issued and not yet expired (mock option vertex: tokenServer):
//   publishers/google     :generateContent, :streamGenerateContent?alt=sse
//                         and :countTokens in Gemini's wire format
//                         (gemini.mjs); :predict for the embedding models
//                         ({"instances":[{"content"}], "parameters"} ->
//                         {"predictions":[{"embeddings":{"values",
//                         "statistics":{"token_count"}}}]})
//   publishers/anthropic  :rawPredict and :streamRawPredict in Anthropic's
//                         Messages format (anthropic.mjs), the body with
//                         "anthropic_version": "vertex-2023-10-16" and no
//                         "model" (a 400 otherwise, as Vertex answers);
//                         models/count-tokens:rawPredict counts, the model
//                         named in the body
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
import { geminiFormat, generate, countTokensHandler as geminiCount } from './gemini.mjs';
import { anthropicFormat, messages, countTokensHandler as anthropicCount } from './anthropic.mjs';
import { countTokens, embedText } from './common.mjs';

export const VERTEX_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PATH = /^(.*)\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/;
const ANTHROPIC_VERSION = 'vertex-2023-10-16';

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

/** Claude on Vertex: the body Anthropic's, its version in it, the model in the path. */
function claudeProblem(ctx) {
    const { body, route } = ctx;
    if (body?.anthropic_version !== ANTHROPIC_VERSION) return `anthropic_version: must be "${ANTHROPIC_VERSION}", got ${JSON.stringify(body?.anthropic_version)}`;
    if (route.endpoint === 'count_tokens') return typeof body.model === 'string' ? null : 'model: Field required';
    if (Object.hasOwn(body, 'model')) return 'model: Extra inputs are not permitted (the model is in the URL)';
    if (!!body.stream !== route.stream) return `stream: ${route.method} with stream ${JSON.stringify(body.stream)}`;
    return anthropicFormat.checkBody(body);
}

/** :predict of an embedding model. */
function predict(ctx) {
    const inst = ctx.body?.instances;
    if (!Array.isArray(inst) || !inst.length || inst.some((i) => typeof i?.content !== 'string')) {
        ctx.fail(400, 'bad_request', 'instances: a non-empty list of {"content": string} is required (mock)');
        return;
    }
    const dims = ctx.body.parameters?.outputDimensionality || 8;
    const vectors = inst.map((i) => Array.from(embedText(i.content, dims)));
    const counts = inst.map((i) => countTokens(i.content));
    ctx.sendJson({
        predictions: vectors.map((values, k) => ({ embeddings: { values, statistics: { token_count: counts[k], truncated: false } } })),
        metadata: { billableCharacterCount: inst.reduce((n, i) => n + i.content.length, 0) },
    }, { vectors, tokens: counts.reduce((a, b) => a + b, 0) });
}

const HANDLERS = {
    'google:generateContent': generate,
    'google:streamGenerateContent': generate,
    'google:countTokens': geminiCount,
    'google:predict': predict,
    'anthropic:rawPredict': messages,
    'anthropic:streamRawPredict': messages,
    'anthropic:count_tokens': anthropicCount,
};

async function answer(ctx) {
    const server = ctx.mock.options.vertex;
    const m = /^Bearer (.+)$/.exec(ctx.req.headers.authorization || '');
    ctx.record.bearer = m ? m[1] : null;
    if (server && !(m && [].concat(server).some((s) => s.valid(m[1])))) {
        ctx.fail(401, 'auth', 'Request had invalid authentication credentials. Expected OAuth 2 access token (mock).');
        return;
    }
    const handler = HANDLERS[`${ctx.route.publisher}:${ctx.route.endpoint}`];
    if (!handler) {
        ctx.fail(404, 'not_found', `mock: publishers/${ctx.route.publisher} has no :${ctx.route.method}`);
        return;
    }
    if (ctx.route.publisher === 'anthropic') {
        const problem = claudeProblem(ctx);
        if (problem) { ctx.fail(400, 'bad_request', problem); return; }
    }
    await handler(ctx);
}

export const vertexFormat = {
    name: 'vertex',

    match(method, path) {
        const m = PATH.exec(path);
        if (!m || method !== 'POST') return null;
        const [publisher, model, methodName] = [m[4], decodeURIComponent(m[5]), m[6]];
        const counting = publisher === 'anthropic' && model === 'count-tokens' && methodName === 'rawPredict';
        return {
            handler: answer, project: m[2], location: m[3], publisher, method: methodName,
            // count-tokens names its model in the body
            model: counting ? undefined : model,
            stream: methodName === 'streamGenerateContent' || methodName === 'streamRawPredict',
            endpoint: counting ? 'count_tokens' : methodName,
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
