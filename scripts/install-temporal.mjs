#!/usr/bin/env node
// Obtains the two Temporal servers salesflow runs on and caches them under .cache/temporal/:
//   bin/temporal              Temporal CLI (dev server), built with `go install`
//   bin/temporal-test-server  wrapper around the Java time-skipping test server (from Maven Central)
// The SDK's own "cached-download" fetches from hosts that offline machines cannot reach, so we build
// both from package registries instead. Plain Node, no dependencies: it runs before anything is built.
//
// Usage: node scripts/install-temporal.mjs [--force] [--quiet] [--only=cli|test-server]
// Env:   TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH  use these binaries instead (nothing is installed)

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
// v1.6.0+ carry a `replace` directive in go.mod, which `go install pkg@version` refuses.
const CLI_VERSION = 'v1.5.1';
const TEST_SERVER_ARTIFACT = { groupId: 'io.temporal', artifactId: 'temporal-test-server', version: '1.39.0' };
const SLF4J_VERSION = '1.7.36'; // the slf4j-api the test server depends on
const TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';
// The SDK gives a spawned server about 5 s to answer; a cold JVM on 2 cores needs these to be safe.
const FAST_START_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Xss512k'];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'temporal');
const BIN = path.join(CACHE, 'bin');
const CLI_BIN = path.join(BIN, 'temporal');
const TS_DIR = path.join(CACHE, 'test-server');
const TS_WRAPPER = path.join(BIN, 'temporal-test-server');
const TS_STAMP = path.join(TS_DIR, 'stamp.json');
const TS_ARCHIVE = path.join(TS_DIR, 'app.jsa');

const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const quiet = args.has('--quiet');
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);

const say = (msg) => { if (!quiet) console.log(`[temporal] ${msg}`); };
const warn = (msg) => console.warn(`[temporal] ${msg}`);
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { ok: r.status === 0, status: r.status, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim(), error: r.error };
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

// Two installs at once (parallel `npm test`, CI plus a developer) would race on the same files.
async function withLock(fn) {
  fs.mkdirSync(CACHE, { recursive: true });
  const lock = path.join(CACHE, '.install.lock');
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder;
      try { holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch { holder = NaN; }
      if (Number.isInteger(holder) && !processAlive(holder)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another install holds ${lock}; remove it if that is stale`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// ---------------------------------------------------------------- Temporal CLI (dev server)

function cliVersion(exe) {
  const r = run(exe, ['--version']);
  return r.ok ? r.out.split('\n')[0] : undefined;
}

function installCli() {
  const override = process.env.TEMPORAL_CLI_PATH;
  if (override) {
    const v = cliVersion(override);
    if (!v) return fail('cli', `TEMPORAL_CLI_PATH=${override} does not run (\`${override} --version\` failed)`);
    say(`dev server: ${override} (TEMPORAL_CLI_PATH) — ${v}`);
    return { ok: true, path: override };
  }
  if (!force && isExecutable(CLI_BIN)) {
    const v = cliVersion(CLI_BIN);
    if (v?.includes(`version ${CLI_VERSION.slice(1)} `)) {
      say(`dev server: ${path.relative(ROOT, CLI_BIN)} (cached) — ${v}`);
      return { ok: true, path: CLI_BIN };
    }
  }
  const go = which('go');
  if (!go) {
    const onPath = which('temporal');
    if (onPath && cliVersion(onPath)) {
      say(`dev server: ${onPath} (found on PATH) — ${cliVersion(onPath)}`);
      return { ok: true, path: onPath };
    }
    say('dev server: Go not found; the Temporal SDK will download the CLI itself on first use (needs internet).');
    say('  Offline, install Go >= 1.25 (https://go.dev/dl) and rerun, or set TEMPORAL_CLI_PATH to a `temporal` binary.');
    return { ok: true, path: undefined };
  }
  const t0 = Date.now();
  say(`dev server: building ${CLI_MODULE}@${CLI_VERSION} with ${run(go, ['version']).out} (first time takes a few minutes)…`);
  fs.mkdirSync(BIN, { recursive: true });
  // No extra build flags beyond the version stamp: they would change Go's build-cache keys and
  // force a full rebuild on machines whose ~/.cache/go-build already holds these packages.
  const ldflags = `-ldflags=-X github.com/temporalio/cli/temporalcli.Version=${CLI_VERSION.slice(1)}`;
  const r = spawnSync(go, ['install', ldflags, `${CLI_MODULE}@${CLI_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: BIN },
  });
  const v = r.status === 0 ? cliVersion(CLI_BIN) : undefined;
  if (!v) {
    return fail('cli', `\`go install ${CLI_MODULE}@${CLI_VERSION}\` failed (exit ${r.status}). It needs Go >= 1.25 and the Go module proxy; ` +
      'or install the Temporal CLI yourself and set TEMPORAL_CLI_PATH.');
  }
  say(`dev server: built ${path.relative(ROOT, CLI_BIN)} in ${seconds(t0)} — ${v}`);
  return { ok: true, path: CLI_BIN };
}

// ---------------------------------------------------------------- Java time-skipping test server

function javaInfo() {
  const javaHome = process.env.JAVA_HOME;
  const candidate = javaHome && isExecutable(path.join(javaHome, 'bin', 'java')) ? path.join(javaHome, 'bin', 'java') : which('java');
  if (!candidate) return undefined;
  // The CDS archive is only valid for the exact JVM that wrote it, so pin the real binary.
  const real = fs.realpathSync(candidate);
  const r = run(real, ['-version']);
  if (!r.ok) return undefined;
  return { path: real, version: r.err.split('\n').join(' | ') };
}

function pom() {
  const a = TEST_SERVER_ARTIFACT;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/install-temporal.mjs: only used to fetch the test server's classpath -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.salesflow.cache</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${a.groupId}</groupId>
      <artifactId>${a.artifactId}</artifactId>
      <version>${a.version}</version>
    </dependency>
    <!-- a logging binding, so SLF4J does not print its "no binding" warning on every start -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function wrapperScript(java, jarNames) {
  const q = (str) => `'${str.replaceAll("'", "'\\''")}'`;
  const classpath = jarNames.map((j) => `$LIB/${j}`).join(':');
  return `#!/bin/sh
# Generated by scripts/install-temporal.mjs: Temporal time-skipping test server ${TEST_SERVER_ARTIFACT.version}.
# Usage: temporal-test-server <port> [args]. \`exec\` so that the SDK's SIGKILL reaches the JVM itself.
HERE=$(cd "$(dirname "$0")/../test-server" && pwd)
LIB="$HERE/lib"
CDS=
# A class-data-sharing archive (written at install) roughly halves JVM start; without it, start cold.
if [ -f "$HERE/app.jsa" ]; then CDS="-XX:SharedArchiveFile=$HERE/app.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"; fi
exec ${q(java)} ${FAST_START_JVM_FLAGS.join(' ')} $CDS $TEMPORAL_TEST_SERVER_JAVA_OPTS \\
  -cp "${classpath}" \\
  ${TEST_SERVER_MAIN} "$@"
`;
}

function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(TS_STAMP, 'utf8'));
  } catch {
    return undefined;
  }
}

async function installTestServer() {
  const override = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (override) {
    if (!isExecutable(override)) return fail('test-server', `TEMPORAL_TEST_SERVER_PATH=${override} is not an executable file`);
    say(`time-skipping server: ${override} (TEMPORAL_TEST_SERVER_PATH)`);
    return { ok: true, path: override };
  }
  const java = javaInfo();
  const stamp = readStamp();
  if (!force && java && stamp && isExecutable(TS_WRAPPER) &&
      stamp.artifact === TEST_SERVER_ARTIFACT.version && stamp.pom === pom() && stamp.root === ROOT && stamp.java === java.path && stamp.javaVersion === java.version) {
    say(`time-skipping server: ${path.relative(ROOT, TS_WRAPPER)} (cached) — temporal-test-server ${stamp.artifact}, ` +
      `answered in ${stamp.startMs} ms at install`);
    return { ok: true, path: TS_WRAPPER };
  }
  const mvn = which('mvn');
  if (!java || !mvn) {
    say(`time-skipping server: ${!java ? 'Java' : 'Maven'} not found; the Temporal SDK will download the test server itself on first use (needs internet).`);
    say('  Offline, install a JDK (11+) and Maven (Debian: apt-get install -y default-jdk-headless maven) and rerun,');
    say('  or set TEMPORAL_TEST_SERVER_PATH to a temporal-test-server executable.');
    return { ok: true, path: undefined };
  }

  const t0 = Date.now();
  say(`time-skipping server: fetching ${TEST_SERVER_ARTIFACT.groupId}:${TEST_SERVER_ARTIFACT.artifactId}:${TEST_SERVER_ARTIFACT.version} with Maven…`);
  const lib = path.join(TS_DIR, 'lib');
  fs.rmSync(TS_DIR, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  fs.mkdirSync(BIN, { recursive: true });
  fs.writeFileSync(path.join(TS_DIR, 'pom.xml'), pom());
  const r = run(mvn, ['-B', '-q', '-Dstyle.color=never', '-f', path.join(TS_DIR, 'pom.xml'),
    'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], { cwd: TS_DIR });
  if (!r.ok) {
    console.error(r.out, r.err);
    return fail('test-server', `Maven could not fetch the test server (exit ${r.status}); it needs Maven Central. ` +
      'Or set TEMPORAL_TEST_SERVER_PATH.');
  }
  const jarNames = fs.readdirSync(lib).filter((f) => f.endsWith('.jar')).sort();
  const jars = jarNames.map((f) => path.join(lib, f));
  const classpath = jars.join(':');
  say(`time-skipping server: ${jars.length} jars in ${seconds(t0)}`);

  const t1 = Date.now();
  const dumped = await writeClassArchive(java.path, classpath);
  say(dumped ? `time-skipping server: class-data-sharing archive written in ${seconds(t1)}`
    : 'time-skipping server: could not write a class-data-sharing archive; starting without one (slower)');

  const tmp = `${TS_WRAPPER}.tmp`;
  fs.writeFileSync(tmp, wrapperScript(java.path, jarNames), { mode: 0o755 });
  fs.renameSync(tmp, TS_WRAPPER);

  const startMs = [];
  for (let i = 0; i < 3; i++) startMs.push(await timeToFirstAnswer(TS_WRAPPER, []));
  const best = Math.min(...startMs);
  if (!Number.isFinite(best)) return fail('test-server', `${TS_WRAPPER} did not answer gRPC within 30 s`);
  const median = startMs.sort((a, b) => a - b)[1];
  if (median > 4000) warn(`time-skipping server answered only after ${median} ms; the SDK waits about 5 s, so tests may be flaky here`);
  fs.writeFileSync(TS_STAMP, JSON.stringify({
    artifact: TEST_SERVER_ARTIFACT.version, pom: pom(), root: ROOT, java: java.path, javaVersion: java.version, startMs: median,
  }, null, 2));
  say(`time-skipping server: ${path.relative(ROOT, TS_WRAPPER)} ready in ${seconds(t0)}; ` +
    `answers gRPC ${startMs.join(' / ')} ms after start`);
  return { ok: true, path: TS_WRAPPER };
}

// Run the server once under -XX:ArchiveClassesAtExit, exercising gRPC, so later starts map the
// already-parsed classes from the archive instead of loading ~40 jars cold (about halves start time).
async function writeClassArchive(java, classpath) {
  const tmp = `${TS_ARCHIVE}.tmp`;
  fs.rmSync(tmp, { force: true });
  const port = await freePort();
  const child = spawn(java, [...FAST_START_JVM_FLAGS, `-XX:ArchiveClassesAtExit=${tmp}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off',
    '-cp', classpath, TEST_SERVER_MAIN, String(port)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const answered = await waitForGrpc(port, 60_000, child);
  for (let i = 0; answered && i < 3; i++) await grpcCall(port, 'GetSystemInfo').catch(() => {});
  child.kill('SIGTERM'); // a normal JVM exit is when the archive is written
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
  if (!answered || !fs.existsSync(tmp)) {
    fs.rmSync(tmp, { force: true });
    return false;
  }
  fs.renameSync(tmp, TS_ARCHIVE);
  return true;
}

async function timeToFirstAnswer(exe, extraArgs) {
  const port = await freePort();
  const t0 = Date.now();
  const child = spawn(exe, [String(port), ...extraArgs], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const answered = await waitForGrpc(port, 30_000, child);
  const ms = Date.now() - t0;
  child.kill('SIGKILL');
  await exited;
  return answered ? ms : Infinity;
}

async function waitForGrpc(port, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      await grpcCall(port, 'GetSystemInfo');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

// A unary gRPC call with an empty request message, over bare HTTP/2 (no dependencies available here).
function grpcCall(port, method) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': `/temporal.api.workflowservice.v1.WorkflowService/${method}`,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status;
    req.on('response', (headers) => { status = headers['grpc-status']; });
    req.on('trailers', (trailers) => { status = trailers['grpc-status'] ?? status; });
    req.on('error', (err) => { session.close(); reject(err); });
    req.on('data', () => {});
    req.on('end', () => {
      session.close();
      if (status === '0') resolve();
      else reject(new Error(`grpc-status ${status}`));
    });
    req.setTimeout(2000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    req.end(Buffer.alloc(5)); // 1 byte "not compressed" + 4 bytes length 0
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- main

const failures = [];
function fail(what, message) {
  failures.push(`${what}: ${message}`);
  return { ok: false, path: undefined };
}

const t0 = Date.now();
await withLock(async () => {
  if (!only || only === 'cli') installCli();
  if (!only || only === 'test-server') await installTestServer();
});
if (failures.length > 0) {
  for (const f of failures) console.error(`[temporal] ERROR ${f}`);
  process.exit(1);
}
say(`done in ${seconds(t0)}`);
