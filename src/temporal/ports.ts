import net from 'node:net';

/**
 * Ports are drawn at random below the kernel's ephemeral range (32768 and up on Linux). A port the
 * kernel hands out for `listen(0)` or an outgoing connection, as every Temporal server does for its
 * internal services, is then never one we just released to start a server on.
 */
const LOW = 20_000;
const HIGH = 32_000;

/** A TCP port that was free a moment ago, so parallel test files do not collide on fixed ports. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if ((await tryListen(host, port)) !== undefined) return port;
  }
  const port = await tryListen(host, 0);
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  return port;
}

function tryListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(err);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}
