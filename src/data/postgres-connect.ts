// Connecting to PostgreSQL the way psql would with the same DATABASE_URL: libpq's meaning of
// `sslmode=prefer|allow` (fall back when the server has no SSL, or wants it), a `connect_timeout`
// (so a firewall that drops packets or a port that never answers ends the command instead of
// hanging it), and connection failures said as what to check rather than as socket error codes.
import pg from 'pg';
import { passwordFileOf, passwordFromFile, type PasswordTarget } from './pgpass.js';
import { postgresConnectionString, postgresUrl } from './source.js';

/** How long a new connection may take when DATABASE_URL sets no `connect_timeout` (libpq's seconds). */
export const DEFAULT_CONNECT_TIMEOUT_S = 30;

/** The connect timeout in ms the URL asks for (`connect_timeout`, seconds; 0 = wait forever, as libpq). */
export function connectTimeoutMs(url: string): number {
  const given = postgresUrl(url).url.searchParams.get('connect_timeout');
  if (given === null || !/^\d+$/.test(given.trim())) return DEFAULT_CONNECT_TIMEOUT_S * 1000;
  // libpq treats 1 as 2 seconds (a timeout of one second is too short to mean anything).
  const seconds = Number(given);
  return seconds === 0 ? 0 : Math.max(2, seconds) * 1000;
}

/**
 * The pool's Client with a connect timeout of its own. Not the pool's `connectionTimeoutMillis`:
 * that also bounds waiting for a free pooled connection, which a busy worker may rightly do longer.
 */
function timedClient(ms: number, url: string): typeof pg.Client {
  let warned = false;
  const warn = (line: string) => {
    if (!warned) process.stderr.write(`salesflow: ${line}\n`);
    warned = true;
  };
  return class extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: ms });
      // No password in the URL nor PGPASSWORD: the password file, read here (src/data/pgpass.ts)
      // rather than by node-postgres, which ignores `passfile=` and prints a DeprecationWarning.
      const self = this as unknown as { password: pg.ClientConfig['password'] | null };
      if (self.password === null || self.password === undefined) {
        const file = passwordFileOf(url);
        self.password = (async (params: PasswordTarget) => passwordFromFile(file, params, warn)) as unknown as () => Promise<string>;
      }
      closeSocketOnFailedConnect(this);
    }
  };
}

/**
 * A connection that fails on the client's side of the handshake (node-postgres refusing to answer
 * a password request it has no password for) leaves its socket open: the server waits for the
 * answer until its authentication_timeout (60 s by default), and the command, having said what was
 * wrong, waited that long before exiting. The socket is closed with the failure instead.
 */
function closeSocketOnFailedConnect(client: pg.Client): void {
  const connect = client.connect.bind(client) as (callback: (err: Error | undefined) => void) => void;
  const drop = () => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  client.connect = ((callback?: (err: Error | undefined) => void) => {
    if (callback) {
      connect((err) => {
        if (err) drop();
        callback(err);
      });
      return undefined;
    }
    return new Promise<void>((resolve, reject) => connect((err) => {
      if (!err) return resolve();
      drop();
      reject(err);
    }));
  }) as typeof client.connect;
}

export function postgresPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: postgresConnectionString(url), max, Client: timedClient(connectTimeoutMs(url), url) });
}

/**
 * libpq's `prefer` tries SSL and takes a plain connection from a server without it; `allow` tries
 * plain first and takes SSL from a server that insists. node-postgres does neither, so the URL
 * a DBA hands out (often `sslmode=prefer`, libpq's default) failed against such a server. Given
 * the first connection's error, the URL to try instead, or null.
 */
export function sslFallback(url: string, err: unknown): string | null {
  const mode = postgresUrl(url).url.searchParams.get('sslmode');
  const message = (err as Error)?.message ?? '';
  let next: string | null = null;
  if (mode === 'prefer' && /does not support SSL/i.test(message)) next = 'disable';
  // The server's pg_hba.conf has only `hostssl` lines for this client: "… no encryption".
  if (mode === 'allow' && String((err as { code?: unknown }).code) === '28000' && /no encryption/i.test(message)) next = 'require';
  return next === null ? null : withSslMode(url, next);
}

/** The URL of the first connection: `allow` starts plain (node-postgres would verify a certificate). */
export function firstSslTry(url: string): string {
  return postgresUrl(url).url.searchParams.get('sslmode') === 'allow' ? withSslMode(url, 'disable') : url;
}

/** The URL as given with only its sslmode changed (the last sslmode is the one read). */
function withSslMode(url: string, mode: string): string {
  return url.replace(/([?&]sslmode=)[^&#]*(?!.*[?&]sslmode=)/, `$1${mode}`);
}

/** The usual reasons a first connection fails, said as what to check (null: PostgreSQL's own message says it). */
export function explainConnectError(url: string, err: unknown): string | null {
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = (err as Error)?.message ?? '';
  const { url: parsed, hostname } = postgresUrl(url);
  const host = parsed.searchParams.get('host') ?? (decodeURIComponent(hostname) || 'localhost');
  const port = parsed.searchParams.get('port') ?? (parsed.port || '5432');
  const where = host.startsWith('/') ? `the Unix socket ${host}/.s.PGSQL.${port}` : `${host}:${port}`;
  if (code === '53300') {
    return `${message}: the server's max_connections is too low for the salesflow processes (each worker opens up to 17 connections, each serve up to 10, see docs/operations.md), or other clients hold them`;
  }
  if (code === 'ECONNREFUSED') return `nothing accepts connections at ${where}: is PostgreSQL running there, and on that port?`;
  if (code === 'ENOENT' && host.startsWith('/')) return `there is no socket ${host}/.s.PGSQL.${port}: is PostgreSQL running, with that socket folder and port?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name "${host}" cannot be resolved (${code})`;
  if (/timeout expired|connection timeout/i.test(message)) {
    const ms = connectTimeoutMs(url);
    return `no answer from ${where} within ${ms / 1000} s (connect_timeout in DATABASE_URL; default ${DEFAULT_CONNECT_TIMEOUT_S}): is the host reachable through the firewall, and is that PostgreSQL's port?`;
  }
  if (/^Connection terminated unexpectedly/.test(message) || /^Received unexpected|unexpected response/i.test(message)) {
    return `${where} closed the connection before PostgreSQL's handshake completed: is that PostgreSQL's port (not a web server or another service), and is the server accepting connections?`;
  }
  // node-postgres' words for a server that asks for a password (SCRAM) when none was given.
  if (/client password must be a (non-empty )?string/.test(message)) {
    const user = parsed.searchParams.get('user') ?? (decodeURIComponent(parsed.username) || process.env.PGUSER || process.env.USER || 'USER');
    return `the server at ${where} asks for the password of user "${user}", and none is given: write it in DATABASE_URL ` +
      `(postgres://${user}:PASSWORD@…, percent-encoded), or set PGPASSWORD, or give it in a password file ` +
      '(a host:port:database:user:password line in ~/.pgpass, or the file named by PGPASSFILE or ?passfile=, readable by its owner only)';
  }
  // The certificate checks of sslmode=verify-ca / verify-full, said as what to give.
  const verifying = parsed.searchParams.has('sslmode') ? `sslmode=${parsed.searchParams.get('sslmode')}` : `ssl=${parsed.searchParams.get('ssl') ?? 'true'}`;
  if (/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/.test(code)) {
    return `the server's certificate at ${where} is not signed by a CA this machine trusts (${message}), and DATABASE_URL asks to verify it (${verifying}): ` +
      'give the CA certificate that signed it with sslrootcert=PATH in DATABASE_URL (a managed database\'s CA bundle), or use sslmode=require to encrypt without verifying the certificate';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate at ${where} is not for the host name in DATABASE_URL (${message}): connect by a name the certificate carries, ` +
      'or use sslmode=verify-ca to verify the CA without the name';
  }
  if (/^CERT_(HAS_EXPIRED|NOT_YET_VALID)$/.test(code)) return `the server's certificate at ${where} is not valid now (${message}): renew it on the server`;
  if ((code === 'ENOENT' || code === 'EACCES') && !host.startsWith('/')) {
    const file = ['sslrootcert', 'sslcert', 'sslkey'].find((key) => parsed.searchParams.get(key) && message.includes(parsed.searchParams.get(key)!));
    if (file) return `the file ${file}=${parsed.searchParams.get(file)} in DATABASE_URL cannot be read (${message})`;
  }
  if (/does not support SSL/i.test(message)) {
    return `the server at ${where} does not support SSL, and DATABASE_URL asks for it (sslmode=${parsed.searchParams.get('sslmode') ?? 'require'}): use sslmode=prefer or disable, or enable SSL on the server`;
  }
  return null;
}
