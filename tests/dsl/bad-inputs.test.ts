// Each bad input yields a diagnostic with a stable code at the place an author would look.
import { describe, expect, it } from 'vitest';
import { formatSource } from '../../src/dsl/index.js';
import { compile, diagnose, errors } from './helpers.js';

const goal = (body: string) => `goal "g" {\n  measure revenue\n  target 100 EUR per quarter\n${body}\n}\n`;
const leadSeq = (body: string) => `sequence "s" {\n  on lead.created\n  stop on lead.replied\n${body}\n}\n`;
const incentive = (body: string) =>
  `incentive "i" {\n  period quarter\n  measure revenue\n  target 100 USD\n  approve by rep.manager within 2 days { otherwise reject }\n${body}\n}\n`;

// [what, source, code, line, col]
const cases: [string, string, string, number, number][] = [
  // lexical
  ['unexpected character', 'goal "g" { ~ }', 'SF1001', 1, 12],
  ['unterminated string', 'goal "g {\n}', 'SF1002', 1, 6],
  ['unknown escape', 'goal "a\\qb" {\n}', 'SF1003', 1, 8],
  // A NUL pasted into a literal reached `simulate` as "SqliteError: unrecognized token" and a stack trace.
  ['NUL character in a string', 'metric m = count(deal) where deal.product = "a\0b"', 'SF1010', 1, 47],
  ['four-letter currency in settings', 'settings { currency EURO }', 'SF1005', 1, 21],
  ['lower-case currency after an amount', 'goal "g" {\n  measure revenue\n  target 1000 usd per quarter\n}', 'SF1005', 3, 15],
  ['four-letter currency after an amount', incentive('  bonus 100 EURO when deals_won > 1'), 'SF1005', 6, 13],
  ['currency name after an amount', 'goal "g" {\n  measure revenue\n  target 1000 dollars per quarter\n}', 'SF1006', 3, 15],
  ['slang currency in a bonus', incentive('  bonus 500 bucks when deals_won > 1'), 'SF1006', 6, 13],
  // A `_` not between two digits: was "expected '{' but found '__000'" and a second error at the rule's end.
  ['doubled underscore in an amount', goal('  at end of period when revenue > 1__000 EUR { send "goal-review" to rep }'), 'SF1007', 4, 35],
  ['trailing underscore in a number', goal('  at end of period when deals_won > 1_000_ { send "goal-review" to rep }'), 'SF1007', 4, 37],
  ['underscore before the decimal point', goal('  at end of period when attainment > 1_.5% { send "goal-review" to rep }'), 'SF1007', 4, 38],
  // Was "expected a statement or '}' but found 'EUR'"; now read as money, so the rule is checked on.
  ['amount and currency without a space', goal('  at end of period when revenue > 100EUR { send "goal-review" to rep }'), 'SF1009', 4, 35],
  ['double equals', goal('  for reps where rep.team == "a"'), 'SF1107', 4, 27],
  ['and written as &&', leadSeq('  if lead.score > 5 && lead.source = "ads" { send "book-a-call" to lead }'), 'SF1107', 4, 21],
  // language.md: comparisons do not chain; named as such, at the second operator (was "expected a statement or '}' but found '<'").
  ['chained comparison', goal('  at 50% of period when 10% < attainment < 40% { send "goal-at-risk" to rep }'), 'SF1109', 4, 42],
  // Was "expected '{' but found '='" and a second error at the rule's closing '}'.
  ['comparison after in', goal('  at end of period when deals_won in [1, 2] = true { send "goal-review" to rep }'), 'SF1109', 4, 45],
  ['a lone ampersand', leadSeq('  if lead.score > 5 & lead.source = "ads" { send "book-a-call" to lead }'), 'SF1001', 4, 21],
  ['capitalised day', goal('  every Friday at 09:00 { send "goal-checkin" to rep }'), 'SF1108', 4, 9],
  ['capitalised keyword', leadSeq('  Send "webinar-thanks" to lead'), 'SF1108', 4, 3],
  ['time written as 4pm', goal('  every friday at 4pm { send "goal-checkin" to rep }'), 'SF1101', 4, 19],
  ['template name without quotes', goal('  at end of period { send goal-review to rep }'), 'SF1102', 4, 27],
  ['misspelt currency code', incentive('  bonus 500 EUR when deal.amount > 10000 eru'), 'SF1006', 6, 42],
  // syntax
  // A token missing at the end of a line is reported there, not at the next line's first token.
  ['missing brace after goal name', 'goal "g"\n  measure revenue\n', 'SF1101', 1, 9],
  ['missing of in checkpoint', goal('  at 50% period { send "goal-review" to rep }'), 'SF1101', 4, 10],
  ['missing recipient', goal('  at end of period { send "goal-review" to }'), 'SF1102', 4, 44],
  // Was SF1101 here and SF1104 for a lone word: one message, one code.
  ['bad declaration keyword', 'gaol "x" {}', 'SF1104', 1, 1],
  ['missing expression after and', goal('  for reps where rep.team = "a" and\n'), 'SF1102', 6, 1],
  ['bonus without currency', incentive('  bonus 100 when deals_won > 1'), 'SF1101', 6, 9],
  ['wait without unit', leadSeq('  wait 2'), 'SF1101', 4, 8],
  ['keyword as a name', 'metric count = count(deal)', 'SF1105', 1, 8],
  ['aggregate missing', 'metric m = total(deal.amount)', 'SF1102', 1, 12],
  ['a lone word', 'x', 'SF1104', 1, 1],
  // a new author's mistakes
  ['missing closing brace of a rule', 'goal "g" {\n  measure revenue\n  target 1 EUR per week\n  at end of period { send "goal-review" to rep }\n', 'SF1106', 4, 49],
  ['missing closing brace of a check-in', 'goal "g" {\n  measure revenue\n  target 1 EUR per week\n  at end of period { send "goal-review" to rep\n}\n', 'SF1106', 5, 2],
  ['send without to', leadSeq('  send "webinar-thanks" lead'), 'SF1101', 4, 25],
  ['send without to and recipient', leadSeq('  send "webinar-thanks"'), 'SF1101', 4, 24],
  ['wait with a misspelt unit', leadSeq('  wait 2 dayz'), 'SF1101', 4, 8],
  // `business` goes with days only: these were read as 3 business days and 1 business day.
  ['business hours', leadSeq('  wait 3 business hours\n  send "case-study" to lead'), 'SF1101', 4, 8],
  ['business week', leadSeq('  wait 1 business week\n  send "case-study" to lead'), 'SF1101', 4, 8],
  ['incentive target without currency for a money measure', 'incentive "i" {\n  period quarter\n  measure revenue\n  target 100000\n}', 'SF3009', 4, 10],
  ['unknown day funday', goal('  every funday at 09:00 { send "goal-checkin" to rep }'), 'SF5003', 4, 9],
  ['weekend for weekends', leadSeq('  quiet hours 20:00 to 08:00 and weekend\n  send "webinar-thanks" to lead'), 'SF1101', 4, 34],
  ['approver that cannot receive email', incentive('').replace('rep.manager', 'rep.name'), 'SF8001', 5, 14],
  ['a stray closing brace', `${goal('')}}`, 'SF1104', 6, 1],
  // names
  ['unknown field', goal('  for reps where rep.tem = "a"'), 'SF2002', 4, 22],
  ['unknown entity', goal('  for reps where rap.team = "a"'), 'SF2001', 4, 18],
  ['unknown metric in measure', 'goal "g" {\n  measure revenu\n  target 1 EUR per week\n}', 'SF2003', 2, 11],
  ['unknown event', 'sequence "s" {\n  on lead.creatd\n  send "webinar-thanks" to lead\n}', 'SF2004', 2, 6],
  ['unknown name in condition', goal('  at end of period when revenu > 1 EUR { send "goal-review" to rep }'), 'SF2005', 4, 25],
  ['duplicate rule name', `${goal('')}\n${goal('')}`, 'SF2006', 7, 6],
  ['duplicate metric', 'metric m = count(deal)\nmetric m = count(deal)', 'SF2007', 2, 8],
  ['metric named like a built-in', 'metric revenue = count(deal)', 'SF2008', 1, 8],
  ['ids collide', `${goal('').replace('"g"', '"Q4 goal"')}\n${goal('').replace('"g"', '"q4-goal"')}`, 'SF2009', 7, 6],
  ['name without letters', goal('').replace('"g"', '"!!!"'), 'SF2010', 1, 6],
  ['entity not in scope', 'sequence "s" {\n  on deal.won where lead.score > 5\n  send "csat-survey" to deal.contact\n}', 'SF2011', 2, 21],
  ['attainment in a sequence', leadSeq('  if attainment > 5% { send "book-a-call" to lead }'), 'SF2012', 4, 6],
  ['metric in a sequence', leadSeq('  if deals_won > 5 { send "book-a-call" to lead }'), 'SF2013', 4, 6],
  ['entity used as value', goal('  for reps where rep = "a"'), 'SF2014', 4, 18],
  ['three-part path', goal('  for reps where rep.manager.name = "a"'), 'SF2015', 4, 18],
  ['unknown period', 'goal "g" {\n  measure revenue\n  target 1 EUR per quartr\n}', 'SF2016', 3, 20],
  ['closed value misspelt', 'metric m = count(deal) where deal.stage = "wno"', 'SF2017', 1, 43],
  // structure
  ['wait in a goal', goal('  wait 2 days'), 'SF2101', 4, 3],
  ['goal without measure', 'goal "g" {\n  target 1 EUR per week\n}', 'SF2102', 1, 6],
  ['measure twice', goal('  measure deals_won'), 'SF2103', 4, 3],
  ['setting twice', 'settings { timezone "UTC" timezone "UTC" }', 'SF2104', 1, 27],
  ['two settings blocks', 'settings { currency EUR }\nsettings { currency USD }', 'SF2105', 2, 1],
  // types
  ['condition is not a bool', goal('  for reps where rep.team'), 'SF3006', 4, 18],
  ['adding a number to money', goal('  at end of period when revenue + 5 > 10 EUR { send "goal-review" to rep }'), 'SF3002', 4, 25],
  ['money of two currencies', goal('  at end of period when revenue > 10 USD { send "goal-review" to rep }'), 'SF3003', 4, 25],
  ['minus before a string', leadSeq('  if -lead.name = "a" { send "case-study" to lead }'), 'SF3001', 4, 7],
  ['percent compared with number', goal('  at end of period when attainment < 40 { send "goal-review" to rep }'), 'SF3004', 4, 25],
  ['unknown currency', goal('  at end of period when revenue > 10 EUX { send "goal-review" to rep }'), 'SF3005', 4, 35],
  ['not a calendar date', incentive('  effective 2026-02-30 to 2026-12-31'), 'SF3007', 6, 13],
  ['sum of a string field', 'metric m = sum(deal.product)', 'SF3008', 1, 16],
  ['target type differs from measure', 'goal "g" {\n  measure revenue\n  target 10 per week\n}', 'SF3009', 3, 10],
  ['a goal target of zero money', 'goal "g" {\n  measure revenue\n  target 0 USD per week\n}', 'SF3013', 3, 10],
  ['a goal target of zero deals', 'goal "g" {\n  measure deals_won\n  target 0.0 per month\n}', 'SF3013', 3, 10],
  ['a goal target of zero percent', 'goal "g" {\n  measure win_rate\n  target 0% per month\n}', 'SF3013', 3, 10],
  ['mixed list', 'metric m = count(deal) where deal.product in ["a", 5]', 'SF3010', 1, 52],
  ['ordering booleans', 'metric m = count(deal) where (deal.amount > 5 EUR) < true', 'SF3011', 1, 30],
  ['target that is not a number', 'goal "g" {\n  measure revenue\n  target "lots" per week\n}', 'SF3012', 3, 10],
  // templates
  ['unknown template', goal('  at end of period { send "goal-reveiw" to rep }'), 'SF4001', 4, 27],
  // schedules and times
  ['bad time of day', goal('  every monday at 24:00 { send "goal-checkin" to rep }'), 'SF5001', 4, 19],
  // Were a number, an unexpected ':' and a parse error at what followed (the rule's '}' taken as closing it).
  ['one-digit minutes', goal('  every monday at 9:5 { send "goal-checkin" to rep }'), 'SF5001', 4, 19],
  ['time with seconds', leadSeq('  quiet hours 20:00:00 to 08:00\n  send "webinar-thanks" to lead'), 'SF5001', 4, 15],
  ['unknown time zone', 'settings { timezone "Europe/Berlni" }', 'SF5002', 1, 21],
  ['unknown day', goal('  every mondy at 09:00 { send "goal-checkin" to rep }'), 'SF5003', 4, 9],
  ['checkpoint past the period', goal('  at 150% of period { send "goal-review" to rep }'), 'SF5004', 4, 6],
  ['empty quiet hours', leadSeq('  quiet hours 08:00 to 08:00\n  send "webinar-thanks" to lead'), 'SF5005', 4, 3],
  ['zero duration', leadSeq('  wait 0 days\n  send "webinar-thanks" to lead'), 'SF5006', 4, 8],
  ['effective ends before it starts', incentive('  effective 2026-12-31 to 2026-01-01'), 'SF5008', 6, 3],
  // incentives
  ['band bounds fall', incentive('  commission marginal {\n    up to 150% pay 8%\n    up to 100% pay 9%\n  }'), 'SF6001', 8, 11],
  ['above not last', incentive('  commission marginal {\n    above pay 8%\n    up to 100% pay 9%\n  }'), 'SF6002', 7, 5],
  ['no currency for incentive', 'incentive "i" {\n  period quarter\n  measure deals_won\n  target 10\n  bonus 5 USD when deals_won > 1\n}', 'SF6005', 1, 11],
  ['bonus in another currency', incentive('  bonus 100 EUR when deals_won > 1'), 'SF6006', 6, 9],
  ['spiff per lead', incentive('  spiff 5 USD per lead'), 'SF6009', 6, 19],
  ['zero cap', incentive('  cap 0 USD'), 'SF6010', 6, 7],
  ['zero band bound', incentive('  commission marginal {\n    up to 0% pay 8%\n  }'), 'SF6012', 7, 11],
  // sequences
  ['sequence without trigger', 'sequence "s" {\n  send "webinar-thanks" to lead\n}', 'SF7002', 1, 10],
  ['two triggers', leadSeq('  on lead.updated\n  send "webinar-thanks" to lead'), 'SF7003', 4, 3],
  // recipients
  ['field that holds no email', leadSeq('  send "webinar-thanks" to lead.company'), 'SF8001', 4, 28],
  ['bad sender in settings', 'settings { from "Sales Ops <ops@>" }', 'SF8002', 1, 17],
  ['sender that is no address', 'settings { from "x" }', 'SF8002', 1, 17],
  ['sender name without angle brackets', 'settings { from "Sales Ops ops@acme.example" }', 'SF8002', 1, 17],
  ['sender with text after the address', 'settings { from "Sales <ops@acme.example> team" }', 'SF8002', 1, 17],
  ['sender name with a comma', 'settings { from "Ops, Sales <ops@acme.example>" }', 'SF8002', 1, 17],
  ['unknown settings currency', 'settings { currency EUX }', 'SF3005', 1, 21],
  ['bad quoted address', leadSeq('  send "webinar-thanks" to "bob@"'), 'SF8002', 4, 28],
];

describe('bad rule inputs', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('%s → diagnostic', (_what, source, code, line, col) => {
    const diagnostics = diagnose(source);
    const found = diagnostics.find((d) => d.code === code);
    expect(found, JSON.stringify(diagnostics, null, 1)).toBeDefined();
    expect({ line: found!.line, col: found!.col }).toEqual({ line, col });
    expect(found!.severity).toBe('error');
    expect(found!.file).toBe('test.rules');
  });

  it('does not take check-ins on different conditions, templates or recipients for repeats', () => {
    const source = goal([
      '  every weekday at 09:00 when attainment < 50% { send "goal-checkin" to rep }',
      '  every weekday at 09:00 when attainment >= 50% { send "goal-checkin" to rep }',
      '  every monday at 09:00 { send "goal-at-risk" to rep }',
      '  every monday at 09:30 { send "goal-checkin" to rep.manager }',
      '  at 50% of period { send "goal-review" to rep }',
      '  at end of period { send "goal-review" to rep }',
    ].join('\n'));
    expect(diagnose(source).filter((d) => d.code === 'SF5009')).toEqual([]);
  });

  it('leaves an incentive\'s zero target alone: its statement handles it (SF3013 is for goals)', () => {
    expect(errors(diagnose(incentive('  commission marginal { up to 100% pay 1% above pay 2% }').replace('target 100 USD', 'target 0 USD')))).toEqual([]);
  });
});

// [what, source, code, line, col]
const warningCases: [string, string, string, number, number][] = [
  ['lead sequence without stop on', 'sequence "s" {\n  on lead.created\n  send "webinar-thanks" to lead\n}', 'SF7001', 1, 10],
  ['falling commission rate', incentive('  commission marginal {\n    up to 100% pay 8%\n    above pay 5%\n  }'), 'SF6003', 8, 15],
  ['no above band', incentive('  commission marginal {\n    up to 100% pay 8%\n  }'), 'SF6004', 7, 5],
  ['incentive without approval', 'incentive "i" {\n  period quarter\n  measure revenue\n  target 1 USD\n  bonus 1 USD when deals_won > 1\n}', 'SF6007', 1, 11],
  ['wait at the end', leadSeq('  send "webinar-thanks" to lead\n  wait 2 days'), 'SF7004', 5, 3],
  ['stop on the trigger', 'sequence "s" {\n  on lead.created\n  stop on lead.created\n  send "webinar-thanks" to lead\n}', 'SF7006', 3, 11],
  ['stop on in a sequence for reps', 'sequence "s" {\n  every friday at 15:00 for reps\n  stop on lead.replied\n  send "goal-checkin" to rep\n}', 'SF7007', 3, 3],
  ['goal without check-ins', goal(''), 'SF2106', 1, 6],
  ['an if that does nothing either way', leadSeq('  if lead.score > 1 { }\n  send "case-study" to lead'), 'SF2107', 4, 3],
  // Was SF2107 "this block sends nothing", about a table that pays.
  ['commission without bands', incentive('  commission marginal { }'), 'SF6025', 6, 3],
  ['day listed twice', goal('  every monday, monday at 09:00 { send "goal-checkin" to rep }'), 'SF5007', 4, 17],
  ['stop event listed twice', 'sequence "s" {\n  on lead.created\n  stop on lead.replied, deal.won, lead.replied\n  send "webinar-thanks" to lead\n}', 'SF5007', 3, 35],
  ['a check-in that repeats another\'s email at the same time', goal('  every monday at 09:00 { send "goal-checkin" to rep }\n  every weekday at 09:00 { send "goal-checkin" to rep.manager, rep }'), 'SF5009', 5, 3],
  ['100% of period beside the review, same email', goal('  at 100% of period { send "goal-review" to rep }\n  at end of period { send "goal-review" to rep }'), 'SF5009', 5, 3],
  ['a weekly email due on the weekend its quiet hours hold', 'sequence "s" {\n  every saturday at 10:00 for reps\n  quiet hours 20:00 to 08:00 and weekends\n  send "goal-checkin" to rep\n}', 'SF7008', 2, 21],
  ['a weekly email due in the night its quiet hours hold', 'sequence "s" {\n  every monday, friday at 21:30 for reps\n  quiet hours 20:00 to 08:00\n  send "goal-checkin" to rep\n}', 'SF7008', 2, 27],
];

describe('warnings', () => {
  it.each(warningCases)('%s → warning', (_what, source, code, line, col) => {
    const diagnostics = diagnose(source);
    const found = diagnostics.find((d) => d.code === code);
    expect(found, JSON.stringify(diagnostics, null, 1)).toBeDefined();
    expect({ line: found!.line, col: found!.col, severity: found!.severity }).toEqual({ line, col, severity: 'warning' });
  });
});

describe('a scheduled sequence and its quiet hours (SF7008)', () => {
  const repSequence = (every: string, quiet: string, steps = '  send "goal-checkin" to rep') =>
    diagnose(`sequence "s" {\n  every ${every} for reps\n  quiet hours ${quiet}\n${steps}\n}`).filter((d) => d.code === 'SF7008');

  it('names only the days its quiet hours hold', () => {
    const [found] = repSequence('friday, saturday at 07:30', '22:00 to 07:00 and weekends');
    expect(found.message).toBe("every saturday at 07:30 is inside this sequence's quiet hours (22:00 to 07:00 and weekends), in each rep's zone: every time, the first email to the rep waits until they end; move the time or the quiet hours");
  });

  it('is silent when the email is due outside them, when a wait comes first, when it goes to someone else, or when quiet hours are empty', () => {
    expect(repSequence('friday at 15:00', '20:00 to 08:00 and weekends')).toEqual([]);
    expect(repSequence('saturday at 10:00', '20:00 to 08:00')).toEqual([]);
    expect(repSequence('monday at 08:00', '20:00 to 08:00')).toEqual([]);
    expect(repSequence('sunday at 10:00', '20:00 to 08:00 and weekends', '  wait 1 day\n  send "goal-checkin" to rep')).toEqual([]);
    expect(repSequence('monday at 21:00', '20:00 to 08:00', '  send "goal-checkin" to rep.manager')).toEqual([]);
    expect(repSequence('monday at 21:00', '20:00 to 20:00')).toEqual([]);
  });
});

describe('senders', () => {
  it.each(['ops@acme.example', 'Sales Ops <ops@acme.example>', '<ops@acme.example>', '  ops@acme.example '])('accepts from %j', (from) => {
    expect(errors(diagnose(`settings { from "${from}" }`))).toEqual([]);
  });

  it('reports the whole string of a bad sender', () => {
    expect(diagnose('settings { from "x" }')[0]).toMatchObject({ code: 'SF8002', line: 1, col: 17, endCol: 20, message: '"x" is not an email address' });
  });
});

describe('suggestions and reporting', () => {
  // What a new author reads for common mistakes: the message and the fix offered.
  it.each([
    ['goal "g" {\n  measure revenue\n  target 1 EUR per week\n  at end of period { send "goal-review" to rep }\n', 'SF1106', "expected '}' but found end of file: the '{' on line 1 is never closed", undefined],
    ['goal "g" {\n  measure revenue\n  target 1 EUR per week\n  at end of period { send "goal-review" to rep\n}\n', 'SF1106', "expected '}' but found end of file: the '{' on line 4 is never closed", undefined],
    [leadSeq('  send "webinar-thanks" lead'), 'SF1101', "expected 'to' but found 'lead'", undefined],
    [leadSeq('  wait 2\n  send "webinar-thanks" to lead'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '2'", undefined],
    [leadSeq('  wait 2 dayz'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '2'", '2 days'],
    [leadSeq('  wait 3 busness days'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '3'", '3 business days'],
    // Units shortened: `2 hrs` was read as money ("'hrs' is not a currency code ... like 2 ARS"), `30 min` as 30 MXN.
    [leadSeq('  wait 2 hrs'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '2'", '2 hours'],
    [leadSeq('  wait 30 min'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '30'", '30 minutes'],
    [leadSeq('  wait 1 wk'), 'SF1101', "expected a duration (like 30 minutes, 2 days, 3 business days, 1 week) but found '1'", '1 week'],
    ['incentive "i" {\n  period quarter\n  measure revenue\n  target 100000\n}', 'SF3009', 'measure "revenue" is money, so the target must be an amount of money (like 100000 EUR)', undefined],
    ['settings { currency USD }\nincentive "i" {\n  period quarter\n  measure revenue\n  target 100_000\n}', 'SF3009', 'measure "revenue" is money, so the target must be an amount of money (like 100_000 USD)', '100_000 USD'],
    ['goal "g" {\n  measure win_rate\n  target 50 per quarter\n}', 'SF3009', 'measure "win_rate" is a percent, so the target must be a percent', '50%'],
    // Was "expected a name but found '2 weeks'": which names, the author could not tell.
    ['goal "g" {\n  measure revenue\n  target 1 EUR per 2 weeks\n}', 'SF1101', "expected a period (week, month, quarter or year) but found '2 weeks'", undefined],
    [incentive('').replace('period quarter', 'period 3 months'), 'SF1101', "expected a period (week, month, quarter or year) but found '3'", undefined],
    [goal('  at 150% of period { send "goal-review" to rep }'), 'SF5004', '150% is not in the period: a checkpoint is at more than 0% and at most 100% of the period', undefined],
    [goal('  every funday at 09:00 { send "goal-checkin" to rep }'), 'SF5003', 'unknown day "funday" (monday ... sunday, day, weekday)', 'sunday'],
    // Digits grouped with spaces, as many languages write them: was no suggestion at all.
    ['metric big = count(deal) where deal.amount >= 50 000 EUR', 'SF1104', "expected a declaration (settings, metric, goal, incentive, sequence) but found '000 EUR'", '50_000 EUR'],
    [incentive('').replace('target 100 USD', 'target 1 000 000 USD'), 'SF1101', "expected a statement or '}' but found '000'", '1_000_000 USD'],
    [incentive('  bonus 2 500 USD when deals_won > 3'), 'SF1101', "expected an amount of money (like 100 EUR) but found '2'", '2_500 USD'],
    // A day shortened was no suggestion at all (too far from the name for a typo).
    [goal('  every mon, thurs at 09:00 { send "goal-checkin" to rep }'), 'SF5003', 'unknown day "mon" (monday ... sunday, day, weekday)', 'monday'],
    [leadSeq('  quiet hours 20:00 to 08:00 and weekend'), 'SF1101', "expected 'weekends' but found 'weekend'", 'weekends'],
    [incentive('').replace('rep.manager', 'rep.name'), 'SF8001', 'rep.name cannot receive email: use an entity, a field holding an email or a rep id (rep.id, rep.email, rep.manager), or a quoted address', undefined],
    [incentive('  spiff 250 USD per lead'), 'SF6009', 'a spiff is paid per deal: write `per deal`', undefined],
    // Was "expected 'when', '{' or 'for'" in both, offering what only the other rule kind takes.
    ['sequence "s" {\n  every friday at 15:00\n  send "one-on-one-prep" to rep\n}\n', 'SF1102', "expected 'for reps' (a sequence on a schedule: every DAY at HH:MM for reps) but found 'send'", undefined],
    [goal('  every friday at 15:00 send "goal-checkin" to rep'), 'SF1102', "expected 'when' or '{' but found 'send'", undefined],
    // Was "cannot apply `-` to a string and nothing".
    [leadSeq('  if -lead.name = "a" { send "case-study" to lead }'), 'SF3001', 'expected a number, a percent or money after `-` but this is a string', undefined],
  ])('%j → %s %s', (source, code, message, suggestion) => {
    const d = diagnose(source).find((x) => x.code === code)!;
    expect(d).toMatchObject({ message });
    expect(d.suggestion).toBe(suggestion);
  });

  it.each([
    ['settings { currency EURO }', 'EURO', 'EUR'],
    ['settings { currency Usd }', 'Usd', 'USD'],
    ['goal "g" {\n  measure revenue\n  target 1000 usd per quarter\n}', 'usd', 'USD'],
  ])('a currency that is not 3 capitals is one clear error: %j', (source, word, suggestion) => {
    const ds = errors(diagnose(source));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      code: 'SF1005', suggestion, endCol: ds[0].col + word.length,
      message: `'${word}' is not a currency code: a currency is 3 capital letters (ISO 4217), like EUR or USD`,
    });
  });

  it('names a pasted character that looks like a space, is invisible, or is a letter beyond a-z, with what to write', () => {
    // Was: `unexpected character " "` for a no-break space (a space to every eye), `"​"` for a zero-width one.
    const pasted = goal('  at end of period when revenue >\u00a0100 EUR {\u200b send "goal-review" to rep }').replace('measure revenue', 'measure\u2009revenue');
    expect(errors(diagnose(pasted)).map((d) => [d.line, d.col, d.endCol, d.message])).toEqual([
      [2, 10, 11, 'unexpected character U+2009 (a thin space, which looks like a space): write a plain space'],
      [4, 34, 35, 'unexpected character U+00A0 (a no-break space, which looks like a space): write a plain space'],
      [4, 44, 45, 'unexpected character U+200B (a zero-width space, which is invisible): delete it'],
    ]);
    expect(errors(diagnose('metric größe = count(deal)\n'))[0].message)
      .toBe('unexpected character "ö": names are written with the letters a-z, digits and _ only (other letters go in "strings")');
  });

  it('a string in typographic quotes is one error offering straight quotes, and the rule is checked on with it', () => {
    // Was three errors (both quotes, and "expected a quoted string but found '-'"), and nothing else checked.
    const curly = goal('  at end of period { send \u201cgoal-revie\u201d to rep }\n  for reps where rep.team = \u201eEMEA\u201c');
    expect(errors(diagnose(curly)).map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1001', 4, 27, 39, '"goal-revie"'],
      ['SF4001', 4, 27, 39, 'goal-review'],
      ['SF1001', 5, 29, 35, '"EMEA"'],
    ]);
    expect(errors(diagnose(curly))[0].message).toBe('unexpected character "\u201c" (a typographic quote): write strings in straight double quotes, "like this"');
  });

  it('a bare number compared with a percent or money offers it with the unit', () => {
    const found = errors(diagnose(goal('  at 50% of period when attainment < 40 { send "goal-at-risk" to rep }\n  at 60% of period when 5000 > revenue { send "goal-at-risk" to rep }')));
    expect(found.map((d) => [d.code, d.line, d.suggestion])).toEqual([['SF3004', 4, '40%'], ['SF3004', 5, '5000 EUR']]);
    expect(errors(diagnose(goal('  at 50% of period when deals_won < 4% { send "goal-at-risk" to rep }')))[0].suggestion).toBeUndefined();
  });

  it('a percent written without its % (`at 50 of period`, `pay 8`) is one error offering it with the sign', () => {
    // Was four errors for `at 50 of period { ... }` (its block's `}` closed the goal, the review
    // below went unchecked), and no suggestion for `pay 8`.
    const ds = diagnose(goal('  at 50 of period { send "goal-at-risk" to rep }\n  at end of period { send "goal-reviw" to rep }'));
    expect(ds.map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF1101', 4, 6, '50%'], ['SF4001', 5, 27, 'goal-review']]);
    expect(ds[0].message).toBe("expected a percent but found '50'");
    const rate = diagnose(incentive('  commission marginal {\n    up to 100% pay 8\n    above pay 12%\n  }'));
    expect(rate.filter((d) => d.severity === 'error').map((d) => [d.code, d.col, d.suggestion])).toEqual([['SF1101', 20, '8%']]);
  });

  it('a rule name without quotes (`goal Q3 revenue {`) is one error offering the whole name quoted', () => {
    // Was three: SF2010 "a rule name needs at least one letter or digit" at `goal`, "expected a
    // quoted string but found 'q3'; did you mean "Q3"?" and SF1108 "write q3 in lower case".
    const ds = diagnose('goal Q3 revenue {\n  measure revenue\n  target 100 EUR per quarter\n  at end of period { send "goal-reviw" to rep }\n}\n');
    // The rule's body is still checked (a misspelt template below).
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF1102', 1, 6, '"Q3 revenue"'], ['SF4001', 4, 27, 'goal-review']]);
    expect(ds[0].message).toBe("expected a quoted string but found 'Q3'");
    // A name written empty is still SF2010.
    expect(diagnose('goal "" {\n  measure revenue\n  target 100 EUR per quarter\n  at end of period { send "goal-review" to rep }\n}\n').map((d) => d.code)).toEqual(['SF2010']);
  });

  it('offers 50% for a share written as a fraction, the rule\'s currency for a deal amount, a date unquoted', () => {
    // Was "did you mean 0.5%?" (a hundred times too small), and no suggestion for the other two.
    const rule = 'settings { currency EUR }\n\nincentive "i" {\n  for reps where rep.start_date >= "2026-01-01"\n  period quarter\n  measure revenue\n  target 100 EUR\n' +
      '  spiff 50 EUR per deal where deal.amount > 1000\n  bonus 5 EUR when win_rate > 0.5\n  reward "Trip" when attainment >= 120\n  approve by rep.manager within 3 days { otherwise reject }\n}\n';
    const found = errors(diagnose(rule));
    expect(found.map((d) => [d.code, d.line, d.suggestion])).toEqual([
      ['SF3004', 4, '2026-01-01'], ['SF3004', 8, '1000 EUR'], ['SF3004', 9, '50%'], ['SF3004', 10, '120%'],
    ]);
  });

  it('offers 120% for attainment written as a multiple of quota (1.2), not 1.2%, which would pay at 1.2% of target', () => {
    const rule = (when: string) => `incentive "i" {\n  period quarter\n  measure revenue\n  target 100 EUR\n  bonus 5 EUR when ${when}\n  approve by rep.manager within 3 days { otherwise reject }\n}\n`;
    expect(errors(diagnose(rule('attainment >= 1.2'))).map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF3004', 5, 20, '120%']]);
    expect(errors(diagnose(rule('1 <= attainment'))).map((d) => d.suggestion)).toEqual(['100%']);
    // Past 3 it is a percent written without its sign, as before; other percents read a fraction only below 1.
    expect(errors(diagnose(rule('attainment >= 80'))).map((d) => d.suggestion)).toEqual(['80%']);
    expect(errors(diagnose(rule('win_rate >= 1.5'))).map((d) => d.suggestion)).toEqual(['1.5%']);
  });

  it('a generated condition of thousands of `or`s is one error at it, not a stack overflow; a list of any length is fine', () => {
    // Was "RangeError: Maximum call stack size exceeded" and a stack trace from check, fmt and compile.
    const ors = Array.from({ length: 3000 }, (_, i) => `deal.product = "p${i}"`).join(' or ');
    const text = `metric m = count(deal) where ${ors}\nmetric n = count(deal) where deal.prodcut = "x"\n`;
    const found = diagnose(text);
    expect(found.map((d) => [d.code, d.line, d.col])).toEqual([['SF3014', 1, 30], ['SF2002', 2, 35]]);
    expect(found[0].message).toBe('this expression has 3000 operators inside one another, more than the 500 salesflow can follow: a list of alternatives is written `deal.product in ["a", "b", ...]`, or split the rule');
    expect(formatSource(text, 'test.rules').formatted).toBeNull();
    const list = Array.from({ length: 20_000 }, (_, i) => `"p${i}"`).join(', ');
    expect(errors(diagnose(`metric m = count(deal) where deal.product in [${list}]\n`))).toEqual([]);
    // Parentheses or `not`s 1,000 deep overflowed the parser itself: one error, the file left unparsed.
    const parens = diagnose(`metric m = count(deal) where ${'('.repeat(1000)}deal.product = "x"${')'.repeat(1000)}\n`);
    expect(parens.map((d) => [d.code, d.line, d.col])).toEqual([['SF3014', 1, 530]]);
    expect(diagnose(`metric m = count(deal) where ${'not '.repeat(1000)}deal.product = "x"\n`).map((d) => d.code)).toEqual(['SF3014']);
    // 600 brackets left open over 600 metrics are 600 syntax errors, not one of depth.
    expect(diagnose(Array.from({ length: 600 }, (_, i) => `metric m${i} = count(deal) where (deal.product = "x"\n`).join('')).map((d) => d.code)).not.toContain('SF3014');
    const fine = Array.from({ length: 250 }, (_, i) => `deal.product = "p${i}"`).join(' or ');
    expect(errors(diagnose(`metric m = count(deal) where ${fine}\n`))).toEqual([]);
  });

  it('checks the body of a rule whose name is taken or gives no id, and leaves it out of the plan', async () => {
    // Was: the name's error alone; `measure revenu` in the copied rule surfaced only once renamed.
    const copied = `${goal('')}\n${goal('').replace('revenue', 'revenu')}`;
    expect(errors(diagnose(copied)).map((d) => [d.code, d.line])).toEqual([['SF2006', 7], ['SF2003', 8]]);
    const nameless = goal('').replace('"g"', '"🚀"').replace('revenue', 'revenu');
    expect(errors(diagnose(nameless)).map((d) => [d.code, d.line])).toEqual([['SF2010', 1], ['SF2003', 2]]);
    const clashing = `${goal('').replace('"g"', '"Q4 goal"')}\n${goal('').replace('"g"', '"q4-goal"').replace('revenue', 'revenu')}`;
    expect(errors(diagnose(clashing)).map((d) => d.code)).toEqual(['SF2009', 'SF2003']);
    // Only the first of two rules with one name is compiled.
    const { plan } = await compile(`${goal('  at end of period { send "goal-review" to rep }')}\n${goal('  at end of period { send "goal-checkin" to rep }')}`);
    expect(plan).toBeNull();
  });

  it('checks the rest of a rule whose amount has a lower-case currency', () => {
    const ds = diagnose('goal "g" {\n  measure revenue\n  target 1000 usd per quarter\n  for reps where rep.tem = "a"\n}');
    expect(ds.map((d) => d.code)).toEqual(expect.arrayContaining(['SF1005', 'SF2002']));
  });

  it('asks for the currency code when money names its currency in words', () => {
    const [d, ...rest] = diagnose('goal "g" {\n  measure revenue\n  target 1000 dollars per quarter\n}');
    expect(d).toMatchObject({
      code: 'SF1006', line: 3, col: 15, endCol: 22,
      message: "'dollars' is not a currency code: write money as an amount and an ISO 4217 code, like 1000 USD",
    });
    // `dollars` could be CAD or AUD as well: the code is an example, not offered as the fix.
    expect(d.suggestion).toBeUndefined();
    // The rule is not checked as if it had no target or the wrong currency.
    expect(rest).toEqual([]);
  });

  it('offers the code a misspelt currency is closest to, preferring common ones', () => {
    const d = diagnose(incentive('  bonus 500 EUR when deal.amount > 10000 eru')).find((x) => x.code === 'SF1006')!;
    expect(d).toMatchObject({ message: "'eru' is not a currency code: write money as an amount and an ISO 4217 code, like 10000 EUR", suggestion: '10000 EUR' });
  });

  it('a misplaced underscore is one error offering the grouping, and the rule is checked on with the number meant', () => {
    const ds = diagnose(goal('  at end of period when revenue > 1_000_ USD { send "goal-reviw" to rep }'));
    expect(ds.map((d) => [d.code, d.col, d.endCol, d.suggestion])).toEqual([['SF3003', 25, 45, undefined], ['SF1007', 35, 41, '1_000'], ['SF4001', 53, 65, 'goal-review']]);
    expect(ds[1].message).toBe("'1_000_' is not a number: `_` goes between two digits, like 1_000_000 or 2_500.50");
  });

  // `1. EUR` was "expected a statement or '}' but found '.'"; `8.%` an error at 8 and another at the '%'.
  it('a decimal point without digits after it, or a second one, is one error at the number, and the rule is checked on', () => {
    const ds = diagnose(incentive([
      '  commission marginal { up to 100% pay 8.% above pay 10% }',
      '  bonus 1. USD when deals_won > 2.5.1',
      '  spiff 5 USD per deal where deal.product = "Analytcs" and deal.amount > 1.5.3 USD',
    ].join('\n')).replace('target 100 USD', 'target 100. USD'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1008', 4, 10, 14, '100'],
      ['SF1008', 6, 40, 42, '8'],
      ['SF1008', 7, 9, 11, '1'],
      ['SF1008', 7, 33, 38, undefined],
      ['SF1008', 8, 74, 79, undefined],
    ]);
    expect(ds[0].message).toBe("'100.' is not a number: a decimal point has digits on both sides and comes once, like 12.5 or 2_500.50");
  });

  it('a string whose line ends in a backslash is one error, and the next lines are checked', () => {
    const ds = diagnose(leadSeq('  if lead.source = "web\\\n  { send "book-a-call" to lead }\n  send "case-stdy" to lead'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol])).toEqual([
      ['SF1002', 4, 20, 25],
      ['SF4001', 6, 8, 19],
    ]);
  });

  it('money without a space before its code is one error offering the space, and the rule is checked on with it', () => {
    const ds = diagnose(incentive('  bonus 5EUR when deals_won > 2\n  commission marginal { above pay 1% }'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1009', 6, 9, 13, '5 EUR'],
      ['SF6006', 6, 9, 13, undefined],
    ]);
  });

  it('an amount with a k, m or bn suffix is one error at it offering the amount in full, and the rule is checked on with that amount', () => {
    // Was "the target must be an amount of money (like 100 EUR)" at 100 and "expected a statement or '}' but found 'k'".
    const ds = diagnose(incentive('  bonus 1.5k USD when revenue >= 2.25M USD\n  cap 1bn EUR\n  commission marginal { above pay 1% }'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1011', 6, 9, 13, '1500 USD'],
      ['SF1011', 6, 34, 39, '2250000 USD'],
      ['SF1011', 7, 7, 10, '1000000000 EUR'],
      // Read as 1000000000 EUR, the cap is checked on: its currency is not the rule's.
      ['SF6006', 7, 7, 14, undefined],
    ]);
    expect(ds[0].message).toBe("'1.5k' is not a number: amounts are written in full, without a k, m or bn suffix, like 1500 USD");
    // A suffix is only read as one before a currency: `30m` alone is left to the messages it had.
    expect(diagnose(leadSeq('  wait 30m')).map((d) => d.code)).not.toContain('SF1011');
  });

  it('an amount with thousands separators or a decimal comma is one error at it offering the amount meant; 100.000 EUR is not read as 100 EUR without a word', () => {
    const rule = (lines: string) => `incentive "i" {\n  period quarter\n  measure revenue\n${lines}\n  commission marginal { up to 100% pay 5% above pay 7% }\n  approve by rep.manager within 3 days { otherwise reject }\n}\n`;
    // Was: "the target must be an amount of money (like 100 EUR)" at 100 and "expected a statement or '}' but found ','".
    const ds = diagnose(rule('  target 100,000 EUR\n  bonus 1.500.000 EUR when deals_won >= 2\n  cap 10,50 EUR'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1012', 4, 10, 17, '100000 EUR'],
      ['SF1012', 5, 9, 18, '1500000 EUR'],
      ['SF1014', 6, 7, 12, '10.50 EUR'],
    ]);
    // Was accepted without a word as a target of 100 EUR: every rep far past the top band.
    const point = diagnose(rule('  target 100.000 EUR\n  spiff 5 EUR per deal where deal.amount >= 12.500 JPY'));
    expect(point.filter((d) => d.code === 'SF1013').map((d) => [d.line, d.col, d.endCol, d.message, d.suggestion])).toEqual([
      [4, 10, 17, "'100.000 EUR' reads as 100 EUR, not 100000 EUR: a point is always the decimal point (EUR has 2 decimals); write 100000 EUR (`_` may group digits: 100_000)", '100000 EUR'],
      [5, 45, 51, "'12.500 JPY' reads as 12.5 JPY, not 12500 JPY: a point is always the decimal point (JPY has no decimals); write 12500 JPY (`_` may group digits: 100_000)", '12500 JPY'],
    ]);
    // A currency with three decimals has them; a list of numbers keeps its commas; an exact spiff
    // of 2.125 EUR and an amount under 1 are no grouped thousands.
    expect(errors(diagnose(rule('  target 100.000 KWD\n  bonus 5 KWD when deals_won in [1,200]')))).toEqual([]);
    expect(errors(diagnose(rule('  target 100 EUR\n  spiff 2.125 EUR per deal\n  spiff 0.500 EUR per deal where deal.product = "x"')))).toEqual([]);
  });

  it('a percent with a space before its sign is one error offering it without the space, and is read as that percent', () => {
    // Was "unexpected character "%"" with nothing offered, then errors for what followed.
    const ds = diagnose(incentive('  commission marginal { up to 100 % pay 5 % above pay 7% }\n  reward "Trip" when attainment >= 120\t%'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1015', 6, 31, 36, '100%'],
      ['SF1015', 6, 41, 44, '5%'],
      ['SF1015', 7, 36, 41, '120%'],
    ]);
    expect(ds[0].message).toBe("'100 %': write the % right after the number, like 100%");
    // Read as percents, the rule is checked on: a falling band is still found.
    expect(diagnose(incentive('  commission marginal { up to 100 % pay 5 % up to 90 % pay 6% above pay 7% }')).map((d) => d.code)).toContain('SF6001');
  });

  it('if, when or where in the place of the word a bonus, reward or spiff takes before its condition is one error naming it, and the rule is checked on', () => {
    // Was, for the reward: "expected '{' but found 'approve'" at the end of the line (read as an
    // `if` step) and "found end of file" after the rule; for the spiff "expected a statement or '}'".
    const ds = diagnose(incentive('  reward "Trip" if attainment >= 120%\n  bonus 5 USD where deals_won >= 3\n  spiff 1 USD per deal when deal.prodct = "x"'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF1110', 6, 17, 19, 'when'],
      ['SF1110', 7, 15, 20, 'when'],
      ['SF1110', 8, 24, 28, 'where'],
      // Read on with the word meant: the spiff's condition is checked too.
      ['SF2002', 8, 34, 40, 'deal.product'],
    ]);
    expect(ds[0].message).toBe('`reward` takes its condition after `when`, not `if`');
    // A reward without a condition, followed by a statement on the next line, is left as it was.
    expect(errors(diagnose(incentive('  reward "Trip"\n  bonus 5 USD when deals_won >= 3\n  commission marginal { above pay 1% }')))).toEqual([]);
  });

  it('a bound after `above` is one error at it, and the table is checked on', () => {
    // Was "expected 'pay' but found '100%'" and "expected '}' but found 'pay'".
    const ds = diagnose(incentive('  commission marginal { up to 100% pay 5% above 100% pay 4% }'));
    expect(ds.map((d) => [d.code, d.line, d.col, d.endCol])).toEqual([['SF1111', 6, 49, 53], ['SF6003', 6, 58, 60]]);
    expect(ds[0].message).toBe('`above` takes no bound: it pays everything past the band before it; write `above pay R%` (and `up to 100% pay R%` for a band that ends at 100%)');
  });

  it('a number with a k suffix and no currency is SF1011 too, and a comparison with money offers the amount meant, never 100 EUR', () => {
    // Was "cannot compare money (USD) with a number ... did you mean 100 USD?": a bonus at a thousandth of the revenue meant.
    const ds = diagnose(incentive('  bonus 5 USD when revenue >= 100k and deals_won >= 1.5K'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF3004', 6, 20, 35, '100000 USD'],
      ['SF1011', 6, 31, 35, '100000'],
      ['SF1011', 6, 53, 57, '1500'],
    ]);
    // So is `100,000` with no currency (SF1012); a list's commas stay a list's.
    const commas = diagnose(incentive('  bonus 5 USD when revenue >= 1,100,000.5 and deals_won in [1,200]'));
    expect(commas.filter((d) => d.severity === 'error').map((d) => [d.code, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF3004', 20, 42, '1100000.5 USD'],
      ['SF1012', 31, 42, '1100000.5'],
    ]);
    // `wait 30m` keeps the duration's own message.
    expect(diagnose(leadSeq('  wait 30m\n  send "book-a-call" to lead')).map((d) => [d.code, d.suggestion])).toContainEqual(['SF1101', '30 minutes']);
  });

  it('a band bound without a unit is one error offering a % of target or an amount in the target\'s currency', () => {
    // Was "expected a band ('up to N% pay R%' or 'above pay R%') but found '100'", with no way out.
    const ds = diagnose(incentive('  commission marginal {\n    up to 100 pay 5%\n    up to 150000 pay 6%\n    above pay 8%\n  }'));
    expect(ds.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col, d.endCol, d.suggestion])).toEqual([
      ['SF6030', 7, 11, 14, 'up to 100%'],
      ['SF6030', 8, 11, 17, 'up to 150000 USD'],
    ]);
    expect(ds.find((d) => d.code === 'SF6030')!.message).toBe("a band bound needs a unit: '100' alone is neither a % of target nor an amount; write `up to 100%` (a % of target) or `up to 100 USD` (an amount of the measure)");
    // Beside amount bounds, the bound is meant as an amount too.
    const amounts = diagnose(incentive('  commission marginal {\n    up to 50000 USD pay 5%\n    up to 90 pay 6%\n    above pay 8%\n  }'));
    expect(amounts.find((d) => d.code === 'SF6030')).toMatchObject({ line: 8, col: 11, suggestion: 'up to 90 USD' });
  });

  it('leaves a misspelt duration unit to the duration message', () => {
    const ds = diagnose(leadSeq('  wait 2 dayz'));
    expect(ds.map((d) => d.code)).not.toContain('SF1006');
    expect(ds.find((d) => d.code === 'SF1101')).toMatchObject({ suggestion: '2 days' });
  });

  it('reads ==, <>, =>, =<, && and || as the operator meant, reports them, and checks on', () => {
    const ds = diagnose(leadSeq('  if lead.score => 5 && lead.source <> "ads" || lead.source == "web" { send "book-a-cal" to lead }'));
    expect(ds.map((d) => [d.code, d.col, d.suggestion])).toEqual([
      ['SF1107', 17, '>='], ['SF1107', 22, 'and'], ['SF1107', 37, '!='], ['SF1107', 46, 'or'], ['SF1107', 61, '='], ['SF4001', 77, 'book-a-call'],
    ]);
    expect(ds[0].message).toBe("'=>' is not an operator: write >=");
  });

  it('reads a capitalised name or keyword in lower case and checks on, not as a currency', () => {
    const ds = diagnose(goal('  every Friday at 09:00 { Send "goal-checkin" to Rep }\n  for reps where rep.tem = "a"'));
    expect(ds.map((d) => [d.code, d.col, d.suggestion])).toEqual([['SF1108', 9, 'friday'], ['SF1108', 27, 'send'], ['SF1108', 50, 'rep'], ['SF2002', 22, 'rep.team']]);
    expect(ds[0].message).toBe("'Friday': names and keywords are written in lower case, like friday (capitals are for currency codes)");
  });

  it('offers the 24-hour time for 4pm', () => {
    expect(diagnose(goal('  every friday at 4pm { send "goal-checkin" to rep }')).find((d) => d.code === 'SF1101')).toMatchObject({ suggestion: '16:00' });
  });

  it.each(['16', '9am', '4pm'])('a check-in at %s is one error, and the statements after its block are still checked', (time) => {
    // Was a second error ("expected a declaration but found 'at'") and the next statement unchecked:
    // the check-in's `}` had closed the rule.
    const ds = diagnose(goal(`  every monday at ${time} { send "goal-checkin" to rep }\n  at end of period { send "goal-reviw" to rep }`));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 4, 19], ['SF4001', 5, 27]]);
  });

  it.each([
    ['every 2.5 weeks at 09:00', 9, 'expected a day (monday ... sunday, day or weekday; `every` names the days it runs on, it has no interval) but found \'2.5 weeks\''],
    ['every monday', 16, "expected 'at' and a time of day (every monday at 09:00) but found '{'"],
    ['every 09:00', 9, "expected a day before the time (monday ... sunday, day or weekday: every day at 09:00) but found '09:00'"],
  ])('`%s { ... }` is one error, and the statements after its block are still checked', (header, col, message) => {
    // Was three or four errors (the block's `}` closed the rule: "`send` is not allowed in a goal",
    // "expected a declaration but found 'at'") and the review below went unchecked.
    const ds = diagnose(goal(`  ${header} { send "goal-checkin" to rep }\n  at end of period { send "goal-reviw" to rep }`));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 4, col], ['SF4001', 5, 27]]);
    expect(ds[0].message).toBe(message);
  });

  it('`every "monday" at 09:00` (a day in quotes) is one error offering the day, and the rule is checked on', () => {
    // Was four errors: "expected a day", "expected a percent or 'end' but found '09:00'", "`send` is
    // not allowed in a goal", "expected a declaration but found 'at'", and the review went unchecked.
    const ds = diagnose(goal('  every "monday", "Thursday" at 09:00 { send "goal-checkin" to rep }\n  at end of period { send "goal-reviw" to rep }'));
    expect(ds.map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF1101', 4, 9, 'monday'], ['SF1101', 4, 19, 'thursday'], ['SF4001', 5, 27, 'goal-review']]);
    expect(ds[0].message).toBe('expected a day without quotes (monday ... sunday, day or weekday) but found \'"monday"\'');
    const scheduled = diagnose('sequence "s" {\n  every "friday" at 15:00 for reps\n  send "goal-reviw" to rep\n}\n');
    expect(scheduled.map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF1101', 2, 9, 'friday'], ['SF4001', 3, 8, 'goal-review']]);
  });

  it('a scheduled sequence `every 1 week at ...` is one error at the interval', () => {
    const ds = diagnose('sequence "s" {\n  every 1 week at 09:00 for reps\n  send "goal-reviw" to rep\n}\n');
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 2, 9], ['SF4001', 3, 8]]);
  });

  it('a time written wrong is one error, and the statements after it are still checked', () => {
    const ds = diagnose(goal('  every monday at 09:00:00 { send "goal-checkin" to rep }\n  at end of period { send "goal-reviw" to rep }'));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF5001', 4, 19], ['SF4001', 5, 27]]);
    expect(ds[0].message).toBe('09:00:00 is not a time of day (HH:MM, 00:00 to 23:59)');
  });

  it('reads 9am as a time of day, not as money in AMD', () => {
    // Was SF1006 "'am' is not a currency code ... like 9 AMD" beside the time error.
    const ds = diagnose(goal('  every friday at 9am { send "goal-checkin" to rep }'));
    expect(ds.map((d) => [d.code, d.col, d.suggestion])).toContainEqual(['SF1101', 19, '09:00']);
    expect(ds.map((d) => d.code)).not.toContain('SF1006');
  });

  it('reports an unquoted template name once, offering it quoted', () => {
    const ds = diagnose(goal('  at end of period { send goal-review to rep }'));
    expect(ds.filter((d) => d.code.startsWith('SF11')).map((d) => [d.code, d.col, d.suggestion])).toEqual([['SF1102', 27, '"goal-review"']]);
  });

  it('suggests and for a lone &', () => {
    expect(diagnose(leadSeq('  if lead.score > 5 & lead.source = "ads" { send "book-a-call" to lead }')).find((d) => d.code === 'SF1001'))
      .toMatchObject({ message: 'unexpected character "&"', suggestion: 'and' });
  });

  it('suggests the code for a currency named in words in settings', () => {
    expect(diagnose('settings { currency euros }')[0]).toMatchObject({ code: 'SF1101', suggestion: 'EUR' });
  });

  it('suggests the capitalised code for a lower-case settings currency', () => {
    expect(diagnose('settings { currency eur }')[0]).toMatchObject({ code: 'SF1101', suggestion: 'EUR' });
  });

  // The "found" part names the offending token as written, whatever kind of token it is.
  it.each([
    ['x', "expected a declaration (settings, metric, goal, incentive, sequence) but found 'x'", undefined],
    ['"x"', `expected a declaration (settings, metric, goal, incentive, sequence) but found '"x"'`, undefined],
    ['100', "expected a declaration (settings, metric, goal, incentive, sequence) but found '100'", undefined],
    [`${goal('')}}`, "expected a declaration (settings, metric, goal, incentive, sequence) but found '}'", undefined],
    ['metrc m = count(deal)', "expected a declaration (settings, metric, goal, incentive, sequence) but found 'metrc'", 'metric'],
    [`${goal('')}\nsequnce "s" {}`, "expected a declaration (settings, metric, goal, incentive, sequence) but found 'sequnce'", 'sequence'],
    ['settings', "expected '{' but found end of file", undefined],
    ['metric m = count(deal) where deal.amount >', 'expected a value or a name but found end of file', undefined],
    ['settings { timezone }', "expected a quoted string but found '}'", undefined],
    // A misspelt `where` after a statement that takes one, on its line: was no suggestion at all.
    ['metric m = count(deal) wher deal.stage = "won"', "expected a declaration (settings, metric, goal, incentive, sequence) but found 'wher'", 'where'],
    [goal('  for reps wher rep.role = "AE"'), "expected a statement or '}' but found 'wher'", 'where'],
    [leadSeq('  send "case-study" to lead').replace('on lead.created', 'on lead.created whre lead.source = "x"'), "expected a statement or '}' but found 'whre'", 'where'],
  ])('%j → %s', (source, message, suggestion) => {
    const d = diagnose(source).find((x) => x.code.startsWith('SF11'))!;
    expect(d).toMatchObject({ message });
    expect(d.suggestion).toBe(suggestion);
  });

  it('suggests the near name', () => {
    const d = diagnose(goal('  for reps where rep.tem = "a"')).find((x) => x.code === 'SF2002')!;
    expect(d.suggestion).toBe('rep.team');
  });

  it('suggests the keyword for a misspelt statement', () => {
    const d = diagnose(leadSeq('  snd "webinar-thanks" to lead')).find((x) => x.code === 'SF1101')!;
    expect(d).toMatchObject({ line: 4, col: 3, suggestion: 'send' });
  });

  it('reports every problem of a run, not only the first', () => {
    const ds = diagnose(`${goal('  for reps where rep.tem = "a"')}\n${goal('  wait 2').replace('"g"', '"h"')}\nsequence "s" {\n  on lead.creatd\n}\n`);
    expect(ds.map((d) => d.code)).toEqual(expect.arrayContaining(['SF2002', 'SF1101', 'SF2004']));
  });

  it('keeps going after a syntax error in one rule and checks the others', () => {
    const ds = diagnose(`goal "a" {\n  measure revenue\n  target 1 EUR per week\n  at end of period when { send "goal-review" to rep }\n}\n${goal('  for reps where rep.regin = "x"')}`);
    expect(ds.map((d) => d.code)).toEqual(expect.arrayContaining(['SF1102', 'SF2002']));
  });

  it('checks the intact statements of a rule that has a syntax error', () => {
    const ds = diagnose(goal('  at 50% period { send "goal-checkin" to rep }\n  at end of period { send "goal-reviw" to rep.emial }'));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 4, 10], ['SF4001', 5, 27], ['SF2002', 5, 47]]);
    expect(ds[1].suggestion).toBe('goal-review');
  });

  it('a misspelt statement keyword with a block of its own does not end the rule: the statements after it are still checked', () => {
    const at = (text: string) => diagnose(text).map((d) => [d.code, d.line, d.col, d.suggestion]);
    // Was: the `}` of the misspelt statement's block closed the rule, every later statement was
    // "expected a declaration" and was never checked.
    expect(at(incentive('  aprove by rep.manager within 5 days { otherwise reject }\n  bonus 5 USD when deals_wn >= 3'))).toEqual([
      ['SF1101', 6, 3, 'approve'], ['SF2005', 7, 20, 'deals_won'],
    ]);
    expect(at(goal('  evry monday at 09:00 { send "goal-checkin" to rep }\n  at end of period { send "goal-reveiw" to rep }'))).toEqual([
      ['SF1101', 4, 3, 'every'], ['SF4001', 5, 27, 'goal-review'],
    ]);
    expect(at(leadSeq('  if lead.score > 3 {\n    snd "case-study" to lead\n  }\n  iff lead.score > 9 { send "case-study" to lead }\n  send "case-studdy" to lead'))).toEqual([
      ['SF1101', 5, 5, 'send'], ['SF1101', 7, 3, 'if'], ['SF4001', 8, 8, 'case-study'],
    ]);
    // One error per misspelt statement, its continuation lines included; the statement before it is intact.
    expect(at(incentive('  spiff 5 USD per deal where deal.prodct = "x"\n  bonsu 5 USD\n    when deals_won >= 3\n  credt splits\n  cap 10 USD'))).toEqual([
      ['SF2002', 6, 35, 'deal.product'], ['SF1101', 7, 3, 'bonus'], ['SF1101', 9, 3, 'credit'],
    ]);
    // Inside a commission table and an approval block, the other entries are read on.
    expect(at(incentive('  commission marginal { up to 100% pay 5% abve pay 6% }\n  bonus 5 USD when deals_wn >= 3').replace('{ otherwise reject }', '{ otherwse reject }'))).toEqual([
      ['SF1101', 5, 42, 'otherwise'], ['SF1101', 6, 43, 'above'], ['SF2005', 7, 20, 'deals_won'],
    ]);
  });

  it('an else without its if is one error, and the statements after its block are still checked', () => {
    // Was a second error, "expected a declaration ... but found '}'", at the rule's own closing brace.
    const ds = diagnose(leadSeq('  if lead.score > 1 { send "case-study" to lead }\n  wait 1 day\n  else { send "case-study" to lead }\n  send "case-stuy" to lead'));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 6, 3], ['SF4001', 7, 8]]);
    expect(ds[0].message).toBe("expected a statement or '}' ('else' goes right after the '}' of an 'if') but found 'else'");
  });

  it('a declaration the parser could not build does not hide the mistakes of the one before it', () => {
    // Was only the syntax error: the metric's error was taken for one inside the goal (or the
    // metric) before it, which was then checked only in part.
    const at = (text: string) => diagnose(text).map((d) => [d.code, d.line]);
    expect(at(`${goal('  at end of period when revenue > 5 USD { send "goal-review" to rep }')}metric y = summ(deal.amount)\n`))
      .toEqual([['SF3003', 4], ['SF1102', 6]]);
    expect(at('metric x = count(deal) where deal.stge = "won"\nmetric y = sum(deal.amount) where\n')).toEqual([['SF2002', 1], ['SF1102', 2]]);
  });

  // Names of JavaScript's object methods were looked up in plain objects: `valueOf(` crashed
  // `check` (TypeError, exit 2) and `rep.constructor` crashed the checker.
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('%s is an unknown name like any other, never a crash', (word) => {
    const at = (text: string) => diagnose(text).map((d) => [d.code, d.line, d.col]);
    expect(at(`${word}(`)).toEqual([['SF1104', 1, 1]]);
    expect(at(goal(`  at end of period when ${word} > 1 and rep.${word} = "x" { send "goal-review" to rep }`))).toEqual([['SF2005', 4, 25], ['SF2002', 4, 38 + word.length]]);
    expect(at(`metric m = count(deal) where deal.${word} = "x"`)).toEqual([['SF2002', 1, 35]]);
    expect(at(incentive(`  credit ${word}\n  bonus 5 USD when deals_won > 1`))).toEqual([['SF6017', 6, 3]]);
  });

  it('a crediting reads the words of its line: a misspelt statement on the next line is named, with its keyword', () => {
    const ds = diagnose(incentive('  credit splits\n  bonsu 5 USD when deals_won > 1\n  spiff 5 USD per deal where deal.prodct = "x"'));
    // Was: `credit splits bonsu`, then "expected a statement or '}' but found '5 USD'" with no suggestion.
    expect(ds.map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF1101', 7, 3, 'bonus'], ['SF2002', 8, 35, 'deal.product']]);
  });

  it('a shortened duration unit is one error offering the unit, not also a currency error', () => {
    expect(diagnose(leadSeq('  wait 2 hrs\n  send "case-study" to lead')).map((d) => d.code)).toEqual(['SF1101']);
    expect(diagnose(goal('  every thu at 09:00 { send "goal-checkin" to rep }')).map((d) => [d.code, d.suggestion])).toEqual([['SF5003', 'thursday']]);
  });

  it('a word left over by an unexpected character is not reported again as a statement', () => {
    const ds = diagnose(incentive('  for reps where rep.rôle = "c"\n  bonus 5 USD when deals_wn > 1'));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1001', 6, 23], ['SF2005', 7, 20]]);
    // Was also "expected '=' but found 'tze'": one typo, two errors.
    expect(diagnose('metric umsätze = sum(deal.amount) where deal.stage = "won"\n').map((d) => [d.code, d.line, d.col])).toEqual([['SF1001', 1, 11]]);
  });

  it('a sequence without a trigger is that one error, not also "lead is not available" in its sends and templates', () => {
    const lead = diagnose('sequence "s" {\n  stop on lead.replied\n  if lead.score > 5 { send "webinar-thanks" to lead }\n}\n');
    expect(lead.map((d) => [d.code, d.line])).toEqual([['SF7002', 1]]);
    const deal = diagnose('sequence "s" {\n  send "csat-survey" to deal.contact\n}\n');
    expect(deal.map((d) => [d.code, d.line])).toEqual([['SF7002', 1]]);
  });

  it('a rule left open before the next one still has its last statement checked', () => {
    const open = 'goal "b" {\n  measure revenue\n  target 5 USD per month\n  at end of period { send "goal-reviw" to rep }\n\n';
    const ds = diagnose(`${open}${goal('  at end of period { send "goal-review" to rep.emial }')}`);
    expect(ds.map((d) => [d.code, d.line])).toEqual([['SF4001', 4], ['SF1101', 6], ['SF2002', 9]]);
  });

  it('rep.timezone and lead.timezone are fields in conditions, though `timezone` is a settings keyword', () => {
    // Was SF1105: 'timezone' is a reserved word and cannot be used as a name.
    expect(diagnose(goal('  for reps where rep.timezone = "Europe/Berlin"\n  at end of period { send "goal-review" to rep }'))).toEqual([]);
    expect(diagnose(leadSeq('  if lead.timezone != rep.timezone { send "webinar-thanks" to lead }'))).toEqual([]);
    expect(diagnose(goal('  for reps where rep.timezon = "x"\n  at end of period { send "goal-review" to rep }')).map((d) => [d.code, d.suggestion])).toEqual([['SF2002', 'rep.timezone']]);
  });

  it('a misspelt setting is one error and the other settings are still checked', () => {
    const ds = diagnose('settings {\n  timezone "Europe/Berln"\n  timezon "UTC"\n  currency eur\n  from "Sales Ops ops@x.example"\n}\nsettings { currency USD }\n');
    expect(ds.map((d) => [d.code, d.line, d.suggestion])).toEqual([
      ['SF5002', 2, 'Europe/Berlin'], ['SF1101', 3, 'timezone'], ['SF1101', 4, 'EUR'], ['SF8002', 5, undefined], ['SF2105', 7, undefined],
    ]);
  });

  it('a file that ends inside a block still has its other rules checked, and the open rule what it shows', () => {
    const ds = diagnose(`incentive "a" {\n  spiff 5 USD per deal where deal.prodct = "x"\n}\n${goal('  at end of period { send "goal-reveiw" to rep }').replace(/\}\n$/, '')}`);
    expect(ds.map((d) => [d.code, d.line])).toEqual(expect.arrayContaining([['SF2002', 2], ['SF4001', 7], ['SF1106', 7]]));
    expect(ds.filter((d) => d.code === 'SF1106')).toHaveLength(1);
  });

  it('checks the rest of a rule whose amount names its currency in words', () => {
    const ds = diagnose(goal('  at end of period { send "goal-reviw" to rep }').replace('100 EUR', '100 euros'));
    expect(ds.map((d) => d.code)).toEqual(['SF1006', 'SF4001']);
  });

  it('reports a name missing at the end of a line there, not as the keyword on the next line', () => {
    const [d] = diagnose('goal "g" {\n  measure\n  target 100 EUR per quarter\n}');
    expect(d).toMatchObject({ code: 'SF1101', line: 2, col: 10, message: "expected a name but found 'target'" });
  });

  it('does not repeat a syntax error as a missing statement or a wrong type', () => {
    const ds = diagnose('goal "g" {\n  measure\n  target 100 EUR per quarter\n  at end of period when revenue > 5 { send "goal-review" to rep }\n}');
    expect(ds.map((d) => d.code)).toEqual(['SF1101']);
  });

  it('does not check the sends of a sequence whose trigger is broken against the wrong entity', () => {
    const ds = diagnose('sequence "s" {\n  on lead.created where\n  stop on lead.replied\n  send "webinar-thanks" to lead.email\n  send "nope" to lead\n}');
    expect(ds.map((d) => [d.code, d.line])).toEqual([['SF1102', 3], ['SF4001', 5]]);
  });

  it('checks the statement before one whose unit is misspelt', () => {
    const ds = diagnose(leadSeq('  send "webinar-thank" to lead\n  wait 2 dayz\n  send "case-study" to lead.emial'));
    expect(ds.map((d) => [d.code, d.line])).toEqual([['SF4001', 4], ['SF1101', 5], ['SF2002', 6]]);
  });

  it('checks the declaration after one that lacks its closing brace', () => {
    const ds = diagnose(`goal "a" {\n  measure revenue\n  target 1 EUR per week\n  at end of period { send "goal-review" to rep }\n\n${goal('  for reps where rep.regin = "x"')}`);
    expect(ds.map((d) => [d.code, d.line])).toEqual(expect.arrayContaining([['SF1101', 6], ['SF2002', 9]]));
  });

  it('reports a template whose subject is empty (an email without a subject) at its subject line', () => {
    for (const text of ['---\nsubject:\n---\nBody\n', '---\nsubject: "  "\n---\nBody\n', 'subject: \nBody\n']) {
      const ds = diagnose(leadSeq('  send "t" to lead'), 'test.rules', [{ path: 'rules/templates/t.md', text }]);
      expect(ds.filter((d) => d.code === 'SF4009'), text).toEqual([
        expect.objectContaining({ file: 'rules/templates/t.md', line: text.startsWith('---') ? 2 : 1, col: 1, severity: 'error', message: 'template "t" has an empty subject: every email needs one' }),
      ]);
    }
  });

  it('warns at a template with nothing below its subject (an email that would say nothing), and only there', () => {
    const cases: [string, number | null][] = [
      ['---\nsubject: Hi {{lead.name}}\n---\n', 3],
      ['---\nsubject: Hi\n---\n\n   \n', 3],
      ['subject: Hi {{lead.name}}\n', 1],
      ['---\nsubject: >\n  Hi {{lead.name}},\n  thanks for coming\n---\n', 5],
      ['---\nsubject: Hi\n---\nBody\n', null],
      ['---\nsubject: Hi\n', null], // never closed: that error alone
    ];
    for (const [text, line] of cases) {
      const ds = diagnose(leadSeq('  send "t" to lead'), 'test.rules', [{ path: 'rules/templates/t.md', text }]).filter((d) => d.code === 'SF4011');
      expect(ds, text).toEqual(line === null ? [] : [expect.objectContaining({
        file: 'rules/templates/t.md', line, col: 1, severity: 'warning', message: 'template "t" has nothing below its subject: its emails would say nothing but the subject',
      })]);
    }
  });

  it('reports an unknown placeholder in the template file, naming the rule that sends it', () => {
    const templates = [{ path: 'rules/templates/t.md', text: '---\nsubject: Hi {{lead.nmae}}\n---\nBody {{rep.name}}\n' }];
    const ds = diagnose(leadSeq('  send "t" to lead'), 'test.rules', templates);
    const d = ds.find((x) => x.code === 'SF4003')!;
    expect(d).toMatchObject({ file: 'rules/templates/t.md', line: 2, col: 13 });
    expect(d.message).toContain('sequence "s"');
    expect(d.suggestion).toBe('{{lead.name}}');
  });

  it.each([
    ['Body {{lead.nmae}}', 'SF4003', 6, '{{lead.name}}'],
    ['Body {{lead}}', 'SF4003', 6, '{{lead.name}}'],
    ['Body {{Lead.Name}}', 'SF4004', 6, '{{lead.name}}'],
    ['Body {{lead.name} and more', 'SF4004', 6, '{{lead.name}}'],
  ])('a template body %j → %s with a fix', (body, code, col, suggestion) => {
    const templates = [{ path: 'rules/templates/t.md', text: `---\nsubject: Hi\n---\n${body}\n` }];
    const d = diagnose(leadSeq('  send "t" to lead'), 'test.rules', templates).find((x) => x.code === code)!;
    expect(d).toMatchObject({ file: 'rules/templates/t.md', line: 4, col, suggestion });
  });

  it('warns at a placeholder no kind of rule offers in a template no rule sends yet, and leaves the others alone', () => {
    const templates = [{ path: 'rules/templates/draft.md', text: '---\nsubject: Hi {{lead.name}}\n---\nSee {{foo.bar}}, {{statement.total}} and {{lead.nmae}}\n' }];
    const ds = diagnose(leadSeq('  send "webinar-thanks" to lead'), 'test.rules', [...templates, { path: 'rules/templates/webinar-thanks.md', text: '---\nsubject: Hi\n---\nBody\n' }]);
    expect(ds.filter((d) => d.file === 'rules/templates/draft.md').map((d) => [d.code, d.severity, d.line, d.col, d.suggestion])).toEqual([
      ['SF4010', 'warning', 4, 5, undefined],
      ['SF4010', 'warning', 4, 42, '{{lead.name}}'],
    ]);
    expect(ds.find((d) => d.code === 'SF4010')!.message).toContain('template "draft" is sent by no rule yet');
  });

  it('reports a template without subject', () => {
    const templates = [{ path: 'rules/templates/t.md', text: 'Hello\n' }];
    const ds = diagnose(leadSeq('  send "t" to lead'), 'test.rules', templates);
    expect(ds.find((x) => x.code === 'SF4002')).toMatchObject({ file: 'rules/templates/t.md', line: 1 });
  });

  it('a misspelt `subject:` key is one error at it, offering subject', () => {
    // Was SF4002 "no subject line" at the `---` and warning SF4008 "unknown front matter key" besides.
    const templates = [{ path: 'rules/templates/t.md', text: '---\nsubjet: Survey\n---\nHello {{lead.name}}\n' }];
    const ds = diagnose(leadSeq('  send "t" to lead'), 'test.rules', templates);
    expect(ds.filter((d) => d.file === 'rules/templates/t.md').map((d) => [d.code, d.line, d.col, d.suggestion])).toEqual([['SF4002', 2, 1, 'subject']]);
    // An unknown key beside a real subject is still a warning of its own.
    const other = diagnose(leadSeq('  send "t" to lead'), 'test.rules', [{ path: 'rules/templates/t.md', text: '---\nsubject: S\nsubjet: x\n---\nHello\n' }]);
    expect(other.filter((d) => d.file === 'rules/templates/t.md').map((d) => d.code)).toEqual(['SF4008']);
  });
});
