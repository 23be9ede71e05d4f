// The only module that knows where the Temporal servers come from and how they are started.
export {
  cachedBinaries,
  ensureCliExecutable,
  ensureTestServerExecutable,
  MissingBinaryError,
  projectRoot,
  requireCliPath,
  resolveCliExecutable,
  resolveTestServerExecutable,
  type BinaryEnv,
  type ServerExecutable,
} from './binaries.js';
export {
  DEFAULT_DEV_DB_FILE,
  ensureSearchAttributes,
  spawnDevServer,
  startDevServer,
  type DevServer,
  type DevServerOptions,
  type DevServerProcess,
} from './dev-server.js';
export { freePort } from './ports.js';
export { startTimeSkippingEnv, type TimeSkippingOptions } from './time-skipping.js';
