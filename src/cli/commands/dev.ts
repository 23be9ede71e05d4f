// `salesflow dev [--port N] [--temporal-port N] [--ui-port N] [rule paths]`: everything on one
// machine with demo data (see src/runtime/dev.ts).
import { runDev } from '../../runtime/dev.js';

const USAGE = 'usage: salesflow dev [--port N] [--temporal-port N] [--ui-port N] [rule paths]\n';

export async function run(args: string[]): Promise<number> {
  const paths: string[] = [];
  const ports: { httpPort?: number; temporalPort?: number; uiPort?: number } = {};
  // A Map, not an object: `name in {...}` is true for Object.prototype's names, so
  // `salesflow dev constructor` (a rule folder of that name) was read as a port flag.
  const flags = new Map<string, keyof typeof ports>([['--port', 'httpPort'], ['--temporal-port', 'temporalPort'], ['--ui-port', 'uiPort']]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    const [name, inline] = arg.split('=', 2);
    const flag = flags.get(name);
    if (flag !== undefined) {
      const value = inline ?? args[++i];
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        process.stderr.write(`salesflow dev: ${name} needs a port number, got ${JSON.stringify(value ?? '')}\n${USAGE}`);
        return 1;
      }
      ports[flag] = port;
    } else if (arg.startsWith('-')) {
      process.stderr.write(`salesflow dev: unknown option ${arg}\n${USAGE}`);
      return 1;
    } else {
      paths.push(arg);
    }
  }
  return runDev({ paths, ...ports });
}
