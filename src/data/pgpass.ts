// The password of a PostgreSQL URL that names none, from a password file read as libpq and psql
// read it: `passfile=` in DATABASE_URL, else PGPASSFILE, else ~/.pgpass; lines
// `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped, `#` comments,
// the first matching line wins, and a file others may read is ignored with a warning.
// node-postgres' own reading ignored `passfile=` and printed a DeprecationWarning addressed to
// developers ("provide an async function as the password property") on the first command of each process.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { postgresUrl } from './source.js';

/** What a line is matched against: the connection as node-postgres resolved it. */
export interface PasswordTarget {
  host?: string;
  port?: number | string;
  database?: string;
  user?: string;
}

/** The password file DATABASE_URL points at: its `passfile`, else PGPASSFILE, else ~/.pgpass. */
export function passwordFileOf(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = postgresUrl(url).url.searchParams.get('passfile');
  if (given) return given;
  if (env.PGPASSFILE) return env.PGPASSFILE;
  return join(env.HOME || homedir(), '.pgpass');
}

/** The fields of one line, unescaped; null for a comment, a blank or a line without five fields. */
function fieldsOf(line: string): string[] | null {
  if (line.trim() === '' || line.startsWith('#')) return null;
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (ch === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields.length === 5 ? fields : null;
}

/**
 * libpq matches a Unix-socket connection by the socket folder, and also by `localhost` for the
 * usual socket folders; a TCP connection by the host as written.
 */
function hostMatches(field: string, host: string): boolean {
  if (field === '*' || field === host) return true;
  return field === 'localhost' && (host === '' || host === '/var/run/postgresql' || host === '/run/postgresql' || host === '/tmp');
}

/**
 * The password for `target` from `file`, or undefined (no file, no matching line). `warn` is told
 * once why a file that exists is not read.
 */
export function passwordFromFile(file: string, target: PasswordTarget, warn: (line: string) => void): string | undefined {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return undefined;
    // As libpq: a password file others may read is not trusted.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      warn(`password file ${file} has group or world access and is not read (as psql does not); chmod 600 ${file}`);
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const host = target.host ?? 'localhost';
  const port = String(target.port ?? 5432);
  for (const line of text.split(/\r?\n/)) {
    const fields = fieldsOf(line);
    if (!fields) continue;
    const [h, p, db, user, password] = fields;
    if (!hostMatches(h, host)) continue;
    if (p !== '*' && p !== port) continue;
    if (db !== '*' && db !== (target.database ?? '')) continue;
    if (user !== '*' && user !== (target.user ?? '')) continue;
    return password;
  }
  return undefined;
}
