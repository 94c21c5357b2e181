// Free TCP ports on 127.0.0.1: bind port 0, read the kernel's choice, close.
// Ports handed out in this process are remembered so two callers never get
// the same one even if the kernel recycles it quickly.
import net from 'node:net';

const handedOut = new Set();

export async function freePort() {
    for (let i = 0; i < 50; i++) {
        const port = await new Promise((resolve, reject) => {
            const srv = net.createServer();
            srv.unref();
            srv.on('error', reject);
            srv.listen(0, '127.0.0.1', () => {
                const { port } = srv.address();
                srv.close(() => resolve(port));
            });
        });
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
    throw new Error('freePort: no unused port found');
}
