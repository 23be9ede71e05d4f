import net from 'node:net';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DevServerProcess, freePort, spawnDevServer } from '../../src/temporal/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

// A port picked as free can be taken before the server binds it: another test file or process
// picks at the same moment. CI once failed a whole test file on this ("bind: address already in use").
let squatter: net.Server;
let taken: number;

beforeAll(async () => {
  // It hangs up on whoever connects, so closing it does not wait for a client that never leaves.
  squatter = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  taken = (squatter.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => squatter.close(resolve));
});

/** Hands out the taken port first, as a racing picker would, then really free ones. */
function racingPicker() {
  let calls = 0;
  return async (ip: string) => (calls++ === 0 ? taken : freePort(ip));
}

test('a spawned dev server whose picked port was taken meanwhile starts on another one', async () => {
  let server: DevServerProcess | undefined;
  try {
    server = await spawnDevServer({ dbFile: null, pickPort: racingPicker() });
    expect(server.port).not.toBe(taken);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  } finally {
    await server?.stop();
  }
});

test('a port the caller named is not swapped for another: the start fails and says the port is in use', async () => {
  await expect(spawnDevServer({ dbFile: null, port: taken })).rejects.toThrow(/address already in use/);
});
