// `salesflow events send FILE.json` reading its file, through the built command: every problem of
// every event at its line, JSON syntax errors at line and column, a byte-order mark accepted, and
// nothing sent (the file is refused before any data source or Temporal is opened).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'salesflow.js');
let work: string;

function send(name: string, text: string | Buffer) {
  fs.writeFileSync(path.join(work, name), text);
  // No Temporal and no data source behind these: a valid file fails later, on the missing plan.
  const env = { PATH: process.env.PATH, DATABASE_URL: path.join(work, 'salesflow.db'), TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const r = spawnSync(process.execPath, [bin, 'events', 'send', name], { cwd: work, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // The built CLI (dist/, built by `npm test`'s pretest), not rebuilt here: other test files run
  // it at the same time, and a rebuild rewrites the files they load.
  expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(true);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-event-file-'));
}, 180_000);

const lead = { id: 'L1', email: 'a@b.example' };

test('a JSON syntax error is reported at its line and column', () => {
  const r = send('broken.json', '{"id": "e1", "type": "lead.created",\n  "occurred_at": "2026-03-01T10:00:00Z"\n  "lead": {}}\n');
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("broken.json:3:3: not valid JSON: Expected ',' or '}' after property value\nno event was sent\n");
});

test('every problem of every event is listed at the line the event starts on, with its index', () => {
  const text = [
    '[',
    `  ${JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead })},`,
    '  {"id": 5, "type": "deal.won", "occurred_at": "yesterday",',
    '   "deal": {"id": "D1", "rep": "r1", "amount": "100.1234567", "currency": "USD", "stage": "Won"}},',
    `  {"id": "e3", "type": "deal.won", "occurred_at": "2026-03-01T10:00:00Z", "lead": {"id": "L1", "name": "a, ]{ \\"b"}},`,
    '  42',
    ']',
  ].join('\n');
  const r = send('many.json', text);
  expect(r.code).toBe(1);
  expect(r.stderr.split('\n')).toEqual([
    'many.json:3: event [1]: id: expected a text id, got 5 (write it in quotes: "5")',
    'many.json:3: event [1]: occurred_at: expected an ISO-8601 timestamp like 2026-03-01T10:00:00Z',
    'many.json:3: event [1]: deal.amount: 100.1234567 has more than 6 decimal places',
    'many.json:3: event [1]: deal.stage: expected open, won or lost, got "Won"; did you mean "won"? (values are lower case)',
    'many.json:5: event [2]: deal: is required',
    'many.json:6: event [3]: (event): expected an event object {"id", "type", "occurred_at", "lead" or "deal"}, got number',
    'no event was sent',
    '',
  ]);
});

test('a key given twice in one object is reported at its line and column (as POST /events does), not sent as the last one', () => {
  const r = send('twice.json', '[\n  {"id": "e1", "type": "lead.created", "occurred_at": "2026-03-01T10:00:00Z",\n   "lead": {"id": "L1", "email": "a@b.example", "email": "c@d.example"}}\n]\n');
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('twice.json:3:49: "email" is given twice in one object; send each field once\nno event was sent\n');
});

test('a file saved with a byte-order mark is read (it then needs an applied plan, like any valid file)', () => {
  const event = JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead });
  const r = send('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(event)]));
  expect(r.stderr).not.toContain('not valid JSON');
  expect(r.stderr).toContain('no plan has been applied');
  expect(r.code).toBe(1);
});

test('a wrong subcommand, a missing file or an unknown option says which, with the usage', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [bin, 'events', ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH } });
  for (const [args, why] of [
    [[], 'salesflow events: expected a subcommand: send'],
    [['snd', 'e.json'], 'salesflow events: unknown subcommand "snd": expected send'],
    [['send'], 'salesflow events: events send needs a FILE.json'],
    [['send', 'e.json', '--dry-run'], 'salesflow events: unknown option --dry-run'],
  ] as const) {
    const r = run([...args]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${why}\nusage: salesflow events send FILE.json`);
  }
});

test('an id sent as a JSON number is named with its value and the quoted form to write', () => {
  const r = send('numeric-ids.json', JSON.stringify({ id: 'e9', type: 'deal.won', occurred_at: '2026-03-01T10:00:00Z', deal: { id: 9101, rep: 'r1', amount: '5', currency: 'USD', stage: 'won' } }));
  expect(r.code).toBe(1);
  // Was "deal.id: Invalid input: expected string, received number".
  expect(r.stderr).toBe('numeric-ids.json:1: deal.id: expected a text id, got 9101 (write it in quotes: "9101")\nno event was sent\n');
});
