// SPEC §10: a bad environment value stops the program at start with an error naming the variable.
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { salesflow, templates, workspace, writeAt } from './cli.js';

describe('configuration (§10)', () => {
  for (const [name, value] of [['PORT', 'abc'], ['PORT', '70000'], ['PUBLIC_URL', 'not a url'], ['TEMPORAL_ADDRESS', '::bad']] as const) {
    it(`${name}=${value} → exit 1 naming ${name}`, () => {
      const r = salesflow(workspace(), ['serve'], { [name]: value, SALESFLOW_SECRET: 'conformance-secret-0123456789' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(name);
    });
  }

  // The message names what is expected and the value written, not zod's "expected number, received NaN".
  for (const [name, value, expected, args] of [
    ['PORT', 'abc', 'PORT: expected a port number from 0 to 65535, got "abc"', ['serve']],
    ['EVENT_BODY_LIMIT', '256k', 'EVENT_BODY_LIMIT: expected a size in bytes, a whole number more than 0, got "256k"', ['serve']],
    ['SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS', 'lots', 'SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: expected a whole number: 0 (no cache) or at least 2, got "lots"', ['worker']],
    // README: `off` turns the memory settings off; any other word used to run untuned without a word.
    ['SALESFLOW_NODE_TUNING', 'of', 'SALESFLOW_NODE_TUNING: expected on or off, got "of"', ['worker']],
    // Was `TEMPORAL_TLS: Invalid option: expected one of "true"|"false"`, without the value written.
    ['TEMPORAL_TLS', 'yes', 'TEMPORAL_TLS: expected true or false, got "yes"', ['worker']],
    // Were: a worker polling with a mailer to no host; a TypeError stack trace; a URIError at the
    // first email; approval links starting ftp://. The password is never repeated back.
    ['SMTP_URL', 'smtp://', 'SMTP_URL: names no host (expected smtp://user:pass@host:port or smtps://...)', ['worker']],
    ['SMTP_URL', 'smtp://ops:secret@mail example:587', 'SMTP_URL: not a valid URL (expected smtp://user:pass@host:port or smtps://...; a space or a character such as @ / : # in the user or password is written percent-encoded, @ as %40)', ['worker']],
    ['SMTP_URL', 'smtp://ops:100%sure@mail.example:587', 'SMTP_URL: the user or password has a % that is not percent-encoding (write % as %25)', ['worker']],
    ['PUBLIC_URL', 'ftp://salesflow.example', 'PUBLIC_URL: expected an http:// or https:// address without a query or fragment', ['serve']],
    // Accepted once: every approval and unsubscribe link in emails came out as javascript:…/approvals/… or …?x=1/approvals/….
    ['PUBLIC_URL', 'javascript:alert(1)', 'PUBLIC_URL: expected an http:// or https:// address without a query or fragment, such as https://salesflow.example.com (links in emails are PUBLIC_URL + /approvals/…), got "javascript:alert(1)"', ['serve']],
    ['PUBLIC_URL', 'https://salesflow.acme.example/?utm=mail', 'PUBLIC_URL: expected an http:// or https:// address without a query or fragment', ['worker']],
  ] as const) {
    it(`${name}=${value} → exit 1 saying what is expected and the value given`, () => {
      const r = salesflow(workspace(), [...args], { [name]: value, SALESFLOW_SECRET: 'conformance-secret-0123456789' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(expected);
      expect(r.stderr).not.toMatch(/secret@|100%sure|\n\s+at /);
    });
  }

  // Was: run from a folder without one, they created an empty var/salesflow.db there, which every
  // later command run from that folder then read as the data source.
  it('status, history, events send, payouts run and serve run where there is no data source say nothing is applied, and create no database', () => {
    const dir = workspace();
    for (const args of [['status'], ['history'], ['history', '--format', 'json']]) {
      const r = salesflow(dir, args, { DATABASE_URL: undefined });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(args.length === 1 ? `no plan has been applied to the data source ${join(dir, 'var', 'salesflow.db')} yet` : /^\[\]\n$/);
    }
    // Those that run only the applied plan refuse, naming the data source, as they do beside an empty one.
    writeAt(dir, 'e.json', JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'a@b.example' } }));
    for (const args of [['events', 'send', 'e.json'], ['payouts', 'run', '--period', '2026-Q1'], ['serve']]) {
      const r = salesflow(dir, args, { DATABASE_URL: undefined, SALESFLOW_SECRET: 'conformance-secret-0123456789' });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`no plan has been applied to the data source ${join(dir, 'var', 'salesflow.db')} yet`);
    }
    expect(readdirSync(join(dir, 'var'))).toEqual([]);
  });

  // Was: TEMPORAL_API_KEY= (an env file, a CI secret not set) stopped even `history` with zod's
  // "Too small: expected string to have >=1 characters"; an empty namespace said the same.
  it('an optional variable set empty counts as unset; an empty namespace or task queue is refused in words', () => {
    const dir = workspace();
    const empty = { TEMPORAL_API_KEY: '', TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '', TEMPORAL_TLS: '', SMTP_URL: '', PUBLIC_URL: '', SALESFLOW_SECRET: '', HUBSPOT_APP_SECRET: '', ZOHO_WEBHOOK_SECRET: '', SALESFORCE_ORG_ID: '' };
    const history = salesflow(dir, ['history'], empty);
    expect(history.stderr).toBe('');
    expect(history.code).toBe(0);
    for (const [name, fallback] of [['TEMPORAL_NAMESPACE', 'default'], ['TEMPORAL_TASK_QUEUE', 'salesflow']]) {
      const r = salesflow(dir, ['plan'], { [name]: '' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${name}: is set but empty; unset it for the default (${fallback}) or name one`);
    }
  });

  it('serve --port 3001 is refused naming the option and where the port is set (was read as a rule path)', () => {
    const r = salesflow(workspace(), ['serve', '--port', '3001'], { SALESFLOW_SECRET: 'conformance-secret-0123456789' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('salesflow serve: unknown option --port (the port is PORT in the environment)');
    expect(r.stderr).toContain('usage: salesflow serve');
  });

  // A data source salesflow cannot open is refused before anything is written: no SQLite file in a
  // folder named after the typo, and the message names the forms that work.
  for (const value of ['mysql://u:p@db.example:3306/sales', 'postgress://u:p@db.example:5432/sales', 'sqlite:/', 'http://db.example/sales', 'postgres://u:p@db.example:5432/']) {
    it(`DATABASE_URL=${value} → exit 1 naming the supported forms, nothing created`, () => {
      const dir = workspace({ 'reps.csv': 'id,name,email\nr1,Ada,ada@acme.example\n' });
      // Files only: the harness makes an empty var/ for the default data source.
      const files = () => (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
        .filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name)).sort();
      const before = files();
      for (const args of [['serve'], ['import', '--kind', 'reps', 'reps.csv']]) {
        const r = salesflow(dir, args, { DATABASE_URL: value, SALESFLOW_SECRET: 'conformance-secret-0123456789' });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('DATABASE_URL');
        expect(r.stderr).toContain('postgres://user:pass@host:5432/db');
        expect(r.stderr).toContain('sqlite:PATH');
        expect(r.stderr).not.toContain(':p@'); // the password is not echoed
      }
      expect(files()).toEqual(before);
    });
  }

  // Was "differs from the empty data source" for a data source holding imported reps and no plan yet.
  it('status before the first apply, with data imported, says no plan is applied rather than calling the data source empty', () => {
    const dir = workspace({ 'rules/s.rules': 'sequence "Hello" {\n  on lead.created\n  send "hello" to lead\n}\n', ...templates(['hello']),
      'reps.csv': 'id,name,email\nr-1,Ada Lovelace,ada@acme.example\n' });
    expect(salesflow(dir, ['import', '--kind', 'reps', 'reps.csv']).code).toBe(0);
    const r = salesflow(dir, ['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Working copy \(rules\/\): plan [0-9a-f]{12}, differs from the data source, where no plan is applied yet:$/m);
    expect(r.stdout).not.toContain('empty');
  });
});
