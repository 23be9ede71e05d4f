// Black-box harness for the running product: `salesflow dev` (embedded Temporal, worker, HTTP
// server, mail catcher) on free ports in a scratch folder of its own, plus the ways a user reaches
// it from outside: signed HTTP events, form posts to links from emails, the built CLI pointed at
// the same Temporal and data source, and the dev outbox / mail catcher tables in the SQLite file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { writeAt, type Run } from './cli.js';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
export const secret = 'conformance-runtime-secret-0123456789';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface OutboxRow { id: number; workflow_id: string | null; template: string | null; to_addr: string; subject: string; html: string; text: string; status: string }
export interface CaughtMail { rcpt_to: string; subject: string | null; raw: string }

export class Dev {
  output = '';
  private child: ChildProcess | undefined;
  private constructor(readonly dir: string, readonly base: string, readonly temporalAddress: string, private readonly ports: number[]) {}

  /** Writes FILES into a fresh folder, imports the CSVs named in IMPORTS, then starts `salesflow dev rules`. */
  static async start(files: Record<string, string>, imports: Array<['reps' | 'deals' | 'leads', string]> = []): Promise<Dev> {
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-conformance-runtime-'));
    for (const [path, text] of Object.entries(files)) writeAt(dir, path, text);
    const [http, temporal, ui] = [await freePort(), await freePort(), await freePort()];
    const base = `http://127.0.0.1:${http}`;
    const env = baseEnv(dir, { PUBLIC_URL: base });
    for (const [kind, file] of imports) {
      const r = spawnSync(process.execPath, [bin, 'import', '--kind', kind, file], { cwd: dir, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`import ${kind} failed: ${r.stdout}${r.stderr}`);
    }
    const dev = new Dev(dir, base, `127.0.0.1:${temporal}`, [http, temporal, ui]);
    await dev.launch();
    return dev;
  }

  private async launch(): Promise<void> {
    const [http, temporal, ui] = this.ports;
    this.child = spawn(process.execPath, [bin, 'dev', '--port', String(http), '--temporal-port', String(temporal), '--ui-port', String(ui), 'rules'],
      { cwd: this.dir, env: baseEnv(this.dir, { PUBLIC_URL: this.base }), stdio: ['ignore', 'pipe', 'pipe'] });
    const child = this.child;
    const seen = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`salesflow dev did not start:\n${this.output}`)), 150_000);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (this.output.slice(seen).includes('salesflow dev is running')) { clearTimeout(timer); resolve(); }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`salesflow dev exited ${code}:\n${this.output}`)); });
    });
  }

  /** Ctrl-C and start again on the same folder and ports: the persisted Temporal state survives. */
  async restart(): Promise<void> {
    await this.interrupt();
    await this.launch();
  }

  private async interrupt(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const child = this.child;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.interrupt();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The built CLI against this dev server's Temporal and data source. */
  cli(args: string[], env: Record<string, string> = {}): Run {
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd: this.dir, env: baseEnv(this.dir, { PUBLIC_URL: this.base, TEMPORAL_ADDRESS: this.temporalAddress, ...env }), encoding: 'utf8', timeout: 90_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async postEvent(event: unknown): Promise<{ status: number; text: string }> {
    const body = JSON.stringify(event);
    const r = await fetch(`${this.base}/events`, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/json', 'X-Salesflow-Signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    });
    return { status: r.status, text: await r.text() };
  }

  private query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(join(this.dir, 'var', 'salesflow.db'), { readonly: true, fileMustExist: true });
    try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
  }

  outbox(): OutboxRow[] { return this.query<OutboxRow>('SELECT * FROM outbox ORDER BY id'); }
  caught(): CaughtMail[] { return this.query<CaughtMail>('SELECT rcpt_to, subject, raw FROM caught_mail ORDER BY id'); }
  statements(): Array<{ workflow_id: string; rep: string; period: string; status: string; reason: string | null }> {
    return this.query('SELECT workflow_id, rep, period, status, reason FROM statements ORDER BY workflow_id');
  }
  ledger(): Array<{ rep: string; period: string; amount: string }> { return this.query('SELECT rep, period, amount FROM ledger ORDER BY id'); }

  /** Polls FN until it returns a truthy value or the time is up (workflows act asynchronously). */
  async until<T>(what: string, fn: () => T | undefined | null | false, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function baseEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SALESFLOW_SECRET: secret, DATABASE_URL: join(dir, 'var', 'salesflow.db'), ...extra };
  for (const key of ['PORT', 'SMTP_URL', ...(extra.TEMPORAL_ADDRESS ? [] : ['TEMPORAL_ADDRESS'])]) delete env[key];
  return env;
}

/** The link to PATH_PREFIX (`/approvals/`, `/unsubscribe/`) in an email's text. */
export function linkIn(text: string, pathPrefix: string): string {
  const m = new RegExp(`https?://[^\\s<>"]+${pathPrefix}[A-Za-z0-9._~-]+`).exec(text);
  if (!m) throw new Error(`no ${pathPrefix} link in:\n${text}`);
  return m[0];
}

/** A raw message with soft line breaks (quoted-printable) and folded headers undone, for matching. */
export function unfold(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/\r?\n[ \t]+/g, ' ');
}

export async function form(url: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: r.status, text: await r.text() };
}
