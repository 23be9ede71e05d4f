// DATABASE_URL forms: a path or sqlite:PATH is SQLite, postgres:// and postgresql:// are
// PostgreSQL, everything else is refused with the supported forms.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseDataSource, postgresConnectionString, redact } from '../../src/data/source.js';

describe('DATABASE_URL', () => {
  it.each([
    ['var/salesflow.db', { kind: 'sqlite', path: 'var/salesflow.db' }],
    ['/srv/salesflow/data.db', { kind: 'sqlite', path: '/srv/salesflow/data.db' }],
    [':memory:', { kind: 'sqlite', path: ':memory:' }],
    ['sqlite:var/x.db', { kind: 'sqlite', path: 'var/x.db' }],
    ['sqlite://var/x.db', { kind: 'sqlite', path: 'var/x.db' }],
    ['sqlite:///srv/x.db', { kind: 'sqlite', path: '/srv/x.db' }],
    ['postgres://sf:secret@db.internal:5432/salesflow', { kind: 'postgres', url: 'postgres://sf:secret@db.internal:5432/salesflow' }],
    ['postgresql://sf@127.0.0.1/salesflow?sslmode=require', { kind: 'postgres', url: 'postgresql://sf@127.0.0.1/salesflow?sslmode=require' }],
    // libpq's form for a Unix socket: the host as a parameter.
    ['postgres:///salesflow?host=/var/run/postgresql', { kind: 'postgres', url: 'postgres:///salesflow?host=/var/run/postgresql' }],
    // A user and no host, the socket folder as a parameter (libpq reads it; so does node-postgres).
    ['postgresql://sf@/salesflow?host=/var/run/postgresql', { kind: 'postgres', url: 'postgresql://sf@/salesflow?host=/var/run/postgresql' }],
  ])('%s is accepted', (value, source) => {
    expect(parseDataSource(value)).toEqual({ ok: true, source });
  });

  it.each([
    ['mysql://u:p@h:3306/db', /unsupported scheme "mysql:"/],
    ['postgress://u:p@h:5432/db', /unsupported scheme "postgress:"/],
    ['http://example.com/db', /unsupported scheme "http:"/],
    ['sqlite:/', /names no file/],
    ['sqlite:', /names no file/],
    ['var/', /"var\/" names a folder, not a database file/],
    ['postgres://u:p@h:5432', /names no database/],
    ['postgres:db', /has no host/],
    ['postgres:///salesflow', /has no host/],
    ['postgres://u:p@/salesflow', /has no host/],
    ['postgres://u:p@db1:5432,db2:5432/sales?target_session_attrs=read-write', /lists several hosts \(db1:5432,db2:5432\), which salesflow's PostgreSQL driver cannot try in turn: give one/],
    // The same list as libpq's parameters: once taken, then "the host name "db1,db2" cannot be resolved" at connect.
    ['postgres:///sales?host=db1,db2', /lists several hosts \(host=db1,db2\), which salesflow's PostgreSQL driver cannot try in turn: give one/],
    ['postgres://u:p@db1/sales?host=db1&host=db2', /lists several hosts \(host=db1,db2\)/],
    ['postgres://u:p@db1:5432/sales?port=5432,5433', /lists several ports \(port=5432,5433\)/],
    // Taken as SQLite file paths before: `apply` recorded the plan in a file under a folder `"postgres:` and said so.
    ['"postgres://u:p@db:5432/sales"', /"postgres:\/\/u:\*\*\*@db:5432\/sales" is in quotes, which are part of the value here .*: remove them/],
    ["'postgresql://u:p@db/sales'", /is in quotes/],
    ['host=db port=5432 dbname=sales user=sf password=p', /"host=db port=5432 dbname=sales user=sf password=\*\*\*" is libpq's keyword\/value form, which salesflow does not read: write it as a URL, postgres:\/\/USER@HOST:PORT\/DBNAME/],
  ])('%s is refused, naming the supported forms', (value, why) => {
    const parsed = parseDataSource(value);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(why);
    expect(parsed.message).toContain('postgres://user:pass@host:5432/db');
    expect(parsed.message).not.toContain(':p@');
  });

  it('loadConfig names DATABASE_URL and gives the parsed source', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgress://x@h/db' })).toThrow(/DATABASE_URL: unsupported scheme/);
    const config = loadConfig({ DATABASE_URL: 'postgresql://sf@db/sales' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://sf@db/sales' });
    expect(config.databasePath).toBe('postgresql://sf@db/sales');
    expect(loadConfig({}).database).toEqual({ kind: 'sqlite', path: 'var/salesflow.db' });
    // Each command is a process of its own: an in-memory database would lose every import.
    expect(() => loadConfig({ DATABASE_URL: ':memory:' })).toThrow(/DATABASE_URL: ":memory:" is an in-memory database, gone when the command ends; expected a file path/);
    expect(() => loadConfig({ DATABASE_URL: 'sqlite::memory:' })).toThrow(/in-memory database/);
    // An empty value gets one message, not also zod's "Too small".
    expect(() => loadConfig({ DATABASE_URL: ' ' })).toThrow(/^invalid configuration:\n {2}DATABASE_URL: empty; expected a file path/);
    try { loadConfig({ DATABASE_URL: '' }); } catch (err) { expect((err as Error).message.split('\n')).toHaveLength(2); }
  });

  it('redacts passwords in messages', () => {
    expect(redact('postgres://sf:s3cr3t@db:5432/x')).toBe('postgres://sf:***@db:5432/x');
    expect(redact('postgres://db:5432/x?user=sf&password=s3cr3t&sslmode=require')).toBe('postgres://db:5432/x?user=sf&password=***&sslmode=require');
    // A password pasted without percent-encoding can hold @ itself: none of it is shown.
    expect(redact('postgres://sf:p@ss:w/rd#1@db:5432/x')).toBe('postgres://sf:***@db:5432/x');
    // The passphrase of the client key too.
    expect(redact('postgres://sf@db/x?sslmode=verify-full&sslkey=/k.pem&sslpassword=k3y')).toBe('postgres://sf@db/x?sslmode=verify-full&sslkey=/k.pem&sslpassword=***');
  });

  it('refuses a password that is not percent-encoded without printing it, and says how to write it', () => {
    const parsed = parseDataSource('postgres://sf:p@ss:w/rd#1@db.internal:5432/salesflow');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/^"postgres:\/\/sf:\*\*\*@db\.internal:5432\/salesflow" is not a valid URL; in the user name and password, write @ as %40, : as %3A, \/ as %2F, # as %23/);
    expect(parsed.message).not.toMatch(/ss:w|rd#1/);
    // Encoded, the same password is accepted.
    expect(parseDataSource(`postgres://sf:${encodeURIComponent('p@ss:w/rd#1')}@db.internal:5432/salesflow`).ok).toBe(true);
  });

  it('refuses a parameter PostgreSQL does not know (node-postgres would ignore it), pointing a schema to search_path', () => {
    const schema = parseDataSource('postgres://sf@db/sales?schema=salesflow');
    expect(schema).toMatchObject({ ok: false, message: expect.stringMatching(/has the parameter "schema", which is not a PostgreSQL connection parameter \(for the schema of salesflow's tables: \?options=-c%20search_path%3DNAME\)/) });
    expect(parseDataSource('postgres://sf@db/sales?sslmod=require')).toMatchObject({ ok: false, message: expect.stringMatching(/"sslmod"/) });
    for (const accepted of ['?options=-c%20search_path%3Dsalesflow&application_name=crm-sync', '?sslmode=require&connect_timeout=10', '?target_session_attrs=read-write&ssl=true']) {
      expect(parseDataSource(`postgres://sf@db/sales${accepted}`).ok).toBe(true);
    }
  });

  it('gives node-postgres an sslmode as libpq reads it, and leaves other URLs alone', () => {
    expect(postgresConnectionString('postgres://sf@db/x?sslmode=require')).toBe('postgres://sf@db/x?sslmode=require&uselibpqcompat=true');
    expect(postgresConnectionString('postgres://sf@db/x')).toBe('postgres://sf@db/x');
    expect(postgresConnectionString('postgres://sf@db/x?sslmode=verify-full&uselibpqcompat=false')).toBe('postgres://sf@db/x?sslmode=verify-full&uselibpqcompat=false');
  });
});
