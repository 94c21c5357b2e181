// Gateways with a hosts file of the test's: llmctl (and so controld and
// nginx) runs in its own mount namespace with the file bind-mounted over
// /etc/hosts, so tests can give names to loopback addresses (needs root
// and util-linux's unshare, as in CI).  Import this before t/lib/index.mjs:
// it points LLMCTL at the wrapper, and the harness reads LLMCTL once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * privateHosts(content) -> {dir, hosts, write(content), canUnshare, remove()}
 * `write` replaces the file's content (controld re-resolves on its own).
 */
export function privateHosts(content) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx-llm-hosts-'));
    const hosts = path.join(dir, 'hosts');
    const wrapper = path.join(dir, 'llmctl');
    const realLlmctl = process.env.LLMCTL
        || path.resolve(import.meta.dirname, '../../build/llmctl');

    fs.writeFileSync(hosts, content);
    fs.writeFileSync(wrapper, `#!/bin/sh
exec unshare --mount --propagation private sh -c \\
  'mount --bind "$0" /etc/hosts && exec "$@"' "${hosts}" "${realLlmctl}" "$@"
`, { mode: 0o755 });
    process.env.LLMCTL = wrapper;

    let can;
    try {
        execFileSync('unshare', ['--mount', 'true'], { stdio: 'ignore' });
        can = true;
    } catch {
        can = false;
    }

    return {
        dir,
        hosts,
        canUnshare: can,
        write: (text) => fs.writeFileSync(hosts, text),
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}
