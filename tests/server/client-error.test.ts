// Requests Node's HTTP parser refuses before any route: an address longer than 16 KB, a
// Content-Length that is not a number, bytes that are not HTTP. They got a bare "431" or "400"
// with an empty body; now the status comes with a JSON reason, and nothing is stored.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countEvents } from '../../src/data/events.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
const routed: unknown[] = [];
beforeAll(async () => {
  h = await startHarness({ routeEvent: async (e) => { routed.push(e); return { duplicate: false }; } });
});
afterAll(async () => { await h?.close(); });

/** What the server answers to these bytes, as sent on a fresh connection: status and body. */
function send(raw: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

it('an address longer than Node takes is 431 saying the URL or a header is too long', async () => {
  const res = await send(`GET /approvals/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  expect(res.status).toBe(431);
  expect(res.headers).toMatch(/content-type: application\/json/i);
  expect(JSON.parse(res.body)).toEqual({ error: 'request_too_large', message: expect.stringContaining('the address (URL) or a header is too long') });
});

it('a Content-Length that is not a number is 400 with the parser\'s reason, and no event is stored', async () => {
  const body = '{"id":"e1","type":"lead.created","occurred_at":"2026-03-01T10:00:00Z","lead":{"id":"L-1","email":"a@b.example"}}';
  const res = await send(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nX-Salesflow-Signature: sha256=00\r\n\r\n${body}`);
  expect(res.status).toBe(400);
  const answer = JSON.parse(res.body) as { error: string; message: string };
  expect(answer.error).toBe('bad_request');
  expect(answer.message).toMatch(/^the request is not valid HTTP \(.*Content-Length.*\): nothing was read or stored$/i);
  expect(routed).toEqual([]);
  expect(await countEvents(h.db)).toBe(0);
});

it('bytes that are not HTTP are 400 with a reason', async () => {
  const res = await send('HELLO THERE\r\n\r\n');
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_request', message: expect.stringContaining('the request is not valid HTTP') });
});

it('a normal request on the same server is answered as before', async () => {
  const res = await fetch(`${h.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});
