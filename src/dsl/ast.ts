// The typed syntax tree the parser builds. Every node keeps its source span so each diagnostic can
// point at the text that caused it, and the formatter can put comments back where they were.

/** 1-based; `endCol` is the column just after the last character. Offsets are 0-based. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

export interface Name {
  text: string;
  span: Span;
}

export interface StringNode {
  value: string;
  /** As written, with quotes and escapes: the formatter prints it back unchanged. */
  raw: string;
  span: Span;
}

export type DurationUnitName = 'minutes' | 'hours' | 'days' | 'business_days' | 'weeks';

export type LiteralValue =
  | { type: 'string'; value: string }
  | { type: 'number'; value: string }
  | { type: 'money'; amount: string; currency: string }
  | { type: 'percent'; value: string }
  | { type: 'duration'; amount: string; unit: DurationUnitName }
  | { type: 'date'; value: string }
  | { type: 'time'; value: string }
  | { type: 'bool'; value: boolean };

export type BinaryOpText = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/';

export type ExprNode =
  | { kind: 'literal'; value: LiteralValue; raw: string; span: Span }
  | { kind: 'path'; parts: Name[]; span: Span }
  | { kind: 'binary'; op: BinaryOpText; left: ExprNode; right: ExprNode; span: Span }
  | { kind: 'not'; operand: ExprNode; span: Span }
  | { kind: 'neg'; operand: ExprNode; span: Span }
  | { kind: 'in'; negated: boolean; operand: ExprNode; items: ExprNode[]; span: Span }
  | { kind: 'paren'; inner: ExprNode; span: Span }
  /** What the parser left after a syntax error; the error itself is already reported. */
  | { kind: 'error'; span: Span };

export type LiteralNode = Extract<ExprNode, { kind: 'literal' }>;
export type PathNode = Extract<ExprNode, { kind: 'path' }>;

export type RecipientNode =
  | { kind: 'path'; parts: Name[]; span: Span }
  | { kind: 'address'; value: StringNode; span: Span };

export interface ScheduleNode {
  /** Weekday names, or `day` / `weekday`, as written. */
  days: Name[];
  at: LiteralNode;
  span: Span;
}

export interface CommissionBandNode {
  /** null for `above`; a percent of target or an amount (`up to 150000 USD`). */
  upTo: LiteralNode | null;
  pay: LiteralNode;
  span: Span;
}

export interface EscalationNode {
  to: RecipientNode;
  within: LiteralNode;
  span: Span;
}

/**
 * Statements inside a rule body. The grammar is shared by all rule kinds; the checker decides
 * which statements a kind allows, so a misplaced statement gets a clear message instead of a
 * parse error.
 */
export type Statement =
  | { kind: 'for'; where: ExprNode | null; span: Span }
  | { kind: 'measure'; metric: Name; span: Span }
  | { kind: 'target'; value: LiteralNode; per: Name | null; span: Span }
  | { kind: 'period'; period: Name; span: Span }
  | { kind: 'effective'; from: LiteralNode; to: LiteralNode; span: Span }
  | { kind: 'every'; schedule: ScheduleNode; when: ExprNode | null; body: Statement[] | null; forReps: { where: ExprNode | null; span: Span } | null; span: Span }
  | { kind: 'atPercent'; percent: LiteralNode; when: ExprNode | null; body: Statement[]; span: Span }
  | { kind: 'atEnd'; when: ExprNode | null; body: Statement[]; span: Span }
  | { kind: 'send'; template: StringNode; to: RecipientNode[]; span: Span }
  /** `cut`: the file ends inside its table (the bands so far are read; an `above` may be missing). */
  | { kind: 'commission'; method: 'marginal' | 'retroactive'; bands: CommissionBandNode[]; span: Span; cut?: true }
  | { kind: 'bonus'; amount: LiteralNode; when: ExprNode; span: Span }
  | { kind: 'spiff'; amount: LiteralNode; per: Name; where: ExprNode | null; span: Span }
  | { kind: 'cap'; amount: LiteralNode; span: Span }
  /** `credit splits`, `credit team all levels`: the words after `credit`, checked by the checker. */
  | { kind: 'credit'; words: Name[]; span: Span }
  /** `prorate target by employment`. */
  | { kind: 'prorate'; basis: Name; span: Span }
  /** `convert currencies at closing rate`: the three words around `at`. */
  | { kind: 'convert'; words: Name[]; span: Span }
  | { kind: 'reward'; text: StringNode; when: ExprNode | null; span: Span }
  | {
      kind: 'approve';
      by: RecipientNode;
      within: LiteralNode;
      escalations: EscalationNode[];
      otherwise: { decision: 'approve' | 'reject'; span: Span } | null;
      span: Span;
      /** The file ends inside its block (the entries so far are read; an `otherwise` may be missing). */
      cut?: true;
    }
  | { kind: 'on'; event: Name; where: ExprNode | null; span: Span }
  | { kind: 'stopOn'; events: Name[]; span: Span }
  | { kind: 'quietHours'; from: LiteralNode; to: LiteralNode; weekends: boolean; span: Span }
  | { kind: 'wait'; duration: LiteralNode; span: Span }
  | { kind: 'if'; condition: ExprNode; then: Statement[]; else: Statement[] | null; span: Span };

export type StatementKind = Statement['kind'];

export interface SettingNode {
  key: 'timezone' | 'currency' | 'from';
  value: string;
  valueRaw: string;
  valueSpan: Span;
  span: Span;
}

export type Declaration =
  | { kind: 'settings'; entries: SettingNode[]; span: Span }
  | {
      kind: 'metric';
      name: Name;
      aggregate: 'sum' | 'count' | 'avg' | 'min' | 'max';
      arg: PathNode;
      where: ExprNode | null;
      span: Span;
    }
  | { kind: 'goal' | 'incentive' | 'sequence'; name: StringNode; body: Statement[]; span: Span };

export type RuleDeclaration = Extract<Declaration, { kind: 'goal' | 'incentive' | 'sequence' }>;
export type MetricDeclaration = Extract<Declaration, { kind: 'metric' }>;
export type SettingsDeclaration = Extract<Declaration, { kind: 'settings' }>;

export interface Comment {
  text: string;
  span: Span;
}

/**
 * A metric the parser could not finish (`metric m = count(deal) where deal.stage = "won" and` at
 * the end of the file, `metric y = summ(...)`): its name and, when it was read, its aggregate, so the
 * rules using it are not told the metric is unknown or of the wrong type.
 */
export interface UnfinishedMetric {
  name: Name;
  aggregate: 'sum' | 'count' | 'avg' | 'min' | 'max' | null;
  span: Span;
}

export interface RuleFile {
  file: string;
  declarations: Declaration[];
  comments: Comment[];
  unfinishedMetrics?: UnfinishedMetric[];
}
