// Child process of log-truncation.crash.int-spec.ts: opens the data directory with the compiled
// log engine (recovering it after the previous kill) and, until it is SIGKILLed, plays a replica
// that keeps changing roles: follower appends of "leader" batches (their offsets and epochs
// given), leader appends stamping an epoch, a new leader recording its epoch, and frequent,
// often deep truncations across many small segments. Every completed step is printed, so the
// parent knows what the log held when the kill came:
//   ready <logEndOffset> <latestEpoch|-1>
//   ack <baseOffset> <lastOffset> <epoch> <firstSeq>     (one line per appended batch)
//   leader <epoch>
//   trunc <offset>   then   truncated <offset> <logEndOffset>
// Usage: node log-truncation.crash-child.mjs <distRoot> <dataDir> <round> <seed>
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [distRoot, dataDir, round, seed] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const load = (lib) => import(pathToFileURL(path.join(distRoot, 'libs', lib, 'src', 'index.js')).href);
const { LogManager } = await load('log-engine');
const { encodeRecordBatch } = await load('protocol');

let a = seed >>> 0;
function random() {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(random() * n);

const manager = await LogManager.open({ dataDir, cleanerEnabled: false });
if (manager.listTopics().length === 0) await manager.createTopic('t', 1, { 'segment.bytes': '300', 'index.interval.bytes': '64' });
const log = manager.getLog('t', 0);
const out = (line) => process.stdout.write(line + '\n');
out(`ready ${log.logEndOffset} ${log.replication.latestEpoch ?? -1}`);

let epoch = log.replication.latestEpoch ?? 0;
let seq = 0;

/** `count` batches of 1-3 records each from `baseOffset`, all stamped `epoch`. */
function batches(baseOffset, count) {
  const out = [];
  let base = baseOffset;
  for (let i = 0; i < count; i++) {
    const n = 1 + pick(3);
    const records = Array.from({ length: n }, (_, j) => ({ key: null, value: Buffer.from(`r${round}-s${seq + j}`), timestamp: Date.now() }));
    out.push({ buf: encodeRecordBatch({ baseOffset: base, partitionLeaderEpoch: epoch, records }), base, last: base + n - 1, firstSeq: seq });
    seq += n;
    base += n;
  }
  return out;
}

for (;;) {
  for (let i = 1 + pick(4); i > 0; i--) {
    if (random() < 0.15) epoch++;
    const made = batches(log.logEndOffset, 1 + pick(2)); // at most ~230 bytes: under segment.bytes
    if (random() < 0.3) {
      // leader path: offsets assigned by the log (they come out the same: the log end did not move)
      await log.append(Buffer.concat(made.map((b) => b.buf)), { leaderEpoch: epoch });
    } else {
      await log.appendAsFollower(Buffer.concat(made.map((b) => b.buf)));
    }
    for (const b of made) out(`ack ${b.base} ${b.last} ${epoch} ${b.firstSeq}`);
  }
  if (random() < 0.1) {
    epoch++;
    await log.maybeAssignEpochStartOffset(epoch);
    out(`leader ${epoch}`);
  }
  const span = log.logEndOffset - log.logStartOffset;
  const target = log.logStartOffset + (random() < 0.5 ? pick(span + 1) : span - pick(Math.min(span, 6) + 1));
  out(`trunc ${target}`);
  await log.truncateTo(target);
  out(`truncated ${target} ${log.logEndOffset}`);
}
