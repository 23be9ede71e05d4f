// Activities of the goal workflow: where the period lies in the rep's time zone, and one
// checkpoint: progress from the data source (measure, target, attainment), the checkpoint's
// condition on it, and the emails. Each occurrence of a checkpoint has its own outbox keys, so a
// retried check-in mails once and next week's check-in is not mistaken for this week's.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { computeMetrics } from '../data/metrics.js';
import { getRep, getRepByEmail } from '../data/reps.js';
import { Decimal, displayMoney, ZERO } from '../money/index.js';
import { metricValue, type LeftOutDeal } from '../payouts/facts.js';
import { leftOutWarning } from '../payouts/statement-text.js';
import { parseDay, parsePeriod } from '../payouts/period.js';
import { holds, literalValue, metricsUsed, type RuntimeValue } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { GoalRule } from '../plan/schema.js';
import { renderTemplate, type TemplateScope } from '../templates/index.js';
import { localDate, zoneOr } from '../workflows/calendar.js';
import type { ActivityDeps } from './deps.js';
import { defaultFrom } from './mail.js';
import { StepDelivery } from './step-delivery.js';
import { nextDue, periodSpan } from '../workflows/goal-timing.js';
import { shownMoney, shownPercent } from './goal-figures.js';
import { entityGroup } from './scope.js';
import { resolveRecipients } from './subjects.js';
import { emailKey } from '../data/email-key.js';
import { recordGoalRunStarted } from '../data/goal-runs.js';

/**
 * How long before the run's next checkpoint a deferred email is given up: twice the goal workflow's
 * longest retry interval (10 minutes). The time an attempt knows (the server's
 * currentAttemptScheduledTimestampMs, the server's clock, so also the time-skipping server's) was
 * seen to be when the previous attempt failed, up to one interval before the attempt runs; the
 * attempt after it comes another interval later. So the attempt that
 * gives up runs before the next check-in is due, and that check-in goes out on time.
 */
const GIVE_UP_BEFORE_NEXT_MS = 2 * 10 * 60_000;
/** A deferred email of the run's last checkpoint (nothing later to hold up) is retried this long. */
const LAST_CHECKPOINT_PATIENCE_MS = 7 * 24 * 60 * 60_000;

export interface GoalContext {
  /** The rep's zone, the rule's when the rep has none (or one the tz database does not know). */
  timezone: string;
  /** First and last day of the period, YYYY-MM-DD. */
  periodStart: string;
  periodEnd: string;
}

export interface GoalCheckpointRequest {
  rule: GoalRule;
  repId: string;
  period: string;
  workflowId: string;
  checkpointId: string;
  /** Distinguishes this occurrence of the checkpoint (its due time, ISO). */
  occurrence: string;
  /** Workflow time, epoch ms. */
  at: number;
  /**
   * The zone the run measures its period in (the rep's when the run started). Absent from runs of
   * an earlier salesflow: the rep's zone now.
   */
  timezone?: string;
}

export interface GoalCheckpointOutcome {
  conditionHeld: boolean;
  sentTo: string[];
  attainment: string | null;
  /** The rep's zone when the checkpoint ran (the rule's if none, or one the tz database does not know). Absent from an earlier salesflow's worker. */
  repZone?: string;
}

interface Progress {
  measure: Decimal | null;
  target: Decimal;
  attainment: Decimal | null;
  currency: string | null;
  /** Deals of the window in another currency than a money goal's, left out of its figures. */
  leftOut: LeftOutDeal[];
  metrics: Awaited<ReturnType<typeof computeMetrics>> extends { forRep(rep: string): { metrics: infer M } } ? M : never;
}

export function goalActivities(deps: ActivityDeps) {
  const { db } = deps;

  const repOf = async (repId: string): Promise<RepRecord> => {
    const rep = await getRep(db, repId);
    if (!rep) throw ApplicationFailure.nonRetryable(`rep "${repId}" is not in the data source`, 'UnknownRep');
    return rep;
  };

  const progressOf = async (rule: GoalRule, checkpointCondition: GoalRule['checkpoints'][number]['condition'], rep: RepRecord, window: { start: string; end: string }): Promise<Progress> => {
    const target = literalValue(rule.target);
    const currency = target.type === 'money' ? target.value.currency : null;
    const targetAmount = target.type === 'money' ? target.value.amount : target.type === 'number' || target.type === 'percent' ? target.value : ZERO;
    const names = [...metricsUsed(checkpointCondition, new Set([rule.measure.metric]))];
    const result = await computeMetrics(db, {
      window,
      currency: currency ?? 'USD',
      metrics: names,
      definitions: rule.metrics,
      countAllCurrencies: currency === null,
      reps: [rep.id],
    });
    const { metrics, leftOut } = result.forRep(rep.id);
    const measured = metricValue(metrics[rule.measure.metric]);
    const measure =
      measured?.type === 'money' ? measured.value.amount : measured?.type === 'number' || measured?.type === 'percent' ? measured.value : null;
    const attainment = measure !== null && !targetAmount.isZero() ? measure.div(targetAmount).times(100) : null;
    // A count goal counts deals in every currency; only a money goal leaves some out.
    return { measure, target: targetAmount, attainment, currency, metrics, leftOut: currency === null ? [] : leftOut };
  };

  /**
   * Whether a recipient other than the goal's own rep is a rep not employed on the email's due date
   * (in their zone, else the rule's): a manager who has left hears nothing more about their former
   * reps' figures, and one not started yet nothing before their first day. The goal's rep is bounded
   * by outsideEmployment instead (their review still goes out after they leave).
   */
  const notEmployedColleague = async (email: string, rep: RepRecord, dueMs: number, ruleZone: string): Promise<boolean> => {
    if (emailKey(email) === emailKey(rep.email)) return false;
    const other = await getRepByEmail(db, email);
    if (!other) return false;
    const zone = zoneOr(other.timezone, ruleZone);
    const day = localDate(dueMs, zone);
    return (other.start_date !== null && day < other.start_date) || (!!other.end_date && day > other.end_date);
  };

  return {
    async goalContext(input: { rule: GoalRule; repId: string; period: string }): Promise<GoalContext> {
      const parsed = parsePeriod(input.period);
      if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.message, 'BadPeriod');
      if (parsed.period.kind !== input.rule.period) {
        throw ApplicationFailure.nonRetryable(`goal "${input.rule.name}" is set per ${input.rule.period}; ${input.period} is a ${parsed.period.kind}`, 'BadPeriod');
      }
      // The run exists: the goal's daily pass need not try to start it again (data/goal-runs.ts).
      // Also on a continue-as-new's call (nothing new: the row is there).
      await recordGoalRunStarted(db, { ruleId: input.rule.id, period: input.period, repId: input.repId }, new Date());
      const rep = await repOf(input.repId);
      // A zone the tz database does not know (rep CSVs are not checked) falls back to the rule's.
      const timezone = zoneOr(rep.timezone, input.rule.timezone);
      return { timezone, periodStart: parsed.period.start, periodEnd: parsed.period.end };
    },

    async runGoalCheckpoint(input: GoalCheckpointRequest): Promise<GoalCheckpointOutcome> {
      const { rule } = input;
      const checkpoint = rule.checkpoints.find((c) => c.id === input.checkpointId);
      if (!checkpoint) throw ApplicationFailure.nonRetryable(`goal "${rule.name}" has no checkpoint ${input.checkpointId}`, 'PlanError');
      // A run begun before runs were recorded (an earlier salesflow) is recorded at its next
      // checkpoint, so the daily pass stops trying to start it again from then on.
      await recordGoalRunStarted(db, { ruleId: rule.id, period: input.period, repId: input.repId }, new Date());
      const rep = await repOf(input.repId);
      const parsed = parsePeriod(input.period);
      if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.message, 'BadPeriod');
      // The rep's zone now, told to the run: one moved mid-period gets the rest of the period's
      // `every` check-ins at the new zone's time (src/workflows/goal.ts).
      const repZone = zoneOr(rep.timezone, rule.timezone);
      const zone = input.timezone ?? repZone;
      // A rep who starts mid-period hears nothing dated before their first day (a check-in or an
      // at-risk alert about weeks they were not there for is noise), and a rep who has left hears
      // nothing dated after their last. The SPEC is silent; this is what a sales-ops team expects.
      // Decided here, in the activity, so the goal workflow (and the histories it replays) is
      // unchanged: the run still wakes, nothing is sent.
      if (outsideEmployment(checkpoint.when.kind, rep, localDate(Date.parse(input.occurrence), zone), parsed.period)) {
        return { conditionHeld: false, sentTo: [], attainment: null, repZone };
      }
      // A rep the goal's `for reps where` no longer selects (moved to another team mid-period) hears
      // no more check-ins or alerts about it, as one who has left; the review of the period they
      // were in still goes out. A rep newly selected gets their own run at the schedule's next
      // daily pass (src/runtime/schedule-specs.ts).
      if (checkpoint.when.kind !== 'end' && !holds(rule.reps, { rep })) {
        return { conditionHeld: false, sentTo: [], attainment: null, repZone };
      }
      let end = parsed.period.end;
      if (deps.measureAsOfCheckpoint) {
        const today = localDate(input.at, zone);
        if (today < end) end = today;
      }
      const progress = await progressOf(rule, checkpoint.condition, rep, { start: parsed.period.start, end });
      const attainmentText = progress.attainment?.toDecimalPlaces(2).toFixed(2) ?? null;
      const conditionHeld = holds(checkpoint.condition, {
        rep,
        attainment: progress.attainment ?? undefined,
        metric: (name) => metricValue(progress.metrics[name]),
      });
      if (!conditionHeld) return { conditionHeld, sentTo: [], attainment: attainmentText, repZone };

      // The figures shown must read as the condition did (src/activities/goal-figures.ts): the
      // condition again, on the shown attainment and the shown measure (a percent, or money with
      // digits past the minor unit: 9,999.995 USD read "10,000.00 USD" in an alert sent because
      // revenue was under 10,000 USD).
      const { currency } = progress;
      const measureAs = (value: Decimal): RuntimeValue | undefined =>
        rule.measure.type === 'percent' ? { type: 'percent', value } : currency !== null ? { type: 'money', value: { amount: value, currency } } : undefined;
      const readsTheSame = (attainment: Decimal | null, measure: Decimal | null) => holds(checkpoint.condition, {
        rep,
        attainment: attainment ?? undefined,
        metric: (name) => (name === rule.measure.metric && measure !== null ? measureAs(measure) : undefined) ?? metricValue(progress.metrics[name]),
      }) === conditionHeld;
      const shownAttainment = progress.attainment === null
        ? null
        : shownPercent(progress.attainment, (a) => readsTheSame(a, progress.measure));
      const shownMeasure = progress.measure === null
        ? null
        : rule.measure.type === 'percent'
          ? shownPercent(progress.measure, (m) => readsTheSame(shownAttainment?.value ?? null, m))
          : currency !== null
            ? shownMoney(progress.measure, currency, (m) => readsTheSame(shownAttainment?.value ?? null, m))
            : null;

      const show = (v: Decimal | null) =>
        v === null
          ? 'unknown'
          : progress.currency
            ? displayMoney(v, progress.currency)
            : rule.measure.type === 'percent'
              ? `${v.toDecimalPlaces(2).toFixed()}%`
              : v.toFixed();
      // Said in the email (as statements say it), and in the worker's log for sales ops: figures
      // that silently miss a EUR deal read as the rep's whole result.
      const warnings = progress.leftOut.map((deal) => leftOutWarning(deal, progress.currency!, "the goal's figures are"));
      if (warnings.length > 0) log.warn(`goal "${rule.name}", rep ${rep.id} (${input.period}): ${warnings.join('; ')}`);
      // From the measure as shown, so the two add up to the target as the reader sees them
      // (9,999.996 shown as "9,999.99 USD" left "0.00 USD to go" of 10,000.00).
      const measured = shownMeasure?.value ?? progress.measure;
      const remaining = measured === null ? progress.target : Decimal.max(ZERO, progress.target.minus(measured));
      const scope: TemplateScope = {
        rep: entityGroup('rep', rep),
        goal: { name: rule.name, metric: rule.measure.metric, period: rule.period },
        progress: {
          period: parsed.period.label,
          period_start: parsed.period.start,
          period_end: parsed.period.end,
          measure: shownMeasure?.text ?? show(progress.measure),
          target: show(progress.target),
          attainment: shownAttainment?.text ?? 'unknown',
          remaining: show(remaining),
          days_left: String(daysLeft(parsed.period.end, localDate(input.at, zone))),
          warnings: warnings.join('\n'),
        },
      };
      const sentTo: string[] = [];
      const delivery = new StepDelivery(deps);
      for (const send of checkpoint.sends) {
        const template = rule.templates[send.template];
        if (!template) throw ApplicationFailure.nonRetryable(`plan of "${rule.name}" lacks template "${send.template}"`, 'PlanError');
        const rendered = renderTemplate(template, scope);
        const { recipients, problems } = await resolveRecipients(db, send.to, { rep });
        // Named by rep: "rep.manager is empty" in a worker's log is no help without saying whose.
        const about = `goal "${rule.name}", rep ${rep.id}, send "${send.template}"`;
        for (const problem of problems) {
          log.warn(`${about} (${input.period}): ${problem}; not sent to it`);
          deps.noteRecipientProblem?.(`${about}: ${problem}; not sent to it`);
        }
        for (const r of recipients) {
          if (await notEmployedColleague(r.email, rep, Date.parse(input.occurrence), rule.timezone)) {
            log.warn(`${about} (${input.period}): ${r.email} is a rep not employed on the send's date; not sent`);
            continue;
          }
          const outcome = await delivery.deliver({
            key: goalOutboxKey(input.workflowId, send.id, input.occurrence, r.email),
            workflowId: input.workflowId,
            ruleId: rule.id,
            template: template.name,
            to: r.email,
            from: rule.from ?? defaultFrom(deps.config.publicUrl),
            ...rendered,
            headers: {},
            date: new Date(input.at),
            suppressible: false,
          });
          // A refused address (the relay's 5xx, recorded on its outbox row) got nothing: the run's
          // record of who was sent what must not list it.
          if (outcome === 'failed') {
            log.warn(`${about} (${input.period}): the mail server refused the email to ${r.email}; not sent`);
            continue;
          }
          if (outcome === 'deferred') continue;
          sentTo.push(r.email);
        }
      }
      if (delivery.deferred.length > 0) {
        // Retried until shortly before the run's next checkpoint: the run waits on this activity, so an
        // email the relay keeps deferring (a full mailbox) held every later check-in of the rep,
        // which then all went out at once, weeks late, when the relay took mail again.
        const { currentAttemptScheduledTimestampMs: now, scheduledTimestampMs: firstAttempt } = Context.current().info;
        const due = Date.parse(input.occurrence);
        const span = periodSpan(parsed.period.start, parsed.period.end, zone);
        const next = rule.checkpoints
          .map((c) => nextDue(c, due, span, zone, true))
          .filter((at): at is number => at !== null);
        // A run that started late may run a checkpoint whose next one is already past: it still
        // gets some retries, as a relay that greylists (defers a first attempt) expects.
        const giveUpAt = next.length > 0
          ? Math.max(Math.min(...next) - GIVE_UP_BEFORE_NEXT_MS, firstAttempt + GIVE_UP_BEFORE_NEXT_MS)
          : Math.max(due, firstAttempt) + LAST_CHECKPOINT_PATIENCE_MS;
        if (now >= giveUpAt) {
          for (const deferred of [...delivery.deferred]) {
            const reason = `the mail server did not accept the email to ${deferred.email.to} before ${next.length > 0 ? "the goal's next checkpoint was due" : 'a week had passed'} (${deferred.error.message})`;
            await delivery.giveUp(deferred, reason);
            log.warn(`goal "${rule.name}", rep ${rep.id} (${input.period}): ${reason}; not sent`);
          }
        }
      }
      delivery.finish();
      return { conditionHeld, sentTo, attainment: attainmentText, repZone };
    },
  };
}

/**
 * The outbox key of one goal email: the run, the send, the checkpoint's due time (ISO) and the
 * recipient. A second run of the same (rule, rep, period) builds the same key, so it mails nothing twice.
 */
export function goalOutboxKey(workflowId: string, sendId: string, occurrence: string, email: string): string {
  return `${workflowId}:${sendId}@${occurrence}:${email.toLowerCase()}`;
}

/** The due time (epoch ms) a goal email's outbox key names (see goalOutboxKey); null: not such a key. */
export function goalKeyDue(key: string, workflowId: string): number | null {
  if (!key.startsWith(`${workflowId}:`)) return null;
  const match = /^[^@]*@(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z):/.exec(key.slice(workflowId.length + 1));
  return match ? Date.parse(match[1]) : null;
}

/**
 * Days of the period still ahead on `today` (both YYYY-MM-DD, today in the rep's zone), today
 * included: 7 on a week's Monday, 1 on its Sunday, 0 in the review (sent as the next period begins).
 */
export function daysLeft(periodEnd: string, today: string): number {
  return Math.max(0, parseDay(periodEnd)! - parseDay(today)! + 1);
}

/**
 * Whether a checkpoint falls outside the rep's employment. `dueDay` is its local date in the rep's
 * zone. The review (due at the midnight after the period) is about the whole period: it is sent
 * when the rep was employed on any day of it.
 */
export function outsideEmployment(
  kind: 'every' | 'fraction' | 'end',
  rep: Pick<RepRecord, 'start_date' | 'end_date'>,
  dueDay: string,
  period: { start: string; end: string },
): boolean {
  if (kind === 'end') return !employedDuring(rep, period);
  return (rep.start_date !== null && dueDay < rep.start_date) || (!!rep.end_date && dueDay > rep.end_date);
}

/** Whether the rep was employed on at least one day of the period (dates as YYYY-MM-DD). */
export function employedDuring(rep: Pick<RepRecord, 'start_date' | 'end_date'>, period: { start: string; end: string }): boolean {
  return !(rep.start_date && rep.start_date > period.end) && !(rep.end_date && rep.end_date < period.start);
}
