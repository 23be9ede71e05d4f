// The one catalog of diagnostic messages (like TypeScript's diagnosticMessages.json): stable code,
// severity and text with {0}-style holes. Codes never change meaning once released; docs/language.md
// lists them all. Ranges: 10xx lexical/files, 11xx syntax, 20xx names, 21xx rule structure,
// 30xx types, 40xx templates, 50xx schedules and times, 60xx incentives, 70xx sequences,
// 80xx recipients, 90xx internal.
export type Severity = 'error' | 'warning';

export interface MessageDef {
  code: string;
  severity: Severity;
  text: string;
}

const m = (code: string, severity: Severity, text: string): MessageDef => ({ code, severity, text });

export const messages = {
  pathNotFound: m('SF1000', 'error', 'no such file or folder: {0}'),
  unexpectedCharacter: m('SF1001', 'error', 'unexpected character {0}'),
  unterminatedString: m('SF1002', 'error', 'string is missing its closing quote'),
  badEscape: m('SF1003', 'error', 'unknown escape {0} in string (use \\" \\\\ \\n \\t)'),
  noRuleFiles: m('SF1004', 'warning', 'no *.rules files found in {0}'),
  badCurrencyCode: m('SF1005', 'error', "'{0}' is not a currency code: a currency is 3 capital letters (ISO 4217), like EUR or USD"),
  // {1} is the amount with the code the word stands for or resembles (`1000 USD`).
  moneyWithoutCode: m('SF1006', 'error', "'{0}' is not a currency code: write money as an amount and an ISO 4217 code, like {1}"),
  badNumber: m('SF1007', 'error', "'{0}' is not a number: `_` goes between two digits, like 1_000_000 or 2_500.50"),
  badDecimalPoint: m('SF1008', 'error', "'{0}' is not a number: a decimal point has digits on both sides and comes once, like 12.5 or 2_500.50"),
  nulCharacter: m('SF1010', 'error', 'a string cannot hold the NUL character (U+0000): delete it (often left by a copy from a binary file)'),
  unspacedMoney: m('SF1009', 'error', "'{0}': write a space between the amount and its currency, like {1}"),
  // {1} is the amount in full with its code (`100000 EUR`).
  // {1}: the amount without separators, with its code (`100000 EUR`).
  thousandsSeparator: m('SF1012', 'error', "'{0}' is not a number: amounts are written without thousands separators, like {1} (`_` may group digits: 100_000)"),
  spacedPercent: m('SF1015', 'error', "'{0}': write the % right after the number, like {1}"),
  decimalComma: m('SF1014', 'error', "'{0}' is not a number: the decimal point is a point, like {1}"),
  // {1}: the amount as the language reads it (`100 EUR`), {2}: as meant (`100000 EUR`), {3}: `EUR has 2 decimals`.
  pointAsThousands: m('SF1013', 'error', "'{0}' reads as {1}, not {2}: a point is always the decimal point ({3}); write {2} (`_` may group digits: 100_000)"),
  magnitudeSuffix: m('SF1011', 'error', "'{0}' is not a number: amounts are written in full, without a k, m or bn suffix, like {1}"),

  expectedToken: m('SF1101', 'error', 'expected {0} but found {1}'),
  noViableAlternative: m('SF1102', 'error', 'expected {0} but found {1}'),
  expectedAtLeastOne: m('SF1103', 'error', 'expected {0} but found {1}'),
  unclosedBrace: m('SF1106', 'error', "expected '}' but found end of file: the '{' on line {0} is never closed"),
  reservedWord: m('SF1105', 'error', "'{0}' is a reserved word and cannot be used as a name"),
  misspeltOperator: m('SF1107', 'error', "'{0}' is not an operator: write {1}"),
  chainedComparison: m('SF1109', 'error', "comparisons do not chain: '{0}' follows the '{1}' comparison before it; join two comparisons with `and` (`a < b and b < c`, not `a < b < c`)"),
  boundAfterAbove: m('SF1111', 'error', "`above` takes no bound: it pays everything past the band before it; write `above pay R%` (and `up to {0} pay R%` for a band that ends at {0})"),
  conditionWord: m('SF1110', 'error', "`{0}` takes its condition after `{1}`, not `{2}`"),
  capitalisedName: m('SF1108', 'error', "'{0}': names and keywords are written in lower case, like {1} (capitals are for currency codes)"),
  // {0} is the short "a declaration" the parser reports; the text spells the choices out itself.
  unexpectedInput: m('SF1104', 'error', 'expected a declaration (settings, metric, goal, incentive, sequence) but found {1}'),

  unknownEntity: m('SF2001', 'error', 'unknown entity "{0}" (known here: {1})'),
  unknownField: m('SF2002', 'error', '{0} has no field "{1}"'),
  unknownMetric: m('SF2003', 'error', 'unknown metric "{0}"'),
  unknownEvent: m('SF2004', 'error', 'unknown event "{0}"'),
  unknownName: m('SF2005', 'error', 'unknown name "{0}"'),
  duplicateRule: m('SF2006', 'error', 'a rule named "{0}" is already defined at {1}'),
  duplicateMetric: m('SF2007', 'error', 'metric "{0}" is already defined at {1}'),
  metricShadowsBuiltin: m('SF2008', 'error', 'metric "{0}" has the name of a built-in metric or name'),
  duplicateRuleId: m('SF2009', 'error', 'rule "{0}" gets the id "{1}", already used by "{2}"'),
  emptyRuleId: m('SF2010', 'error', 'a rule name needs at least one letter or digit'),
  entityNotInScope: m('SF2011', 'error', '{0} is not available in {1}'),
  attainmentOutsideRule: m('SF2012', 'error', '`attainment` is only available in goal and incentive conditions'),
  metricNotAllowed: m('SF2013', 'error', 'metric "{0}" cannot be used in {1}: metrics are per rep and period'),
  entityIsNotValue: m('SF2014', 'error', '"{0}" is an entity, not a value: name one of its fields, like {0}.{1}'),
  pathTooLong: m('SF2015', 'error', '"{0}" is not a field: fields are written entity.field'),
  unknownPeriod: m('SF2016', 'error', 'unknown period "{0}" (week, month, quarter or year)'),
  unknownValue: m('SF2017', 'error', '"{0}" is never a value of {1} ({2})'),

  statementNotAllowed: m('SF2101', 'error', '`{0}` is not allowed in {1}'),
  missingStatement: m('SF2102', 'error', '{0} "{1}" needs `{2}`'),
  repeatedStatement: m('SF2103', 'error', '`{0}` is given twice in "{1}"'),
  duplicateSetting: m('SF2104', 'error', 'setting `{0}` is given twice'),
  duplicateSettings: m('SF2105', 'error', 'a file has at most one settings block'),
  goalWithoutCheckpoints: m('SF2106', 'warning', 'goal "{0}" sends nothing: add check-ins (`every ...`), `at N% of period` or `at end of period`'),
  emptyBlock: m('SF2107', 'warning', 'this block sends nothing'),

  typeMismatch: m('SF3001', 'error', 'expected {0} but this is {1}'),
  operandTypes: m('SF3002', 'error', 'cannot apply `{0}` to {1} and {2}'),
  currencyMismatch: m('SF3003', 'error', 'currencies differ: {0} and {1}'),
  compareTypes: m('SF3004', 'error', 'cannot compare {0} with {1}'),
  unknownCurrency: m('SF3005', 'error', 'unknown currency "{0}"'),
  notCondition: m('SF3006', 'error', 'a condition must be true or false, but this is {0}'),
  badDate: m('SF3007', 'error', '{0} is not a calendar date'),
  badMetricArgument: m('SF3008', 'error', '{0}({1}) is not possible: {2}'),
  measureType: m('SF3009', 'error', 'measure "{0}" is {1}, so the target must be {2}'),
  mixedListTypes: m('SF3010', 'error', 'list items must all be {0}, but this is {1}'),
  orderingNotPossible: m('SF3011', 'error', 'cannot order {0} values with `{1}`'),
  numberExpected: m('SF3012', 'error', 'expected {0} here'),
  expressionTooDeep: m('SF3014', 'error', 'this expression has {0} operators inside one another, more than the {1} salesflow can follow: a list of alternatives is written `deal.product in ["a", "b", ...]`, or split the rule'),
  zeroTarget: m('SF3013', 'error', "a goal's target must be more than zero: attainment is the measure ÷ the target"),

  unknownTemplate: m('SF4001', 'error', 'unknown template "{0}" (no {1})'),
  templateNoSubject: m('SF4002', 'error', 'template "{0}" has no `subject:` line in its front matter'),
  unknownPlaceholder: m('SF4003', 'error', 'placeholder {{{0}}} is not available in {1}; {2} sends this template'),
  badPlaceholder: m('SF4004', 'error', 'malformed placeholder {0}: write {{entity.field}} in lower case, like {{lead.name}}'),
  duplicateTemplate: m('SF4005', 'warning', 'template "{0}" is defined twice; using {1}'),
  unclosedFrontMatter: m('SF4006', 'error', "template front matter opened with '---' is never closed"),
  badFrontMatter: m('SF4007', 'error', 'template front matter is not valid YAML: {0}'),
  unknownFrontMatterKey: m('SF4008', 'warning', 'unknown front matter key "{0}" (known: {1})'),
  emptySubject: m('SF4009', 'error', 'template "{0}" has an empty subject: every email needs one'),
  emptyTemplateBody: m('SF4011', 'warning', 'template "{0}" has nothing below its subject: its emails would say nothing but the subject'),
  placeholderInNoScope: m('SF4010', 'warning', 'placeholder {{{0}}} is not available to any kind of rule; template "{1}" is sent by no rule yet, so it is checked against all of them'),

  badTime: m('SF5001', 'error', '{0} is not a time of day (HH:MM, 00:00 to 23:59)'),
  unknownTimezone: m('SF5002', 'error', 'unknown time zone "{0}" (IANA names like Europe/Berlin)'),
  unknownDay: m('SF5003', 'error', 'unknown day "{0}" (monday ... sunday, day, weekday)'),
  badCheckpointPercent: m('SF5004', 'error', '{0} is not in the period: a checkpoint is at more than 0% and at most 100% of the period'),
  emptyQuietHours: m('SF5005', 'error', 'quiet hours from {0} to {0} is empty'),
  badDuration: m('SF5006', 'error', 'a duration must be more than zero'),
  repeatedDay: m('SF5007', 'warning', '{0} is listed twice'),
  effectiveOrder: m('SF5008', 'error', 'effective period ends ({1}) before it starts ({0})'),
  fractionalDays: m('SF5010', 'warning', '`{0}` is counted as {1}, a fixed span: whole days and weeks keep the time of day across a daylight-saving change, a fraction of one does not (it ends an hour earlier or later on the clock when a change falls inside it); write {1} to say so, or whole days'),
  durationTooLong: m('SF5011', 'error', '`{0}` is more than 100 years: no run waits that long (at most 36525 days, or 876600 hours)'),
  repeatedCheckinSend: m('SF5009', 'warning', 'this sends "{0}" to {1} at the same time and on the same condition as the check-in on line {2}: they would get it twice'),

  bandOrder: m('SF6001', 'error', 'band bounds must rise: {0}% does not come after {1}%'),
  aboveNotLast: m('SF6002', 'error', '`above` must be the last band'),
  fallingRate: m('SF6003', 'warning', 'commission rate falls from {0}% to {1}% as attainment rises'),
  noAboveBand: m('SF6004', 'warning', 'no `above` band: nothing more is paid past {0}% attainment'),
  incentiveCurrency: m('SF6005', 'error', 'incentive "{0}" has no currency: give the target in money or set `currency` in settings'),
  lineCurrency: m('SF6006', 'error', 'this amount is in {0} but the incentive pays in {1}'),
  noApproval: m('SF6007', 'warning', 'incentive "{0}" has no `approve by`: statements are approved without asking anyone'),
  noOtherwise: m('SF6008', 'warning', 'no `otherwise`: a statement nobody decides on is rejected'),
  spiffPerDeal: m('SF6009', 'error', 'a spiff is paid per deal: write `per deal`'),
  nonPositiveAmount: m('SF6010', 'error', 'the amount must be more than zero'),
  incentiveNothingPaid: m('SF6011', 'warning', 'incentive "{0}" pays nothing: add commission, bonus, spiff or reward'),
  badBandBound: m('SF6012', 'error', 'a band bound must be more than {0}'),
  mixedBandBounds: m('SF6013', 'error', 'band bounds mix % of target and amounts: write every bound as {0}, like the first'),
  bandAmountOrder: m('SF6014', 'error', 'band bounds must rise: {0} does not come after {1}'),
  bandCurrency: m('SF6015', 'error', 'this bound is in {0} but the target is in {1}'),
  // {1}: the bound as a % of target and, with a money target, as an amount in its currency (the one suggested first).
  bandBoundUnit: m('SF6030', 'error', "a band bound needs a unit: '{0}' alone is neither a % of target nor an amount; write {1}"),
  amountBoundsNeedMoney: m('SF6016', 'error', 'amount band bounds need a money measure and target; "{0}" measures {1}'),
  unknownCredit: m('SF6017', 'error', 'unknown crediting `credit {0}` (splits, overlay splits, all splits, team, team all levels)'),
  unknownProration: m('SF6018', 'error', 'unknown proration `prorate target by {0}` (employment)'),
  noAboveAmountBand: m('SF6020', 'warning', 'no `above` band: nothing more is paid past {0}'),
  unsupportedStatement: m('SF6021', 'error', '`{0}` is not supported by this version of salesflow ({1}, SPEC "incentive, in depth"): the rule cannot run with it'),
  commissionNeedsMoney: m('SF6022', 'warning', 'commission pays a percent of the measure, and "{0}" measures {1}: its statements pay no commission (measure a money metric such as revenue, or pay counts with `bonus` or `spiff`)'),
  blankReward: m('SF6023', 'error', 'a reward needs a name: it is what the statement lists and the rep reads'),
  duplicateReward: m('SF6024', 'warning', 'reward "{0}" is listed twice: a rep meeting both conditions reads it twice on the statement'),
  prorateNeedsTotal: m('SF6026', 'error', '`prorate target by employment` scales the target by the days employed, and "{0}" is {1}, which does not add up over the period\'s days: a rep employed half of it would need {2}. Measure a sum or a count (revenue, deals_won, a sum(...) or count(...) metric), or leave `prorate` out'),
  foreignAmountInSpiff: m('SF6027', 'warning', 'deal.amount is compared with {0} money in a {1} incentive: {2}'),
  finerThanMinorUnit: m('SF6028', 'warning', '{0} has more decimals than {1} has ({2}): statements use it rounded half up, as {3}; write the amount payroll will see'),
  finerMoneyFigure: m('SF6029', 'warning', '{0} has more decimals than {1} has ({2}): statements and emails show it as {3}, but {4}; write the amount people will read'),
  emptyCommission: m('SF6025', 'warning', 'this commission has no bands, so it pays nothing: add `up to X% pay Y%` lines and `above pay Z%`'),
  // {1}: ": write `convert currencies at closing rate`" when the written words are not near it
  // (near it, the suggestion says the fix: "did you mean convert currencies at closing rate?").
  unknownConversion: m('SF6019', 'error', '`convert {0}` is not a conversion{1}'),

  noStopOn: m('SF7001', 'warning', 'sequence "{0}" has no `stop on`: it keeps sending after a reply or unsubscribe'),
  noTrigger: m('SF7002', 'error', 'sequence "{0}" needs a trigger: `on EVENT` or `every DAY at HH:MM for reps`'),
  twoTriggers: m('SF7003', 'error', 'a sequence has one trigger; this is a second one'),
  waitAtEnd: m('SF7004', 'warning', '`wait` as the last step does nothing'),
  sequenceSendsNothing: m('SF7005', 'warning', 'sequence "{0}" sends nothing'),
  stopOnTrigger: m('SF7006', 'warning', 'stopping on the trigger event {0} has no effect'),
  stopOnRepSequence: m('SF7007', 'warning', 'a sequence for reps is never stopped by CRM events: `stop on` here has no effect'),
  scheduleInQuietHours: m('SF7008', 'warning', '{0} is inside this sequence\'s quiet hours ({1}), in each rep\'s zone: every time, the first email to the rep waits until they end; move the time or the quiet hours'),

  badRecipient: m('SF8001', 'error', '{0} cannot receive email: use an entity, a field holding an email or a rep id ({1}), or a quoted address'),
  badAddress: m('SF8002', 'error', '"{0}" is not an email address'),

  invalidPlan: m('SF9001', 'error', 'internal error: the compiled plan is invalid ({0}); please report this'),
} satisfies Record<string, MessageDef>;

export type MessageKey = keyof typeof messages;

export function formatMessage(def: MessageDef, args: readonly (string | number)[]): string {
  return def.text.replace(/\{(\d+)\}/g, (hole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? hole : String(value);
  });
}
