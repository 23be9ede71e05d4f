// Configuration from the environment, read and validated once at the edge (SPEC §10), then passed
// down as a typed value. A bad value stops start-up with a message naming the variable.
import { z } from 'zod';
import { parseDataSource, SUPPORTED_FORMS, type DataSource } from './data/source.js';

/**
 * An exported but empty variable (`TEMPORAL_API_KEY=` in an env file, a CI secret that is not set)
 * means unset for the optional ones: it switches a feature or a credential off, as leaving it out
 * does, rather than stopping every command (`status` needs no Temporal key).
 */
function unsetWhenEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);
}

const optional = unsetWhenEmpty(z.string().trim().optional());

/**
 * Where salesflow works (namespace, task queue) has a default, but an empty value is refused: a
 * deployment whose variable came out empty would otherwise work in the default one unnoticed.
 */
function named(fallback: string) {
  return z.string().trim().min(1, `is set but empty; unset it for the default (${fallback}) or name one`).default(fallback);
}

/**
 * The SDK's default sizes the sticky cache from the V8 heap limit (~2,300 workflows with a 4 GB
 * heap, over 1 GB of RSS once that many sequences sleep). Evicted workflows are replayed from
 * history when their timer fires, so a small cache costs a replay per wake-up, not correctness.
 * Each cached workflow measured about 1.4 MB of worker RSS (10k sequences asleep: 294 MB with 100
 * cached, 226 MB with 50); a sequence asleep for days gains nothing from staying cached, and 50
 * still holds every run that is between its steps at the rates one worker handles.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 50;

/**
 * A whole number from the environment. `z.coerce.number()` alone reads "abc" as NaN and says
 * "Invalid input: expected number, received NaN", which names neither what is expected nor the
 * value written; this says both.
 */
function wholeNumber(what: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  // Unset or empty (`PORT=` in an env file) is the default, as for the other variables.
  return z.preprocess(
    (v) => (v === undefined || (typeof v === 'string' && v.trim() === '') ? String(fallback) : v),
    z.string().trim().transform((text, ctx) => {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got "${text}"` });
      return z.NEVER;
    }),
  );
}

const smtpShape = 'expected smtp://user:pass@host:port or smtps://...';

/**
 * What is wrong with an SMTP_URL, without repeating it (it holds the password); null when the
 * mailer can use it. Checked here so a worker does not start against no host, or stop with a
 * TypeError at its first email.
 */
function smtpUrlProblem(value: string): string | null {
  if (!/^smtps?:\/\//i.test(value)) return smtpShape;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a valid URL (${smtpShape}; a space or a character such as @ / : # in the user or password is written percent-encoded, @ as %40)`;
  }
  if (!url.hostname) return `names no host (${smtpShape})`;
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return 'the user or password has a % that is not percent-encoding (write % as %25)';
  }
  return null;
}

export const ConfigSchema = z.object({
  // An IPv6 address is written in brackets, as in a URL ([fd00::7]:7233); the SDK takes that form.
  TEMPORAL_ADDRESS: z.string().trim()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):\d+$/, 'expected host:port, e.g. localhost:7233 (an IPv6 address in brackets: [fd00::7]:7233)')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: named('default'),
  TEMPORAL_TASK_QUEUE: named('salesflow'),
  /** Temporal Cloud: an API key, or mTLS client certificate and key files. */
  TEMPORAL_API_KEY: optional,
  TEMPORAL_TLS_CERT: optional,
  TEMPORAL_TLS_KEY: optional,
  // Said in words with the value given: zod's own text ("Invalid option: expected one of ...") named neither.
  TEMPORAL_TLS: unsetWhenEmpty(
    z.enum(['true', 'false'], { error: (issue) => `expected true or false, got "${String(issue.input)}"` }).optional(),
  ),
  SMTP_URL: unsetWhenEmpty(z.string().trim().optional()).superRefine((value, ctx) => {
    const problem = value === undefined ? null : smtpUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** A SQLite path (`var/salesflow.db`, `sqlite:PATH`) or a PostgreSQL URL; anything else is refused. */
  DATABASE_URL: z.string().trim().default('var/salesflow.db').superRefine((value, ctx) => {
    const parsed = parseDataSource(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }),
  PORT: wholeNumber('a port number from 0 to 65535', 3000, 0, 65535),
  // Every link in emails is PUBLIC_URL + /approvals/… or /unsubscribe/…: a query, a fragment or a
  // scheme other than http(s) (javascript:, mailto:) would make each one broken.
  PUBLIC_URL: unsetWhenEmpty(z.string().trim().url('expected an absolute URL such as https://salesflow.example.com').superRefine((value, ctx) => {
    // Not a URL at all is already said by .url(); zod runs this refinement anyway.
    if (!URL.canParse(value)) return;
    const { protocol } = new URL(value);
    if ((protocol === 'https:' || protocol === 'http:') && !value.includes('?') && !value.includes('#')) return;
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// address without a query or fragment, such as https://salesflow.example.com (links in emails are PUBLIC_URL + /approvals/…), got "${value}"` });
  }).optional()),
  SALESFLOW_SECRET: unsetWhenEmpty(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Upper bound of a POST /events body, in bytes. */
  EVENT_BODY_LIMIT: wholeNumber('a size in bytes, a whole number more than 0', 256 * 1024, 1),
  /** CRM webhooks (docs/crm.md): HubSpot app client secret, CRM API token and base URL. */
  HUBSPOT_APP_SECRET: optional,
  HUBSPOT_API_TOKEN: optional,
  HUBSPOT_API_URL: z.string().trim().url('expected an absolute URL such as https://api.hubapi.com').default('https://api.hubapi.com'),
  /** The Salesforce org whose outbound messages are taken (15 or 18 characters). */
  SALESFORCE_ORG_ID: unsetWhenEmpty(z.string().trim().regex(/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/, 'expected a 15- or 18-character Salesforce org id like 00D5g000004XXXXEAA').optional()),
  ZOHO_WEBHOOK_SECRET: unsetWhenEmpty(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Upper bound of a CRM webhook body (a Salesforce message holds up to 100 records), in bytes. */
  WEBHOOK_BODY_LIMIT: wholeNumber('a size in bytes, a whole number more than 0', 1024 * 1024, 1),
  /** Workflows the worker keeps in memory between tasks; 0 turns the sticky cache off. */
  // An empty value means unset, not 0 (which would turn the cache off).
  SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: wholeNumber('a whole number: 0 (no cache) or at least 2', DEFAULT_MAX_CACHED_WORKFLOWS, 0)
    .refine((n) => n !== 1, 'must be 0 (no cache) or at least 2'),
  /**
   * Read by bin/salesflow before node starts (memory settings of `worker` and `dev`); checked here
   * too so a typo (`of`, `false`) stops the process instead of silently running untuned.
   */
  SALESFLOW_NODE_TUNING: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['on', 'off'], { error: (issue) => `expected on or off, got "${String(issue.input)}"` }).optional(),
  ),
});

export interface Config {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls?: { certFile?: string; keyFile?: string } | boolean;
  };
  smtpUrl?: string;
  /**
   * What openDatabase opens: the SQLite file's path (DATABASE_URL without its `sqlite:` prefix) or
   * the PostgreSQL URL.
   */
  databasePath: string;
  /** The data source DATABASE_URL names. Optional so hand-built configs (tests) keep compiling. */
  database?: DataSource;
  port: number;
  publicUrl: string;
  secret?: string;
  eventBodyLimit: number;
  /** Optional so hand-built configs (tests) keep compiling; loadConfig always fills it. */
  worker?: { maxCachedWorkflows: number };
  /** CRM webhooks; optional for the same reason. */
  crm?: CrmConfig;
}

export interface CrmConfig {
  hubspot: { appSecret?: string; apiToken?: string; apiUrl: string };
  salesforce: { orgId?: string };
  zoho: { secret?: string };
  /**
   * SALESFLOW_WEBHOOK_SECRET_<NAME> per generic source, keyed by the lower-case name (`-` written
   * `_`). A Map, as the key is a source name: on a plain object `constructor` would find a function.
   */
  genericSecrets: ReadonlyMap<string, string>;
  bodyLimit: number;
}

const GENERIC_SECRET = /^SALESFLOW_WEBHOOK_SECRET_([A-Z0-9_]+)$/;

/** The env var holding the secret of generic source NAME (rules/crm/NAME.yaml). */
export function genericSecretVariable(name: string): string {
  return `SALESFLOW_WEBHOOK_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

function genericSecrets(env: NodeJS.ProcessEnv): { secrets: Map<string, string>; problems: string[] } {
  const secrets = new Map<string, string>();
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const match = GENERIC_SECRET.exec(key);
    if (!match || value === undefined || value === '') continue;
    if (value.length < 16) problems.push(`  ${key}: must be at least 16 characters`);
    else secrets.set(match[1].toLowerCase(), value);
  }
  return { secrets, problems };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const generic = genericSecrets(env);
  if (generic.problems.length) throw new ConfigError(`invalid configuration:\n${generic.problems.join('\n')}`);
  const source = parseDataSource(e.DATABASE_URL);
  if (!source.ok) throw new ConfigError(`invalid configuration:\n  DATABASE_URL: ${source.message}`);
  // Every salesflow command is a process of its own and every process must share the data source
  // (it holds the applied plan): an in-memory database would be gone when `import` exits.
  if (source.source.kind === 'sqlite' && /^(:memory:|file::memory:)/.test(source.source.path)) {
    throw new ConfigError(`invalid configuration:\n  DATABASE_URL: "${e.DATABASE_URL}" is an in-memory database, gone when the command ends; expected ${SUPPORTED_FORMS}`);
  }
  const tls =
    e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_KEY
      ? { certFile: e.TEMPORAL_TLS_CERT, keyFile: e.TEMPORAL_TLS_KEY }
      : e.TEMPORAL_TLS === 'true' || Boolean(e.TEMPORAL_API_KEY);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls,
    },
    smtpUrl: e.SMTP_URL,
    databasePath: source.source.kind === 'sqlite' ? source.source.path : source.source.url,
    database: source.source,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    secret: e.SALESFLOW_SECRET,
    eventBodyLimit: e.EVENT_BODY_LIMIT,
    worker: { maxCachedWorkflows: e.SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS },
    crm: {
      hubspot: { appSecret: e.HUBSPOT_APP_SECRET, apiToken: e.HUBSPOT_API_TOKEN, apiUrl: e.HUBSPOT_API_URL.replace(/\/+$/, '') },
      salesforce: { orgId: e.SALESFORCE_ORG_ID },
      zoho: { secret: e.ZOHO_WEBHOOK_SECRET },
      genericSecrets: generic.secrets,
      bodyLimit: e.WEBHOOK_BODY_LIMIT,
    },
  };
}
