/**
 * Partition feeds on a real log (LogManager in a temp dir): many feeds caught up on one partition
 * share one append wait and one read per append, every feed gets every record, and stopping
 * feeds leaves the shared wait (the last one ends it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { encodeRecordBatch } from '@spool/protocol';
import { LocalPartitionReaders } from '../partition-reader.js';
import { RecordRenderer } from '../record-renderer.js';
import { PartitionFeed } from './partition-feed.js';
import { sharedReadsFor } from './shared-reads.js';

let dir: string;
let logs: LogManager;
let readers: LocalPartitionReaders;
const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-feed-'));
  logs = await LogManager.open({ dataDir: dir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  await logs.createTopic('fan', 1);
  readers = new LocalPartitionReaders(logs, new ProducerStateRegistry());
});

afterAll(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once `done()` holds, checked on each `check()` call; bounded, so a bug fails instead of hanging. */
function eventually(done: () => boolean, what: () => string): { check: () => void; promise: Promise<void> } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const timer = setTimeout(() => resolve(), 10_000);
  const check = (): void => {
    if (done()) {
      clearTimeout(timer);
      resolve();
    }
  };
  return { check, promise: promise.then(() => expect(done() ? 'done' : what()).toBe('done')) };
}

const idle = { check: (): void => undefined };

describe('PartitionFeed', () => {
  it('feeds caught up at one offset share one wait, all get each append, and leaving ends the wait', async () => {
    const shared = sharedReadsFor(readers);
    const received = new Map<PartitionFeed, number[]>();
    const feeds: PartitionFeed[] = [];
    let waiting: { check: () => void } = idle;
    for (let i = 0; i < 50; i++) {
      const feed: PartitionFeed = new PartitionFeed(readers, readers.reader('fan', 0), {
        topic: 'fan',
        partition: 0,
        startOffset: 0,
        renderer,
        readMaxBytes: 64 * 1024,
        onReady: () => {
          // As the pump does: take, and take again while fill() finds records at hand.
          do {
            const { records, from, to } = feed.take(1000, 1 << 20);
            received.get(feed)!.push(...Array.from(records.offsets.subarray(from, to)));
          } while (feed.fill());
          waiting.check();
        },
        onError: (_feed, err) => {
          throw err;
        },
      });
      received.set(feed, []);
      feeds.push(feed);
      feed.fill();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(shared.watchCount).toBe(1);

    const allThree = eventually(() => [...received.values()].every((offsets) => offsets.length === 3), () => `received ${[...received.values()].map((o) => o.length)}`);
    waiting = allThree;
    await logs.getLog('fan', 0).append(encodeRecordBatch({ records: [0, 1, 2].map((n) => ({ value: Buffer.from(String(n)) })) }));
    await allThree.promise;
    for (const offsets of received.values()) expect(offsets).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 50));
    expect(shared.watchCount).toBe(1); // all wait for offset 3, together

    for (const feed of feeds.slice(0, 49)) feed.stop();
    expect(shared.watchCount).toBe(1);
    feeds[49].stop();
    expect(shared.watchCount).toBe(0);
  });

  it('serves an offset inside a recent read from that read (feeds stay in step), per incarnation of the partition', async () => {
    await logs.createTopic('recent', 1);
    await logs.getLog('recent', 0).append(encodeRecordBatch({ records: [0, 1, 2].map((n) => ({ value: Buffer.from(`"old-${n}"`) })) }));
    const shared = sharedReadsFor(readers);
    const first = await shared.read(readers.reader('recent', 0), 0, 64 * 1024, renderer);
    expect([first.from, first.records.count]).toEqual([0, 3]);
    // A later feed at offset 1 gets the same rendered records from index 1, without reading.
    const later = shared.read(readers.reader('recent', 0), 1, 64 * 1024, renderer);
    expect(later).not.toBeInstanceOf(Promise);
    expect((later as Awaited<typeof later>).records).toBe(first.records);
    expect((later as Awaited<typeof later>).from).toBe(1);
    // Deleted and re-created: the old records must not be served from the cache.
    await logs.deleteTopic('recent');
    await logs.createTopic('recent', 1);
    await logs.getLog('recent', 0).append(encodeRecordBatch({ records: [0, 1, 2].map((n) => ({ value: Buffer.from(`"new-${n}"`) })) }));
    const fresh = await shared.read(readers.reader('recent', 0), 1, 64 * 1024, renderer);
    expect(JSON.parse(fresh.records.json(fresh.from).toString()).value).toBe('new-1');
  });
});
