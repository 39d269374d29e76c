// Child process of log-cleaner.crash.int-spec.ts: opens a data directory with the compiled
// log engine and compacts it until nothing is left to clean. The parent SIGKILLs it at a
// random (seeded) moment. Usage: node log-cleaner.crash-child.mjs <engine index.js> <dataDir>
import { pathToFileURL } from 'node:url';

const [enginePath, dataDir] = process.argv.slice(2);
const { LogManager } = await import(pathToFileURL(enginePath).href);
const manager = await LogManager.open({
  dataDir,
  cleanerEnabled: false,
  // Small buffers: many awaits per pass, and several passes, so a kill lands mid-work.
  cleaner: { ioBufferBytes: 512, dedupeBufferBytes: 24 * 40 },
});
process.stdout.write('ready\n');
let passes = 0;
while ((await manager.runCleaner()) !== null) passes++;
await manager.close();
process.stdout.write(`done ${passes}\n`);
