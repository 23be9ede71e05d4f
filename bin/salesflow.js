#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  // An error from the Temporal SDK's native layer can have no stack: its message, never "undefined".
  (err) => { console.error((err instanceof Error && (err.stack ?? err.message)) || err); process.exitCode = 2; },
);
