// One run of the product under load, with or without chaos: start the cluster, import the data,
// send the events, run payouts, let the approvers click, and meanwhile (when asked) kill -9 a
// random worker every few seconds, restart the Temporal server once and the database once. Then
// wait until nothing is left running and count what arrived.
import { Client, Connection } from '@temporalio/client';
import { Cluster, sleep } from './cluster.js';
import type { DataSource } from './data-source.js';
import { chaosLine, complete, tally, type Tally } from './tally.js';
import { Approvers, closedQuarter, expectations, importData, runPayouts, sendEvents, writeFixtures, type WorkloadSize } from './workload.js';

export interface Chaos {
  /** Workers killed with SIGKILL (each restarted) at least this many times. */
  kills: number;
  /** Time between kills. */
  killEveryMs: number;
  restartTemporal: boolean;
  restartDatabase: boolean;
}

export interface RunOptions {
  root: string;
  dir: string;
  data: DataSource;
  workers: number;
  size: WorkloadSize;
  chaos?: Chaos;
  /** Gives up waiting for the work to finish after this long (then the tally shows what is lost). */
  timeoutMs: number;
  /** The clock the run's closed quarter is read from, once (default: now). */
  now?: Date;
  log(line: string): void;
}

export interface RunResult {
  tally: Tally;
  /** Per worker slot: activity and workflow tasks its processes started, from workflow histories. */
  tasksPerWorker: Array<{ activities: number; workflowTasks: number }>;
  kills: number;
  events: { retries: number };
}

export async function run(options: RunOptions): Promise<RunResult> {
  const { log, size } = options;
  const quarter = closedQuarter(options.now);
  writeFixtures(options.dir, size, quarter);
  // Temporal's state is kept in a file only when it is to be restarted: a file is slow on a busy disk.
  const cluster = new Cluster({ dir: options.dir, root: options.root, data: options.data, workers: options.workers, persistTemporal: options.chaos?.restartTemporal ?? false });
  try {
    await cluster.start();
    await importData(cluster);
    await cluster.startProcesses();
    log(`cluster: Temporal ${cluster.temporalAddress}, serve ${cluster.base}, ${options.workers} workers, ${options.data.describe}`);
    const expected = expectations(size, quarter);
    const approvers = new Approvers(cluster);

    // Chaos lasts until the work is done (every expected email arrived, every payout recorded), so
    // kills also land while sequences wake from their waits; at least `kills` of them either way.
    let workDone = false;
    let kills = 0;
    const deadline = Date.now() + options.timeoutMs;
    const chaosStarted = Date.now();
    const chaos = options.chaos
      ? causeChaos(cluster, options.chaos, options.data, () => workDone || Date.now() > deadline - options.timeoutMs / 3, log, () => kills++)
      : Promise.resolve();

    const started = Date.now();
    const [retries, payouts] = await Promise.all([sendEvents(cluster, size.sequences), size.payouts > 0 ? runPayouts(cluster, quarter) : '']);
    log(`sent ${size.sequences} events (${retries} retried) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${payouts.split('\n').filter((l) => !l.startsWith('  started')).join(' ')}`);
    while (approvers.approved < size.payouts && Date.now() < deadline) await sleep(250);
    log(`${approvers.approved} of ${size.payouts} payouts approved through the emailed links (${approvers.retries} clicks retried)`);
    while (!workDone && Date.now() < deadline) {
      workDone = await complete(expected, cluster.smtp.received, options.data);
      if (!workDone) await sleep(1000);
    }
    await chaos;
    const chaosMs = Date.now() - chaosStarted;

    // Finished means: everything expected arrived and Temporal has nothing left running that could still send.
    let client: Client | undefined;
    for (;;) {
      if (Date.now() > deadline) { log('timed out waiting for the work to finish'); break; }
      client ??= await connectClient(cluster.temporalAddress);
      if (client && (await complete(expected, cluster.smtp.received, options.data)) && (await running(client)) === 0) break;
      await sleep(1000);
    }
    await approvers.settled();
    const result = await tally(expected, cluster.smtp.received, options.data);
    const tasksPerWorker = client ? await workShare(client, cluster) : [];
    log(`work per worker slot: ${tasksPerWorker.map((t, i) => `#${i} ${t.activities} activities/${t.workflowTasks} workflow tasks`).join(', ')}`);
    for (const line of result.details) log(line);
    if (options.chaos) log(exposure(result, kills, options.workers, chaosMs));
    if (client) for (const line of await duplicateHistories(client, result.details)) log(line);
    await client?.connection.close();
    log(`run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { tally: result, tasksPerWorker, kills, events: { retries } };
  } catch (err) {
    log(cluster.logTail());
    throw err;
  } finally {
    await cluster.stop();
  }
}

/** Kills until at least `kills` happened and the work is done; Temporal and the database restart once, part way. */
async function causeChaos(cluster: Cluster, chaos: Chaos, data: DataSource, done: () => boolean, log: (l: string) => void, counted: () => void): Promise<void> {
  let kills = 0;
  const temporalAt = Math.max(1, Math.floor(chaos.kills * 0.4));
  const databaseAt = Math.max(1, Math.floor(chaos.kills * 0.7));
  while (kills < chaos.kills || !done()) {
    await sleep(chaos.killEveryMs * (0.5 + Math.random()));
    if (kills >= chaos.kills && done()) break;
    const slot = Math.floor(Math.random() * cluster.workerSlots.length);
    const { pid, at } = await cluster.killWorker(slot);
    kills++;
    counted();
    log(`${at} kill -9 worker #${slot} (pid ${pid}); kill ${kills}`);
    if (chaos.restartTemporal && kills === temporalAt) {
      const t = Date.now();
      await cluster.restartTemporal();
      log(`Temporal dev server killed and restarted on the same file (${Date.now() - t} ms)`);
    }
    if (chaos.restartDatabase && kills === databaseAt) log(`database: ${await data.restart()}`);
  }
}

/**
 * How many duplicates the measured window predicts: a kill lands on one worker at a random moment,
 * and repeats an email when it falls inside one of that worker's accepted-but-not-yet-committed
 * windows. Sends are spread over the workers, so per kill that chance is about the windows' total
 * over (workers x the time kills were landing); overlapping windows make this an upper bound.
 */
function exposure(t: Tally, kills: number, workers: number, chaosMs: number): string {
  // A duplicated email's own gap runs to its retry's mark: it is the outcome, not the exposure.
  const gaps = t.acceptedToMarkedMs.slice(0, Math.max(0, t.acceptedToMarkedMs.length - t.sameMessageDuplicates));
  const total = gaps.reduce((a, b) => a + Math.max(0, b), 0);
  const perKill = total / (workers * chaosMs);
  return `exposure (accepted -> mark written): windows total ${total.toFixed(0)} ms over ${workers} workers x ${(chaosMs / 1000).toFixed(0)} s of kills = ` +
    `${(perKill * 100).toFixed(3)}% per kill; ${kills} kills -> ${(perKill * kills).toFixed(3)} duplicates expected this run`;
}

/** For each duplicated lead email: the send activity's attempts from its workflow's history, to see why. */
async function duplicateHistories(client: Client, details: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const d of details) {
    const m = /^duplicated email: l-(\d+)@/.exec(d);
    if (!m) continue;
    const workflowId = `seq:chaos-nurture:lead:L-${m[1]}`;
    const history = await client.workflow.getHandle(workflowId).fetchHistory().catch(() => null);
    for (const e of history?.events ?? []) {
      const at = e.eventTime?.seconds ? new Date(Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6)).toISOString() : '';
      const started = e.activityTaskStartedEventAttributes;
      if (started) lines.push(`  ${workflowId} ${at} activity started by ${started.identity} attempt ${started.attempt}${started.lastFailure ? ` after: ${started.lastFailure.message}` : ''}`);
      if (e.activityTaskCompletedEventAttributes) lines.push(`  ${workflowId} ${at} activity completed`);
      if (e.activityTaskTimedOutEventAttributes) lines.push(`  ${workflowId} ${at} activity timed out`);
    }
  }
  return lines;
}

async function connectClient(address: string): Promise<Client | undefined> {
  try {
    return new Client({ connection: await Connection.connect({ address, connectTimeout: 2000 }) });
  } catch {
    return undefined;
  }
}

async function running(client: Client): Promise<number> {
  return Number((await client.workflow.count('ExecutionStatus="Running"')).count);
}

/** Which worker slot started each activity and workflow task, from every workflow's history. */
async function workShare(client: Client, cluster: Cluster): Promise<Array<{ activities: number; workflowTasks: number }>> {
  const share = cluster.workerSlots.map(() => ({ activities: 0, workflowTasks: 0 }));
  const ids: string[] = [];
  for await (const wf of client.workflow.list()) ids.push(wf.workflowId);
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const history = await client.workflow.getHandle(ids[next++]).fetchHistory();
      for (const event of history.events ?? []) {
        const a = event.activityTaskStartedEventAttributes?.identity;
        const w = event.workflowTaskStartedEventAttributes?.identity;
        if (a && cluster.slotOfIdentity(a) >= 0) share[cluster.slotOfIdentity(a)].activities++;
        if (w && cluster.slotOfIdentity(w) >= 0) share[cluster.slotOfIdentity(w)].workflowTasks++;
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return share;
}

export { chaosLine };
