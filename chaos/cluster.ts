// The product as it runs in production, on one machine: one Temporal dev server (our own child,
// persisted to a file, so it can be killed and started again on the same port and state), N
// `salesflow worker` processes and one `salesflow serve`, all started by the installed command
// (bin/salesflow → dist/, so `npm run build` first) against one data source (DATABASE_URL) and
// the harness's SMTP server. Workers can be killed with SIGKILL and started again in their slot.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type DevServerProcess, freePort, spawnDevServer } from '../src/temporal/index.js';
import type { DataSource } from './data-source.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import { stopProcess } from '../tests/support/processes.js';

export const SECRET = 'chaos-harness-secret-0123456789abcdef';

export interface ClusterOptions {
  /** Scratch folder: rules/, the Temporal file, process logs. */
  dir: string;
  /** Package root: bin/salesflow and dist/ are used from here. */
  root: string;
  data: DataSource;
  workers: number;
  /**
   * Persist Temporal to a file (default), so it can be restarted with its state; false keeps it in
   * memory, which is much faster on a busy disk, for runs that never restart it.
   */
  persistTemporal?: boolean;
  /** Extra environment for every salesflow process. */
  env?: Record<string, string>;
}

/** One worker slot: the process now running in it and the pid of every process it ever ran. */
interface WorkerSlot {
  child: ChildProcess | null;
  pids: number[];
  log: fs.WriteStream;
}

export class Cluster {
  readonly workerSlots: WorkerSlot[] = [];
  private serveChild: ChildProcess | null = null;
  temporal!: DevServerProcess;
  smtp!: SmtpSink;
  base = '';
  private temporalPort = 0;
  private httpPort = 0;

  constructor(readonly options: ClusterOptions) {
    this.temporalFile = path.join(fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/salesflow-temporal-') : options.dir, 'temporal.db');
  }

  get rulesDir(): string { return path.join(this.options.dir, 'rules'); }

  /**
   * Temporal's file survives a restart of its server, which is all a run needs; on tmpfs (when the
   * machine has one) its many syncs cost nothing, where a busy disk made the server 4x slower.
   */
  private readonly temporalFile: string;
  get temporalAddress(): string { return `127.0.0.1:${this.temporalPort}`; }

  /** Environment of every salesflow process: the one place the data source is chosen. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: this.options.data.url,
      TEMPORAL_ADDRESS: this.temporalAddress,
      SMTP_URL: this.smtp.smtpUrl,
      SALESFLOW_SECRET: SECRET,
      PUBLIC_URL: this.base,
      PORT: String(this.httpPort),
      ...this.options.env,
      ...extra,
    };
    delete env.TEMPORAL_NAMESPACE;
    delete env.TEMPORAL_TASK_QUEUE;
    return env;
  }

  /** If the harness itself dies, its processes go with it rather than running on, orphaned. */
  private readonly killAllOnExit = () => {
    for (const child of [this.serveChild, ...this.workerSlots.map((s) => s.child)]) child?.kill('SIGKILL');
  };

  async start(): Promise<void> {
    process.once('exit', this.killAllOnExit);
    fs.mkdirSync(path.join(this.options.dir, 'logs'), { recursive: true });
    this.smtp = await startSmtpSink();
    this.temporalPort = await freePort();
    this.httpPort = await freePort();
    this.base = `http://127.0.0.1:${this.httpPort}`;
    await this.startTemporal();
  }

  /** Workers and serve; after the data is imported, so the schema exists before they open it. */
  async startProcesses(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) {
      this.workerSlots.push({ child: null, pids: [], log: fs.createWriteStream(path.join(this.options.dir, 'logs', `worker-${i}.log`), { flags: 'a' }) });
      this.spawnWorker(i);
    }
    await this.startServe();
  }

  /** Runs `salesflow ARGS` to completion (import, payouts run, ...) against this cluster. */
  // Asynchronous: the SMTP server in this process must keep answering while the command runs.
  cli(args: string[]): Promise<{ code: number; output: string }> {
    const child = spawn(this.bin, args, { cwd: this.options.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    return new Promise((resolve) => child.once('exit', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, output }); }));
  }

  private get bin(): string { return path.join(this.options.root, 'bin', 'salesflow'); }

  private async startTemporal(): Promise<void> {
    // A port just freed by a killed server can take a moment to be reusable: try a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        const dbFile = this.options.persistTemporal === false ? null : this.temporalFile;
        this.temporal = await spawnDevServer({ dbFile, port: this.temporalPort });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(2000);
      }
    }
  }

  /** SIGKILL the Temporal server and start it again on the same file and port. */
  async restartTemporal(): Promise<void> {
    await this.temporal.kill();
    await this.startTemporal();
  }

  private spawnWorker(i: number): void {
    const slot = this.workerSlots[i];
    const child = spawn(this.bin, ['worker'], { cwd: this.options.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    slot.child = child;
    slot.pids.push(child.pid!);
    slot.log.write(`--- worker ${i} pid ${child.pid} started ${new Date().toISOString()}\n`);
    child.stdout!.pipe(slot.log, { end: false });
    child.stderr!.pipe(slot.log, { end: false });
    child.once('exit', (code, signal) => {
      slot.log.write(`--- worker ${i} pid ${child.pid} exited ${code ?? signal} ${new Date().toISOString()}\n`);
      // A worker that dies on its own (not killed by us) is started again, as a supervisor would.
      if (slot.child === child && signal !== 'SIGKILL' && !this.stopping) setTimeout(() => { if (slot.child === child) this.spawnWorker(i); }, 1000);
    });
  }

  /**
   * kill -9 the worker in slot I and start a new one in its place. Returns the killed pid and when
   * the signal was sent (not when the restart was done, which is the exit plus the restart delay
   * later), so the log lines up with SMTP arrival and commit times.
   */
  async killWorker(i: number, restartAfterMs = 500): Promise<{ pid: number; at: string }> {
    const slot = this.workerSlots[i];
    const child = slot.child!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const at = new Date().toISOString();
    child.kill('SIGKILL');
    slot.log.write(`--- worker ${i} pid ${child.pid} sent SIGKILL ${at}\n`);
    await exited;
    await sleep(restartAfterMs);
    this.spawnWorker(i);
    return { pid: child.pid!, at };
  }

  /** Which slot a Temporal worker identity (`pid@host`) belongs to, or -1. */
  slotOfIdentity(identity: string): number {
    const pid = Number(identity.split('@')[0]);
    return this.workerSlots.findIndex((s) => s.pids.includes(pid));
  }

  private async startServe(): Promise<void> {
    const log = fs.createWriteStream(path.join(this.options.dir, 'logs', 'serve.log'), { flags: 'a' });
    const child = spawn(this.bin, ['serve', this.rulesDir], { cwd: this.options.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.serveChild = child;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`salesflow serve exited ${child.exitCode}: see ${path.join(this.options.dir, 'logs', 'serve.log')}`);
      if (await fetch(`${this.base}/healthz`).then((r) => r.ok, () => false)) return;
      if (i > 600) throw new Error('salesflow serve did not start listening within 60 s');
      await sleep(100);
    }
  }

  private stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    process.removeListener('exit', this.killAllOnExit);
    const children = [this.serveChild, ...this.workerSlots.map((s) => s.child)].filter((c): c is ChildProcess => c !== null);
    await Promise.all(children.map((c) => stopProcess(c)));
    for (const slot of this.workerSlots) slot.log.end();
    await this.temporal?.stop(5000);
    await this.smtp?.close();
    if (this.temporalFile.startsWith('/dev/shm/')) fs.rmSync(path.dirname(this.temporalFile), { recursive: true, force: true });
  }

  /** The last lines of every process log, to explain a failure. */
  logTail(lines = 15): string {
    const dir = path.join(this.options.dir, 'logs');
    if (!fs.existsSync(dir)) return '';
    return fs.readdirSync(dir).map((f) => `== ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}


export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
