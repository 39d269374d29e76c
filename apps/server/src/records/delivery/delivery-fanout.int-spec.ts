/**
 * Fan-out through the delivery scheduler on a real log (LogManager in a temp dir): many streams
 * (a DeliveryPump and a PartitionFeed each, as WebSocket connections have) on one partition, run
 * by one scheduler in small slices. Every stream gets every record, in order, once; a stream whose
 * transport is full holds nobody else back and catches up once it drains; delivery yields to the
 * event loop between slices.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { encodeRecordBatch } from '@spool/protocol';
import { LocalPartitionReaders } from '../partition-reader.js';
import { RecordRenderer } from '../record-renderer.js';
import type { RenderedRecords } from '../rendered-records.js';
import { DeliveryPump, type DeliveryTransport } from './delivery-pump.js';
import { DeliveryScheduler } from './delivery-scheduler.js';
import { PartitionFeed } from './partition-feed.js';

let dir: string;
let logs: LogManager;
let readers: LocalPartitionReaders;
const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-fanout-'));
  logs = await LogManager.open({ dataDir: dir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  readers = new LocalPartitionReaders(logs, new ProducerStateRegistry());
});

afterAll(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

/** A stream's transport: records the offsets of each frame; `full` simulates a socket that does not drain. */
class Stream implements DeliveryTransport {
  readonly offsets: number[] = [];
  frames = 0;
  full = false;
  readonly pump: DeliveryPump;
  readonly feed: PartitionFeed;

  constructor(topic: string, scheduler: DeliveryScheduler) {
    this.pump = new DeliveryPump(this, {
      highWaterMarkBytes: 1024,
      lowWaterMarkBytes: 256,
      maxFrameRecords: 1000,
      maxFrameBytes: 1 << 20,
      initialCreditRecords: Infinity,
      initialCreditBytes: Infinity,
      scheduler,
    });
    this.feed = new PartitionFeed(readers, readers.reader(topic, 0), {
      topic,
      partition: 0,
      startOffset: 0,
      renderer,
      readMaxBytes: 64 * 1024,
      onReady: () => this.pump.schedule(),
      onError: (_feed, err) => {
        throw err;
      },
    });
    this.pump.add(this.feed);
  }

  bufferedAmount(): number {
    return this.full ? 1 << 30 : 0;
  }

  deliver(_feed: PartitionFeed, records: RenderedRecords, from: number, to: number): void {
    this.frames++;
    this.offsets.push(...Array.from(records.offsets.subarray(from, to)));
  }

  drain(): void {
    this.full = false;
    this.pump.onWritten();
  }
}

async function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(done() ? 'done' : what()).toBe('done');
}

const batch = (from: number, count: number): Buffer => encodeRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`"r${from + i}"`) })) });

describe('fan-out through the delivery scheduler', () => {
  it('delivers every record to every stream, in order, once, in slices; a full stream holds nobody back and catches up', async () => {
    await logs.createTopic('fanout', 1);
    const scheduler = new DeliveryScheduler({ maxTasksPerSlice: 16, sliceMs: 60_000 });
    const streams = Array.from({ length: 200 }, () => new Stream('fanout', scheduler));
    const slow = streams[7]!;
    const log = logs.getLog('fanout', 0);
    await log.append(batch(0, 5));
    // Let everyone take the first batch, then the slow stream's socket stops draining.
    await until(() => streams.every((s) => s.offsets.length === 5), () => `first batch: ${streams.map((s) => s.offsets.length)}`);
    slow.full = true;

    // Each append wakes 200 feeds and 200 pumps: more than one slice, so other macrotasks get turns in between.
    let otherTurns = 0;
    const slicesBefore = scheduler.slices;
    const ticker = setInterval(() => otherTurns++, 0);
    let next = 5;
    for (let round = 0; round < 10; round++) {
      await log.append(batch(next, 3));
      next += 3;
      await new Promise((r) => setTimeout(r, 1));
    }
    const others = streams.filter((s) => s !== slow);
    await until(() => others.every((s) => s.offsets.length === next), () => `others: ${others.map((s) => s.offsets.length)}`);
    clearInterval(ticker);
    expect(scheduler.slices - slicesBefore).toBeGreaterThan(10);
    expect(otherTurns).toBeGreaterThan(0);
    const expected = Array.from({ length: next }, (_, i) => i);
    for (const s of others) expect(s.offsets).toEqual(expected);
    // The full stream got nothing more meanwhile, and everything once it drains.
    expect(slow.offsets).toEqual([0, 1, 2, 3, 4]);
    slow.drain();
    await until(() => slow.offsets.length === next, () => `slow: ${slow.offsets.length}`);
    expect(slow.offsets).toEqual(expected);
    for (const s of streams) s.pump.close();
  });
});
