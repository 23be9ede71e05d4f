// `salesflow backtest`: the plan replayed over a past window on the Java time-skipping server, with
// the production workflows and activities, against a throwaway in-memory copy of the data source
// and an in-process mail catcher. Nothing reaches anyone and the real data source is only read.
//
// The server starts at the real now; the workflows see the window instead through a constant clock
// offset (src/workflows/backtest-clock.ts) that this client puts in every run's memo. The driver
// walks the window's actions in time order — goal periods starting and scheduled sequences'
// ticks (one run per rep, as the dispatch workflow starts them), events from the log (routed as
// the webhook routes them) and incentive periods ending (the statement function) — skipping server
// time forward to each, so timers of the runs already going fire in between, as they would have.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities/index.js';
import { openDatabase, type Db } from '../../data/db.js';
import { eachStatementForPeriod } from '../../data/period-statements.js';
import { getRep, getRepByEmail } from '../../data/reps.js';
import { parseEvent } from '../../events/schema.js';
import type { CrmEvent } from '../../events/schema.js';
import type { Plan } from '../../plan/schema.js';
import { startTimeSkippingEnv } from '../../temporal/index.js';
import type { DispatchInput, SequenceInput } from '../../workflows/api.js';
import { BACKTEST_CLOCK_MEMO } from '../../workflows/backtest-clock.js';
import { isKnownTimeZone } from '../../workflows/calendar.js';
import { childFor, dispatchPeriod, tickDate, type ChildStart } from '../../workflows/dispatch.js';
import { routeEvent } from '../events.js';
import { workflowsPath } from '../worker.js';
import { startBacktestCatcher } from './catcher.js';
import { BacktestWorker } from './worker.js';
import { emailEntries, sortTimeline, statementEntry, type TimelineEntry } from './timeline.js';
import {
  eventBounds, goalStartMs, periodEndMs, periodsEnding, periodsOverlapping, scheduleTicks, type BacktestWindow,
} from './window.js';

export interface BacktestOptions {
  plan: Plan;
  /** The real data source, SQLite or PostgreSQL. Only read (copied into memory); open it read-only. */
  source: Db;
  window: BacktestWindow;
  /** Base of links in the rendered emails (never followed). */
  publicUrl: string;
  /** A test's already running time-skipping environment; otherwise one is started and torn down. */
  testEnv?: TestWorkflowEnvironment;
  /** Stops the replay between two steps (Ctrl-C), tearing the server down, with an AbortError. */
  signal?: AbortSignal;
  /** Called before each step of the replay with the replayed time it has reached. */
  onProgress?: (done: number, total: number, replayedTime: string) => void;
}

export interface BacktestResult {
  timeline: TimelineEntry[];
  /** Things the user should know (an incentive outside its effective dates, a malformed event). */
  notes: string[];
  counts: { workflowsStarted: number; events: number };
}

type Action =
  | { at: number; kind: 'dispatch'; input: DispatchInput }
  | { at: number; kind: 'event'; event: CrmEvent }
  | { at: number; kind: 'statements'; ruleIndex: number; period: string };

/** The tables a replay reads; outbox, caught mail and recorded statements are produced afresh. */
const COPIED_TABLES = ['reps', 'deals', 'credits', 'rates', 'leads', 'events', 'suppressions', 'ledger', 'crm_versions'] as const;
const COPY_CHUNK = 500;

/**
 * The data source (SQLite or PostgreSQL) copied into an in-memory SQLite database through the
 * query builder: the replay writes there (outbox, routed events, the entities they carry) and the
 * real data source is only read.
 */
export async function throwawayCopy(source: Db, window: BacktestWindow): Promise<{ db: Db; events: CrmEvent[]; notes: string[] }> {
  const db = await openDatabase(':memory:');
  for (const table of COPIED_TABLES) {
    const all = await source.kysely.selectFrom(table).selectAll().execute();
    for (let i = 0; i < all.length; i += COPY_CHUNK) {
      await db.kysely.insertInto(table).values(all.slice(i, i + COPY_CHUNK) as never).execute();
    }
  }
  const { fromMs, toMs } = eventBounds(window);
  const notes: string[] = [];
  const events: CrmEvent[] = [];
  for (const row of await db.kysely.selectFrom('events').select(['id', 'occurred_at', 'payload']).execute()) {
    const at = Date.parse(row.occurred_at);
    if (!(at >= fromMs && at < toMs)) continue;
    const parsed = parseEvent(row.payload);
    if (!parsed.ok) {
      notes.push(`event ${row.id} in the log is not a valid event, left out: ${parsed.message}`);
      continue;
    }
    events.push(parsed.event);
  }
  // Routed again during the replay, they must not look like events seen before; unsubscribes
  // recorded since the window began are made again by the replayed events, at their time.
  for (let i = 0; i < events.length; i += COPY_CHUNK) {
    await db.kysely.deleteFrom('events').where('id', 'in', events.slice(i, i + COPY_CHUNK).map((e) => e.id)).execute();
  }
  await db.kysely.deleteFrom('suppressions').where('created_at', '>=', new Date(fromMs).toISOString()).execute();
  events.sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at) || (a.id < b.id ? -1 : 1));
  return { db, events, notes };
}

function plannedActions(plan: Plan, window: BacktestWindow, events: CrmEvent[]): Action[] {
  const actions: Action[] = [];
  plan.rules.forEach((rule, ruleIndex) => {
    if (rule.kind === 'goal') {
      for (const period of periodsOverlapping(window, rule.period)) {
        actions.push({
          at: goalStartMs(window, period), kind: 'dispatch',
          input: { rule, action: 'goal-period-start', period: period.label },
        });
      }
    } else if (rule.kind === 'incentive') {
      for (const period of periodsEnding(window, rule.period)) {
        actions.push({ at: periodEndMs(period, rule.timezone), kind: 'statements', ruleIndex, period: period.label });
      }
    } else if (rule.trigger.kind === 'schedule') {
      for (const tick of scheduleTicks(window, rule.trigger.schedule)) {
        const firedAt = new Date(tick).toISOString();
        actions.push({
          at: tick, kind: 'dispatch',
          input: { rule, action: 'sequence-tick', inRepZones: true, firedAt },
        });
      }
    }
  });
  for (const event of events) actions.push({ at: Date.parse(event.occurred_at), kind: 'event', event });
  // Stable: at one instant, plan order, then events in log order.
  return actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i).map(({ a }) => a);
}

const PAGE = 100;

/**
 * What the dispatch workflow does when a schedule fires, done from the client: the same rep pages
 * (the dispatch activity) and the same run per rep (`childFor`). Not the dispatch workflow itself:
 * the Java test server keeps a time-skipping lock when a child outlives its abandoning parent, and
 * then never skips again (see tests/workflows/scheduled-sequence-timezones.test.ts).
 */
async function fanOut(
  input: DispatchInput, at: number, activities: Pick<Activities, 'dispatchReps'>, start: (child: ChildStart) => Promise<void>,
): Promise<void> {
  const period = dispatchPeriod(input, at);
  const occurrence = input.rule.kind === 'sequence' ? tickDate(input, at) : null;
  for (let afterRepId = ''; ;) {
    const page = await activities.dispatchReps({ rule: input.rule, period, afterRepId, limit: PAGE });
    if (page.reps.length === 0) return;
    const children = page.reps.map((rep) => childFor(input, rep, period, occurrence)).filter((c): c is ChildStart => c !== null);
    await Promise.all(children.map(start));
    afterRepId = page.reps[page.reps.length - 1].id;
  }
}

/** The rep a goal's or scheduled sequence's run is for. */
function repOfChild(child: ChildStart): string | null {
  const input = child.args[0];
  if ('repId' in input) return input.repId;
  return 'subject' in input && input.subject.kind === 'rep' ? input.subject.rep.id : null;
}

/**
 * A rep with no time zone, or one the tz database does not know (rep CSVs are not checked), has
 * their runs, emails and local times in the rule's zone, as live: said once per rep, in rep order,
 * naming the rules and their zones, so a timeline an hour or a day off is not taken for the rep's.
 */
async function zonelessRepNotes(db: Db, plan: Plan, repRules: Map<string, Set<string>>): Promise<string[]> {
  const notes: string[] = [];
  for (const repId of [...repRules.keys()].sort()) {
    const rep = await getRep(db, repId);
    if (!rep || (rep.timezone && isKnownTimeZone(rep.timezone))) continue;
    const rules = plan.rules.filter((r) => repRules.get(repId)!.has(r.id)).map((r) => `${r.kind} "${r.name}": ${r.timezone}`);
    const what = rep.timezone ? `time zone "${rep.timezone}" is not one the tz database knows` : 'has no time zone';
    notes.push(`rep ${repId} ${rep.timezone ? `(${what})` : what}: replayed in the rule's zone (${rules.join('; ')}); ` +
      'set the rep\'s timezone (an IANA name such as Europe/Berlin) in the reps data for its own');
  }
  return notes;
}

/**
 * When the replay starts a run the dispatch would start at `tickAt`: a scheduled sequence's run for
 * one rep (`startAt`, the declared time in the rep's zone, up to 26 hours after the tick) is started
 * at that time, so it runs its first step at once instead of first sleeping on a timer: a workflow
 * task and a timer less per run, a quarter of all the replay's workflow tasks. Nothing can tell
 * the difference: the run's input is the one computed at the tick (the reps the tick selected), and
 * a tick's run has its own id (`seq:<rule>:rep:<rep>:<date>`), which no event's stop is sent to, so
 * while it waited it could only have slept. Null: start it now.
 */
function deferredStart(child: ChildStart, tickAt: number): number | null {
  if (child.workflowType !== 'sequenceWorkflow') return null;
  const startAt = (child.args[0] as SequenceInput).startAt;
  const at = startAt === undefined ? NaN : Date.parse(startAt);
  return at > tickAt ? at : null;
}

/** Where `at` goes in a list kept in time order (after entries of the same time: first come, first started). */
function sortedIndex(list: { at: number }[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every run this client starts carries the clock offset (children and continue-as-new inherit it). */
function clockInterceptor(offsetMs: number): WorkflowClientInterceptor {
  return {
    startWithDetails(input, next) {
      return next({ ...input, options: { ...input.options, memo: { ...input.options.memo, [BACKTEST_CLOCK_MEMO]: offsetMs } } });
    },
  };
}

/**
 * The production workflows bundled with the backtest's interceptors (about a second of webpack):
 * the shifted clock, and activities run as local activities (see each module's comment).
 */
async function backtestBundle(): Promise<{ code: string }> {
  const entry = workflowsPath();
  const sibling = (name: string) => path.join(path.dirname(entry), `${name}${path.extname(entry)}`);
  const quiet = () => {};
  return bundleWorkflowCode({
    workflowsPath: entry,
    workflowInterceptorModules: [sibling('backtest-clock'), sibling('backtest-local-activities')],
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: (m) => console.warn(m), error: (m) => console.error(m) },
  });
}

const HOUR = 3_600_000;

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const { plan, window } = options;
  const { db, events, notes } = await throwawayCopy(options.source, window);
  const timeline: TimelineEntry[] = [];
  let workflowsStarted = 0;
  const ownsEnv = !options.testEnv;
  // The test server's launcher stops the JIT at C1 for a fast start; a replay runs long enough for
  // the optimizing compiler to pay (later JVM flags win). Set the variable to choose otherwise.
  if (ownsEnv) process.env.TEMPORAL_TEST_SERVER_JAVA_OPTS ??= '-XX:TieredStopAtLevel=4';
  const started = await Promise.allSettled([options.testEnv ?? startTimeSkippingEnv(), backtestBundle()] as const);
  const [envStart, bundleStart] = started;
  if (envStart.status === 'rejected' || bundleStart.status === 'rejected') {
    // Whatever did start is stopped again before the failure is reported.
    if (envStart.status === 'fulfilled' && ownsEnv) await envStart.value.teardown();
    await db.close();
    throw started.map((r) => (r.status === 'rejected' ? r.reason : null)).find((reason) => reason !== null);
  }
  const [testEnv, bundle] = [envStart.value, bundleStart.value];
  const { mailer, sentAt } = startBacktestCatcher();
  try {
    const namespace = testEnv.namespace ?? 'default';
    const taskQueue = `backtest-${randomBytes(4).toString('hex')}`;
    // Workflow time = server time + offset: the replay begins when `from` begins in the earliest zone.
    const offset = window.startMs - (await testEnv.currentTimeMs());
    const client = new Client({ connection: testEnv.connection, namespace, interceptors: { workflow: [clockInterceptor(offset)] } });
    const virtualNow = async () => (await testEnv.currentTimeMs()) + offset;
    // Once each, in the order first met: a rep without a manager would otherwise fill the notes once per email.
    const recipientProblems = new Set<string>();
    const activities = createActivities({
      db, mailer, config: { publicUrl: options.publicUrl, secret: randomBytes(24).toString('hex') }, measureAsOfCheckpoint: true,
      noteRecipientProblem: (message) => recipientProblems.add(message),
    });
    const worker = await BacktestWorker.create({
      connection: testEnv.nativeConnection,
      namespace,
      taskQueue,
      workflowBundle: bundle,
      activities,
    });
    const routeDeps = {
      client, db, plan,
      config: { temporal: { address: testEnv.address, namespace, taskQueue } },
    };

    const start = (child: ChildStart) =>
      client.workflow.start(child.workflowType, { taskQueue, workflowId: child.workflowId, args: child.args }).then(() => {});
    // A scheduled sequence's run for one rep is started when its declared time comes in the rep's
    // zone, not at the tick (see `deferredStart`); these wait here, in time order, meanwhile.
    const deferred: { at: number; child: ChildStart }[] = [];
    const startDeferredUpTo = async (limit: number) => {
      while (deferred.length > 0 && deferred[0].at <= limit) {
        const at = deferred[0].at;
        const wait = at - (await virtualNow());
        if (wait > 0) await testEnv.sleep(wait);
        let count = 0;
        while (count < deferred.length && deferred[count].at === at) count += 1;
        const due = deferred.splice(0, count);
        await Promise.all(due.map((d) => start(d.child)));
        workflowsStarted += due.length;
      }
    };

    // Per goal and scheduled sequence, how many runs its periods and ticks started: none at all means
    // its `for reps where` selects nobody (a misspelt team is the usual cause), which an empty
    // timeline alone does not tell apart from a rule that had nothing to say.
    const runsOf = new Map<string, number>();
    // Per rep, the rules whose runs went by their zone: one without a zone the tz database knows is noted.
    const repRules = new Map<string, Set<string>>();
    const usedBy = (repId: string, ruleId: string) => repRules.set(repId, (repRules.get(repId) ?? new Set()).add(ruleId));
    await worker.runUntil(async () => {
      const actions = plannedActions(plan, window, events);
      for (const [done, action] of actions.entries()) {
        options.signal?.throwIfAborted();
        options.onProgress?.(done, actions.length, new Date(action.at).toISOString());
        await startDeferredUpTo(action.at);
        const wait = action.at - (await virtualNow());
        if (wait > 0) await testEnv.sleep(wait);
        if (action.kind === 'dispatch') {
          const ruleId = action.input.rule.id;
          runsOf.set(ruleId, runsOf.get(ruleId) ?? 0);
          await fanOut(action.input, action.at, activities, async (child) => {
            runsOf.set(ruleId, runsOf.get(ruleId)! + 1);
            const repId = repOfChild(child);
            if (repId) usedBy(repId, ruleId);
            const at = deferredStart(child, action.at);
            if (at === null) {
              await start(child);
              workflowsStarted += 1;
            } else {
              deferred.splice(sortedIndex(deferred, at), 0, { at, child });
            }
          });
        } else if (action.kind === 'event') {
          const routed = await routeEvent(routeDeps, action.event);
          workflowsStarted += routed.started.length;
        } else {
          const rule = plan.rules[action.ruleIndex];
          if (rule.kind !== 'incentive') continue;
          const run = await eachStatementForPeriod(db, rule, action.period, (s) => { timeline.push(statementEntry(s, action.at)); });
          if (!run.ok) notes.push(`no statements of "${rule.name}" for ${action.period}: ${run.message}`);
        }
      }
      // On to the moment `to` has ended everywhere, and an hour past it so nothing due at that
      // midnight is still in flight; later emails fall outside the window and are not reported.
      await startDeferredUpTo(window.endMs + HOUR);
      const wait = window.endMs + HOUR - (await virtualNow());
      if (wait > 0) await testEnv.sleep(wait);
    });
    notes.push(...recipientProblems);
    for (const rule of plan.rules) {
      if (runsOf.get(rule.id) !== 0) continue;
      const what = rule.kind === 'goal' ? `goal "${rule.name}"` : `sequence "${rule.name}"`;
      const selects = rule.kind === 'goal' ? rule.reps : rule.kind === 'sequence' && rule.trigger.kind === 'schedule' ? rule.trigger.reps : null;
      const why = selects ? 'no rep in the data source matches its `for reps where`' : 'the data source has no reps';
      notes.push(`${what} ran for no rep in this window: ${why}${rule.kind === 'goal' ? ' (employed in its periods)' : ''}`);
    }
    const emails = await emailEntries(db, plan, window, sentAt);
    const ruleIdOf = new Map(plan.rules.map((r) => [r.name, r.id]));
    // The same few addresses get most emails: each is looked up once.
    const repAt = new Map<string, string | null>();
    for (const email of emails) {
      const ruleId = ruleIdOf.get(email.rule)!;
      if (email.rep) usedBy(email.rep, ruleId);
      if (!repAt.has(email.to)) repAt.set(email.to, (await getRepByEmail(db, email.to))?.id ?? null);
      const recipient = repAt.get(email.to);
      if (recipient) usedBy(recipient, ruleId);
    }
    notes.push(...(await zonelessRepNotes(db, plan, repRules)));
    timeline.push(...emails);
    return { timeline: sortTimeline(timeline), notes, counts: { workflowsStarted, events: events.length } };
  } finally {
    mailer.close();
    if (ownsEnv) await testEnv.teardown();
    await db.close();
  }
}
