// Child process of log-crash.int-spec.ts: opens the partition log in argv[2] (recovering it
// uncleanly, as after a crash) with flush.messages=1 and appends batches from 4 concurrent
// producers until it is killed, printing "ack <round> <base> <last> <firstSeq>" for each
// acknowledged append. It runs the compiled library (npm run build), whose dist/ root is argv[4].
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, round, distRoot] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const load = (lib) => import(pathToFileURL(path.join(distRoot, 'libs', lib, 'src', 'index.js')).href);
const { Log, KAFKA_TOPIC_CONFIG_DEFAULTS } = await load('log-engine');
const { systemClock, silentLogger } = await load('common');
const { crc32c } = await load('protocol');

function varint(n) {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out = [];
  while (z >= 0x80) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

/** One uncompressed batch of `values` (CreateTime `ts`), Kafka record batch v2. */
function batch(values, ts) {
  const records = values.map((value, i) => {
    const v = Buffer.from(value);
    const body = Buffer.concat([Buffer.from([0]), varint(0), varint(i), varint(-1), varint(v.length), v, varint(0)]);
    return Buffer.concat([varint(body.length), body]);
  });
  const body = Buffer.concat(records);
  const buf = Buffer.alloc(61 + body.length);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt32BE(values.length - 1, 23);
  buf.writeBigInt64BE(BigInt(ts), 27);
  buf.writeBigInt64BE(BigInt(ts), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(values.length, 57);
  body.copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

const log = await Log.open({
  dir,
  topicPartition: { topic: 'crash', partition: 0 },
  config: { ...KAFKA_TOPIC_CONFIG_DEFAULTS, flushMessages: 1, segmentBytes: 4096, indexIntervalBytes: 256 },
  recoveryPoint: 0,
  logStartOffset: 0,
  hadCleanShutdown: false,
  clock: systemClock,
  logger: silentLogger,
});
process.stdout.write(`ready ${log.logEndOffset}\n`);

let seq = 0;
async function producer() {
  for (;;) {
    const first = seq;
    const count = 1 + (first % 4);
    seq += count;
    const values = Array.from({ length: count }, (_, i) => `r${round}-s${first + i}`);
    const result = await log.append(batch(values, Date.now()));
    process.stdout.write(`ack ${round} ${result.baseOffset} ${result.lastOffset} ${first}\n`);
  }
}
await Promise.all([producer(), producer(), producer(), producer()]);
