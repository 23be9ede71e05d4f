// `salesflow dev [--port N] [--temporal-port N] [--ui-port N] [rule paths]`: everything on one
// machine with demo data (see src/runtime/dev.ts).
import { runDev } from '../../runtime/dev.js';

const USAGE = 'usage: salesflow dev [--port N] [--temporal-port N] [--ui-port N] [--demo-data] [rule paths]\n' +
  '  --demo-data  load the demo reps, deals and leads into an empty DATABASE_URL too (by default only into var/salesflow.db)\n';

export async function run(args: string[]): Promise<number> {
  const paths: string[] = [];
  const ports: { httpPort?: number; temporalPort?: number; uiPort?: number } = {};
  let demoData = false;
  // A Map, not an object: `name in {...}` is true for Object.prototype's names, so
  // `salesflow dev constructor` (a rule folder of that name) was read as a port flag.
  const flags = new Map<string, keyof typeof ports>([['--port', 'httpPort'], ['--temporal-port', 'temporalPort'], ['--ui-port', 'uiPort']]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    // Split at the first '=' only: split('=', 2) dropped the rest, so --port=3000=1 was port 3000.
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const flag = flags.get(name);
    if (arg === '--demo-data') {
      demoData = true;
    } else if (flag !== undefined) {
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
  return runDev({ paths, ...ports, demoData });
}
