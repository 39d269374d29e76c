/**
 * A client process of `npm run bench:load`: holds one slice of the subscriber fleet, or runs the
 * connection storm, so that no single event loop has to drive every socket (the machine has few
 * cores; each process gets what the scheduler gives it). Spoken to over stdin/stdout, one JSON
 * object a line:
 *
 *   in:  {"cmd":"fleet","options":FleetOptions}  -> {"event":"open","ms":n} once every connection is subscribed
 *        {"cmd":"progress"}                      -> {"event":"progress","progress":FleetProgress}
 *        {"cmd":"storm","options":StormOptions}  -> {"event":"storm","result":StormResult (connectMs as an array)}
 *        {"cmd":"close"}                         -> closes everything and exits
 *   out: {"event":"error","message":...} on any failure, then exit 1.
 */
import readline from 'node:readline';
import { Fleet, type FleetOptions } from './fleet.js';
import { runStorm, type StormOptions } from './storm.js';

type Command = { cmd: 'fleet'; options: FleetOptions } | { cmd: 'progress' } | { cmd: 'storm'; options: StormOptions } | { cmd: 'close' };

let fleet: Fleet | null = null;

function send(message: unknown): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function die(err: unknown): never {
  send({ event: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

async function handle(command: Command): Promise<void> {
  switch (command.cmd) {
    case 'fleet': {
      const start = performance.now();
      fleet = new Fleet(command.options);
      await fleet.open();
      send({ event: 'open', ms: performance.now() - start });
      return;
    }
    case 'progress':
      send({ event: 'progress', progress: fleet?.progress() ?? null });
      return;
    case 'storm': {
      const result = await runStorm(command.options);
      send({ event: 'storm', result: { ...result, connectMs: Array.from(result.connectMs) } });
      return;
    }
    case 'close':
      await fleet?.close();
      process.exit(0);
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  handle(JSON.parse(line) as Command).catch(die);
});
process.on('uncaughtException', die);
