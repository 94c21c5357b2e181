// Test PKI made with the openssl CLI at test start: a test CA, a server
// certificate for localhost (SAN DNS:localhost, IP:127.0.0.1, and the names
// a.provider.test, b.provider.test that tests map to 127.0.0.1) signed by it,
// and a second, unrelated CA that must NOT verify the server.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './tmp.mjs';

function openssl(args, cwd) {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir, name, subject) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
        '-subj', subject,
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

let cached;

/**
 * makeTestPki() -> {dir, caFile, otherCaFile, certFile, keyFile, cert, key, ca}
 * Generated once per test process.
 */
export function makeTestPki() {
    if (cached) return cached;
    const dir = makeTempDir('ngx-llm-pki');
    makeCa(dir, 'ca', '/CN=ngx_llm test CA');
    makeCa(dir, 'other-ca', '/CN=ngx_llm unrelated CA');
    fs.writeFileSync(path.join(dir, 'server.ext'),
        'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:a.provider.test,DNS:b.provider.test\n' +
        'basicConstraints=CA:FALSE\n' +
        'keyUsage=critical,digitalSignature,keyEncipherment\n' +
        'extendedKeyUsage=serverAuth\n');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
        '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
    const p = (f) => path.join(dir, f);
    cached = {
        dir,
        caFile: p('ca.crt'),
        otherCaFile: p('other-ca.crt'),
        certFile: p('server.crt'),
        keyFile: p('server.key'),
        cert: fs.readFileSync(p('server.crt')),
        key: fs.readFileSync(p('server.key')),
        ca: fs.readFileSync(p('ca.crt')),
    };
    return cached;
}
