// A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` from Debian's postgresql package
// in a temporary folder, listening on a free loopback port, stopped and removed afterwards. The
// server refuses to run as root, so as root it runs as the `postgres` OS user (runuser), owning
// the folder. Where no binaries are installed the tests using it skip and say why; under CI
// (CI=true) a missing PostgreSQL is an error instead, since .ci/run installs it.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../../src/temporal/ports.js';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The newest installed PostgreSQL bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
function findBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const found = majors.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  return found ?? null;
}

const bin = findBin();

/** Why PostgreSQL tests cannot run here, or null when they can. */
export const postgresUnavailable: string | null = bin
  ? null
  : 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; install the postgresql package (.ci/run does)';

if (postgresUnavailable && process.env.CI === 'true') {
  throw new Error(`CI must run the PostgreSQL tests: ${postgresUnavailable}`);
}

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/<database> */
  url(database?: string): string;
  /** A new empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  port: number;
  /** The folder of the server's Unix socket (`?host=` of a socket URL). */
  socketDir: string;
  /** Stop the server (fast, like a crash) and start it again on the same port and data. */
  restart(): void;
  stop(): void;
}

const isRoot = userInfo().uid === 0;

function run(command: string, args: string[], what: string): void {
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${result.status ?? result.signal}): ${result.stderr || result.stdout || result.error?.message}`);
  }
}


/**
 * Start a fresh cluster; call stop() when done (afterAll). `settings` are extra server settings
 * (`name=value`), e.g. the chaos run's `track_commit_timestamp=on`.
 */
export async function startPostgres(settings: string[] = []): Promise<TestPostgres> {
  if (!bin) throw new Error(postgresUnavailable!);
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-pg-'));
  if (isRoot) {
    const { uid, gid } = lookupPostgresUser();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], 'initdb');
  // A port picked as free may be taken before the server binds it (another test file picking at
  // the same moment): the first start is retried on a new port.
  let port = 0;
  let options = '';
  const start = () => {
    try {
      run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start'], 'pg_ctl start');
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${(err as Error).message}\n${tail}`);
    }
  };
  const stopServer = () => run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop');
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // Durability off: a test cluster trades crash safety for speed (restart() still keeps committed data).
    options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200${settings.map((s) => ` -c ${s}`).join('')}`;
    try {
      start();
      break;
    } catch (err) {
      if (attempt >= 4 || !/Address already in use|could not bind/i.test((err as Error).message)) throw err;
    }
  }
  let stopped = false;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    socketDir: dir,
    url,
    async createDatabase(name: string): Promise<string> {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    restart() {
      stopServer();
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function lookupPostgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres OS user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
