// sequence "..." { on EVENT [where] | every DAY at HH:MM for reps [where]; stop on ...; quiet hours;
// send / wait / if-else steps } (SPEC §5).
import { eventEntity, eventTypes, type EntityName, type EventType } from '../plan/catalog.js';
import type { SequenceRule, SequenceStep, WeeklySchedule } from '../plan/schema.js';
import type { TemplateScopeKind } from '../templates/index.js';
import type { Name, RuleDeclaration, Span, Statement } from './ast.js';
import { checkSchedule, checkSend, checkTime, singleStatements, statementLabels, type RuleContext } from './check-common.js';
import { checkDuration } from './check-duration.js';
import { checkCondition } from './check-expr.js';
import { closest, type DiagnosticBag } from './diagnostics.js';
import type { CheckedRule } from './drafts.js';
import type { ExprScope } from './scope.js';

const sequenceStatements = new Set(['on', 'every', 'stopOn', 'quietHours', 'send', 'wait', 'if']);
const stepStatements = new Set(['send', 'wait', 'if']);

function checkEvent(name: Name, bag: DiagnosticBag): EventType | null {
  if ((eventTypes as readonly string[]).includes(name.text)) return name.text as EventType;
  bag.report('unknownEvent', name.span, [name.text], closest(name.text, eventTypes));
  return null;
}

interface StepScope {
  exprScope: ExprScope;
  entities: readonly EntityName[];
  where: string;
  templateScope: TemplateScopeKind;
  ruleLabel: string;
}

function checkSteps(body: Statement[], prefix: string, scope: StepScope, ctx: RuleContext, templatesUsed: Set<string>): SequenceStep[] {
  const steps: SequenceStep[] = [];
  body.forEach((statement, index) => {
    const id = prefix ? `${prefix}.${index + 1}` : `s${index + 1}`;
    if (statement.kind === 'send') {
      const send = checkSend(statement, id, scope, ctx, templatesUsed);
      if (send) steps.push({ kind: 'send', send });
    } else if (statement.kind === 'wait') {
      const duration = checkDuration(statement.duration, ctx.bag);
      if (duration) steps.push({ kind: 'wait', id, duration });
    } else if (statement.kind === 'if') {
      const condition = checkCondition(statement.condition, scope.exprScope, ctx.bag);
      const then = checkSteps(statement.then, `${id}.then`, scope, ctx, templatesUsed);
      const otherwise = statement.else ? checkSteps(statement.else, `${id}.else`, scope, ctx, templatesUsed) : [];
      // `if x { }`: nothing happens either way, like an empty goal check-in (which warns too).
      if (statement.then.length === 0 && (statement.else ?? []).length === 0) ctx.bag.report('emptyBlock', statement.span);
      if (condition) steps.push({ kind: 'if', id, condition, then, else: otherwise });
    } else if (prefix) {
      ctx.bag.report('statementNotAllowed', statement.span, [statementLabels[statement.kind], 'an if/else branch']);
    }
  });
  return steps;
}

/** The first `lead` or `deal` a name in these statements starts with (`lead.score`, `to deal`). */
function entityNamedIn(node: unknown): 'lead' | 'deal' | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = entityNamedIn(item);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as { kind?: unknown; parts?: { text: string }[] };
  if (record.kind === 'path' && Array.isArray(record.parts)) {
    const head = record.parts[0]?.text;
    return head === 'lead' || head === 'deal' ? head : undefined;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'span' && typeof value === 'object') {
      const found = entityNamedIn(value);
      if (found) return found;
    }
  }
  return undefined;
}

function sendsSomething(body: Statement[]): boolean {
  return body.some((s) => s.kind === 'send' || (s.kind === 'if' && (sendsSomething(s.then) || sendsSomething(s.else ?? []))));
}

export function checkSequence(decl: RuleDeclaration, id: string, ctx: RuleContext): CheckedRule | null {
  const { bag } = ctx;
  const name = decl.name.value;
  const errorsBefore = bag.errorCount();
  for (const statement of decl.body) {
    if (!sequenceStatements.has(statement.kind) || (statement.kind === 'every' && !statement.forReps)) {
      const label = statement.kind === 'every' ? 'every ... { } check-ins' : statementLabels[statement.kind];
      bag.report('statementNotAllowed', statement.span, [label, 'a sequence']);
    }
  }
  const triggers = decl.body.filter((s) => s.kind === 'on' || (s.kind === 'every' && s.forReps));
  triggers.slice(1).forEach((t) => bag.report('twoTriggers', t.span));
  const trigger = triggers[0];
  if (!trigger) bag.report('noTrigger', decl.name.span, [name]);
  const single = singleStatements(decl.body, ['stopOn', 'quietHours'], name, bag);

  // Without a trigger the subject is unknown (SF7002 says so): the entity the steps name is the
  // likeliest, so `send "x" to lead` is not also reported as "lead is not available" (a cascade).
  let subject: EntityName = trigger ? 'rep' : entityNamedIn(decl.body) ?? 'rep';
  let triggerEvent: EventType | null = null;
  if (trigger?.kind === 'on') {
    triggerEvent = checkEvent(trigger.event, bag);
    // An unknown event still names its entity (`lead.creatd`): check the rest against that,
    // rather than as a rep sequence and report errors the author did not make.
    const prefix = trigger.event.text.split('.')[0];
    if (triggerEvent) subject = eventEntity(triggerEvent);
    else if (prefix === 'deal') subject = 'deal';
    else subject = 'lead';
  }
  const entities: EntityName[] = subject === 'rep' ? ['rep'] : [subject, 'rep'];
  const where = subject === 'rep' ? 'a scheduled sequence for reps' : `a sequence about a ${subject}`;
  const exprScope: ExprScope = {
    entities, where, metrics: false, attainment: false, currency: ctx.settings.currency,
    customMetrics: ctx.customMetrics, usedMetrics: new Set(),
  };

  let triggerPlan: SequenceRule['trigger'] | null = null;
  if (trigger?.kind === 'on' && triggerEvent) {
    const condition = trigger.where ? checkCondition(trigger.where, exprScope, bag) : null;
    triggerPlan = { kind: 'event', event: triggerEvent, where: condition };
  } else if (trigger?.kind === 'every' && trigger.forReps) {
    const schedule = checkSchedule(trigger.schedule, bag);
    const repScope: ExprScope = { ...exprScope, where: "a sequence's `for reps`" };
    const reps = trigger.forReps.where ? checkCondition(trigger.forReps.where, repScope, bag) : null;
    if (schedule) triggerPlan = { kind: 'schedule', schedule, reps };
  }

  const stop = single.get('stopOn') as Extract<Statement, { kind: 'stopOn' }> | undefined;
  const stopOn: EventType[] = [];
  for (const event of stop?.events ?? []) {
    const type = checkEvent(event, bag);
    if (type && type === triggerEvent) bag.report('stopOnTrigger', event.span, [type]);
    // Said like a day listed twice in `every monday, monday`: harmless, but likely a different event was meant.
    if (type && stopOn.includes(type)) bag.report('repeatedDay', event.span, [type]);
    else if (type) stopOn.push(type);
  }
  if (!stop && subject === 'lead') bag.report('noStopOn', decl.name.span, [name]);
  // No CRM event names a rep, so nothing would ever reach a scheduled run's `stop on`.
  if (stop && triggerPlan?.kind === 'schedule') bag.report('stopOnRepSequence', stop.span, []);

  const quiet = single.get('quietHours') as Extract<Statement, { kind: 'quietHours' }> | undefined;
  let quietHours: SequenceRule['quietHours'] = null;
  if (quiet) {
    const from = checkTime(quiet.from, bag);
    const to = checkTime(quiet.to, bag);
    if (from && to && from === to) bag.report('emptyQuietHours', quiet.span, [from]);
    if (from && to) quietHours = { from, to, weekends: quiet.weekends };
  }

  const stepBody = decl.body.filter((s) => stepStatements.has(s.kind));
  // The rep's own quiet hours are in the zone of the rep's schedule; other recipients' may not be.
  const first = stepBody[0];
  const firstToRep = first?.kind === 'send' && first.to.some((r) => r.kind === 'path' && r.parts.length === 1 && r.parts[0].text === 'rep');
  if (trigger?.kind === 'every' && triggerPlan?.kind === 'schedule' && quietHours && firstToRep) {
    scheduleInQuietHours(triggerPlan.schedule, quietHours, trigger.schedule.at.span, bag);
  }
  const templatesUsed = new Set<string>();
  const templateScope = `sequence:${subject}` as TemplateScopeKind;
  const steps = checkSteps(stepBody, '', { exprScope, entities, where, templateScope, ruleLabel: `sequence "${name}"` }, ctx, templatesUsed);
  if (!sendsSomething(stepBody)) bag.report('sequenceSendsNothing', decl.name.span, [name]);
  const last = stepBody[stepBody.length - 1];
  if (last?.kind === 'wait') bag.report('waitAtEnd', last.span);

  if (bag.errorCount() > errorsBefore || !triggerPlan) return null;
  return {
    draft: {
      kind: 'sequence', name, id, source: { file: decl.span.file, line: decl.span.line },
      timezone: ctx.settings.timezone, from: ctx.settings.from,
      trigger: triggerPlan, subject, stopOn, quietHours, steps,
    },
    templates: [...templatesUsed],
    metrics: [],
  };
}

/**
 * A scheduled sequence whose first email is due inside its own quiet hours (`every saturday at
 * 10:00` with `and weekends`, `every monday at 21:30` with `quiet hours 20:00 to 08:00`): the rep's
 * clock and the rep's quiet hours are in the same zone, so every such email waits, always, until
 * the quiet hours end. Said once, naming the days it concerns.
 */
function scheduleInQuietHours(schedule: WeeklySchedule, quiet: NonNullable<SequenceRule['quietHours']>, span: Span, bag: DiagnosticBag): void {
  const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
  const [at, from, to] = [minutes(schedule.at), minutes(quiet.from), minutes(quiet.to)];
  // Equal ends are no quiet hours at all (SF5005 says so).
  const night = from === to ? false : from < to ? at >= from && at < to : at >= from || at < to;
  const held = night ? schedule.days : quiet.weekends ? schedule.days.filter((d) => d === 'saturday' || d === 'sunday') : [];
  if (held.length === 0) return;
  const hours = `${quiet.from} to ${quiet.to}${quiet.weekends ? ' and weekends' : ''}`;
  bag.report('scheduleInQuietHours', span, [`every ${held.join(', ')} at ${schedule.at}`, hours]);
}
