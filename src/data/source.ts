// Which data source DATABASE_URL names: a SQLite file (a path, or `sqlite:PATH`) or a PostgreSQL
// database (`postgres://` or `postgresql://` URL). Anything else is refused with the supported
// forms, so a typo never quietly becomes a SQLite file in a folder named after the typo.

export type DataSource =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

export const SUPPORTED_FORMS =
  'a file path (var/salesflow.db), sqlite:PATH (sqlite:var/salesflow.db, sqlite:///abs/path.db), ' +
  'or postgres://user:pass@host:5432/db (also postgresql://; libpq parameters such as ?sslmode=require or ?host=/var/run/postgresql)';

export type ParsedSource = { ok: true; source: DataSource } | { ok: false; message: string };

export function parseDataSource(text: string): ParsedSource {
  const value = text.trim();
  const refuse = (why: string): ParsedSource => ({ ok: false, message: `${why}; expected ${SUPPORTED_FORMS}` });
  if (value === '') return refuse('empty');
  // Quotes kept as part of the value (docker's --env-file, a Kubernetes value quoted twice) would
  // otherwise make `"postgres://…"` a SQLite file in a folder named `"postgres:`.
  if (/^["'`]|["'`]$/.test(value)) {
    return refuse(`"${redact(value.replace(/^["'`]|["'`]$/g, ''))}" is in quotes, which are part of the value here (docker --env-file and some env files keep them): remove them`);
  }
  // libpq's keyword/value form (host=db port=5432 dbname=sales), which psql takes and a path never looks like.
  if (/^[a-z_]+\s*=/i.test(value)) {
    return refuse(`"${redactText(value)}" is libpq's keyword/value form, which salesflow does not read: write it as a URL, postgres://USER@HOST:PORT/DBNAME`);
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
  // A Windows drive letter (C:\...) is a path, not a scheme.
  if (!scheme || /^[A-Za-z]:[\\/]/.test(value)) {
    // "var/" would otherwise become a file named "var" (SQLite drops the slash).
    if (/[\\/]$/.test(value)) return refuse(`"${value}" names a folder, not a database file`);
    return { ok: true, source: { kind: 'sqlite', path: value } };
  }
  const lower = scheme.toLowerCase();
  if (lower === 'postgres' || lower === 'postgresql') {
    // libpq's list of hosts to try in turn (h1:5432,h2:5432): node-postgres connects to one only.
    const authority = value.slice(scheme.length + 3).split(/[/?#]/)[0];
    const hosts = authority.slice(authority.lastIndexOf('@') + 1);
    if (hosts.includes(',')) {
      return refuse(`"${redact(value)}" lists several hosts (${hosts}), which salesflow's PostgreSQL driver cannot try in turn: give one, the primary's address or a proxy's that follows it`);
    }
    let url: URL;
    let hostname: string;
    try {
      ({ url, hostname } = postgresUrl(value));
    } catch {
      // The usual cause: a password as the DBA typed it, with characters a URL reserves.
      const hint = value.includes('@') ? `; in the user name and password, write @ as %40, : as %3A, / as %2F, # as %23, ? as %3F and % as %25 (what encodeURIComponent gives)` : '';
      return refuse(`"${redact(value)}" is not a valid URL${hint}`);
    }
    const unknown = [...url.searchParams.keys()].find((key) => !CONNECTION_PARAMETERS.has(key));
    if (unknown !== undefined) {
      // node-postgres ignores what it does not know: `?schema=x` would quietly create the tables in `public`.
      const schema = /^(schema|search_?path|current_?schema)$/i.test(unknown) ? ` (for the schema of salesflow's tables: ?options=-c%20search_path%3DNAME)` : '';
      return refuse(`"${redact(value)}" has the parameter "${unknown}", which is not a PostgreSQL connection parameter${schema}`);
    }
    // libpq's form for a Unix socket or a host given apart: postgres:///db?host=/var/run/postgresql.
    const queryHost = url.searchParams.get('host');
    // The host list written as parameters (?host=h1,h2&port=5432,5433), which libpq also tries in
    // turn: node-postgres would look up "h1,h2" as one name, or connect to port "5432,5433".
    for (const key of ['host', 'hostaddr', 'port']) {
      const list = url.searchParams.getAll(key).join(',');
      if (list.includes(',')) {
        return refuse(`"${redact(value)}" lists several ${key === 'port' ? 'ports' : 'hosts'} (${key}=${list}), which salesflow's PostgreSQL driver cannot try in turn: give one, the primary's address or a proxy's that follows it`);
      }
    }
    if (!value.slice(scheme.length).startsWith('://') || (!hostname && !queryHost)) return refuse(`"${redact(value)}" has no host`);
    if (url.pathname.replace(/^\//, '') === '') return refuse(`"${redact(value)}" names no database (…:5432/DBNAME)`);
    return { ok: true, source: { kind: 'postgres', url: value } };
  }
  if (lower === 'sqlite') {
    // sqlite:PATH, sqlite://relative/or/absolute, sqlite:///abs/path.
    const path = value.slice(scheme.length + 1).replace(/^\/\//, '');
    if (path === '' || path === '/' || path.endsWith('/')) return refuse(`"${value}" names no file`);
    return { ok: true, source: { kind: 'sqlite', path } };
  }
  return refuse(`unsupported scheme "${scheme}:"`);
}

/**
 * A postgres URL read as a WHATWG URL, and its host name. libpq's user without a host, the socket
 * given apart (postgres://sf@/db?host=/run/postgresql), is no WHATWG URL: it is read with a
 * stand-in host, as node-postgres does, and its host name is empty.
 */
export function postgresUrl(text: string): { url: URL; hostname: string } {
  try {
    const url = new URL(text);
    return { url, hostname: url.hostname };
  } catch (err) {
    if (!text.includes('@/')) throw err;
    return { url: new URL(text.replace('@/', '@salesflow-no-host/')), hostname: '' };
  }
}

/**
 * The connection string node-postgres is given: an `sslmode` means what it means to psql and
 * libpq (`require`: encrypted, the certificate not verified; `verify-full`: verified), as in the
 * URLs cloud providers hand out, not node-postgres' own reading (every mode as `verify-full`,
 * with a deprecation warning printed on every command).
 */
export function postgresConnectionString(url: string): string {
  const parsed = postgresUrl(url).url;
  if (!parsed.searchParams.has('sslmode') || parsed.searchParams.has('uselibpqcompat')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}uselibpqcompat=true`;
}

/**
 * The parameters a postgres URL may carry: libpq's (as psql reads them; those node-postgres does
 * not act on are harmless) and node-postgres' own. Anything else is a typo or another driver's.
 */
const CONNECTION_PARAMETERS = new Set([
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'channel_binding', 'connect_timeout',
  'client_encoding', 'options', 'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle',
  'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'replication', 'gssencmode', 'sslmode', 'requiressl',
  'sslcompression', 'sslcert', 'sslkey', 'sslpassword', 'sslcertmode', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni',
  'sslnegotiation', 'requirepeer', 'require_auth', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname',
  'gsslib', 'gssdelegation', 'service', 'target_session_attrs', 'load_balance_hosts',
  'ssl', 'uselibpqcompat', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'query_timeout',
]);

/**
 * The URL without its password, for messages and logs. The password ends at the last `@`: one
 * typed without percent-encoding can hold `@` itself, and must not show in part either.
 */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@?#]*:).*@/i, '$1***@').replace(/([?&](?:ssl)?password=)[^&]*/gi, '$1***');
}

/**
 * Free text (a driver's error message, which may quote a connection string) without credentials:
 * every `scheme://user:password@` loses its password, and `password=...` settings their value.
 */
export function redactText(text: string): string {
  return text.replace(/(\w+:\/\/[^\s:/@]*):[^\s@/]*@/g, '$1:***@').replace(/(password\s*=\s*)\S+/gi, '$1***');
}

/** How the source is named in messages. */
export function describeSource(source: DataSource): string {
  return source.kind === 'sqlite' ? source.path : redact(source.url);
}
