// Names Object.prototype has (constructor, toString, __proto__ ...) given where the CLI looks a
// user's word up in a table: they are words like any other, never a flag or command of ours.
// `salesflow dev constructor` once said "constructor needs a port number" instead of looking for
// a rule folder named constructor. Also dev's own flag parsing: `--port=3000=1` is not port 3000.
import net from 'node:net';
import { expect, test } from 'vitest';
import { salesflow, workspace } from './cli.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
  'salesflow dev %s reads the word as a rule path, not as a port flag',
  async (word) => {
    const dir = workspace();
    const ports = ['--port', String(await freePort()), '--temporal-port', String(await freePort()), '--ui-port', String(await freePort())];
    const r = salesflow(dir, ['dev', word, ...ports]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('needs a port number');
    expect(r.stderr).toContain(`${word}:1:1: error: no such file or folder: ${word}`);
  },
);

test.each([
  [['dev', '--constructor'], 'salesflow dev: unknown option --constructor'],
  [['dev', '--port=3000=1'], 'salesflow dev: --port needs a port number, got "3000=1"'],
  [['simulate', '--__proto__', 'x'], "Unknown option '--__proto__'"],
  [['help', 'constructor'], 'salesflow: unknown command "constructor"'],
  [['import', '--kind', '__proto__', 'a.csv'], '--kind must be one of reps, deals, leads, credits, rates, not "__proto__"'],
])('salesflow %j is refused with a reason', (args, message) => {
  const r = salesflow(workspace(), args);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
});
