#!/usr/bin/env node
/**
 * `spool`: the package's bin (package.json), run as `npx spool` or `node dist/apps/cli/src/main.js`.
 * Wires the process (argv, stdio, env, signals) to the command tree and exits with its status.
 */
import { runCli } from './program.js';

const interrupt = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  // First signal: stop cleanly (consume commits and leaves its group). Second: stop now.
  if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
  interrupt.abort(new Error(signal));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `spool consume t | head`: the reader went away; that is how such pipelines end, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), { streams: { stdout: process.stdout, stderr: process.stderr }, env: process.env, interrupted: interrupt.signal, stdin: process.stdin });
process.exitCode = code;
