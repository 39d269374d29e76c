/**
 * @spool/streams against a real broker (this process's, over Kafka's protocol with kafkajs): a word
 * count, per-user page views in 1-minute tumbling windows with late records, and an orders-customers
 * join, each compared with an independent computation of the expected output; the word count under
 * both processing guarantees, and restored from its changelog by a second run of the application
 * (a restore listener told every task's start, batches and end, adding up to the first run's updates);
 * and stream time recovered from the committed offsets' metadata after a restart, under both
 * guarantees (OffsetCommit and TxnOffsetCommit carry it), with closed windows tombstoned in the
 * window store's changelog.
 */
import { decodeStreamTimeMetadata, KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows, type Windowed } from '@spool/streams';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafkaTestBroker, type KafkaTestBroker } from '../testing/kafka.test-util.js';
import { createTopics, lastValues, produce, readUntil, testKafka, waitFor } from '../testing/streams.test-util.js';

/** A few __transaction_state partitions (Kafka's 50 take long to create on a loaded machine; the coordinator is the same). */
process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS = '5';

const TEST_TIMEOUT_MS = 180_000;
let broker: KafkaTestBroker;
let stateDir: string;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'spool-streams-state-'));
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await broker?.close();
  await rm(stateDir, { recursive: true, force: true });
  delete process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS;
});

const LINES = ['the quick brown fox', 'jumps over the lazy dog', 'The dog barks', 'the fox runs, the dog sleeps', 'quick quick QUICK'];

function expectedWordCounts(lines: string[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const word of lines.join(' ').toLowerCase().split(/\W+/).filter(Boolean)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return new Map([...counts].map(([w, n]) => [w, String(n)]));
}

function wordCountTopology(input: string, output: string) {
  const builder = new StreamsBuilder();
  builder
    .stream(input)
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_k, word) => word)
    .count({ name: 'word-counts' })
    .toStream()
    .to(output);
  return builder.build();
}

describe.each(['at_least_once', 'exactly_once_v2'] as const)('@spool/streams on the broker (%s)', (guarantee) => {
  it('word count over 2 partitions equals an independent count; a second run restores the counts from the changelog', async () => {
    const kafka = testKafka(broker.bootstrap, `wc-${guarantee}`);
    const input = `wc-in-${guarantee}`;
    const output = `wc-out-${guarantee}`;
    await createTopics(kafka, [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }]);
    await produce(kafka, input, LINES.map((line, i) => ({ key: `line-${i}`, value: line })));
    const appId = `wc-app-${guarantee}`;
    const first = new KafkaStreams(wordCountTopology(input, output), { applicationId: appId, kafka, processingGuarantee: guarantee, stateDir });
    await first.start();
    const expected = expectedWordCounts(LINES);
    const read = await readUntil(kafka, output, (records) => [...expected].every(([w, n]) => lastValues(records).get(w) === n));
    expect(lastValues(read)).toEqual(expected);
    await first.close();

    // More lines after a restart: counts continue from the changelog, not from zero.
    const more = ['the end', 'fox'];
    await produce(kafka, input, more.map((line, i) => ({ key: `more-${i}`, value: line })));
    // The restore is shown as it goes: a restore listener hears each task's start, batches and end.
    const events: { kind: string; task: number; changelogTopic: string; n: number }[] = [];
    const restoreListener = {
      onRestoreStart: (e: { task: number; changelogTopic: string; startOffset: number; endOffset: number }) => events.push({ kind: 'start', task: e.task, changelogTopic: e.changelogTopic, n: e.endOffset - e.startOffset }),
      onBatchRestored: (e: { task: number; changelogTopic: string; restored: number }) => events.push({ kind: 'batch', task: e.task, changelogTopic: e.changelogTopic, n: e.restored }),
      onRestoreEnd: (e: { task: number; changelogTopic: string; totalRestored: number }) => events.push({ kind: 'end', task: e.task, changelogTopic: e.changelogTopic, n: e.totalRestored }),
    };
    const second = new KafkaStreams(wordCountTopology(input, output), { applicationId: appId, kafka, processingGuarantee: guarantee, stateDir, restoreListener });
    await second.start();
    const expectedAfter = expectedWordCounts([...LINES, ...more]);
    const readAfter = await readUntil(kafka, output, (records) => [...expectedAfter].every(([w, n]) => lastValues(records).get(w) === n));
    expect(lastValues(readAfter)).toEqual(expectedAfter);
    await second.close();
    // Every update the first run made (one per word of LINES) was restored, by the batches each task reported.
    const changelog = `${appId}-word-counts-changelog`;
    const ends = events.filter((e) => e.kind === 'end');
    expect(ends.every((e) => e.changelogTopic === changelog)).toBe(true);
    expect(ends.reduce((n, e) => n + e.n, 0)).toBe(LINES.join(' ').split(/\W+/).filter(Boolean).length);
    for (const end of ends) {
      const of = (kind: string) => events.filter((e) => e.kind === kind && e.task === end.task);
      expect(of('start')).toHaveLength(1);
      expect(of('start')[0].n).toBeGreaterThanOrEqual(end.n); // offsets: records, plus markers under exactly-once
      expect(of('batch').reduce((n, e) => n + e.n, 0)).toBe(end.n);
      expect(events.indexOf(of('start')[0])).toBeLessThan(events.indexOf(end));
    }
  }, TEST_TIMEOUT_MS);
});

describe.each(['at_least_once', 'exactly_once_v2'] as const)('@spool/streams on the broker: stream time across a restart (%s)', (guarantee) => {
  it('a record late for a window that closed before the restart is dropped (counted), the window is not emitted again, closed windows are tombstoned', async () => {
    const kafka = testKafka(broker.bootstrap, `st-${guarantee}`);
    const input = `st-views-${guarantee}`;
    const output = `st-final-${guarantee}`;
    const appId = `st-app-${guarantee}`;
    await createTopics(kafka, [{ topic: input, numPartitions: 1 }, { topic: output, numPartitions: 1 }]);
    const topology = () => {
      const builder = new StreamsBuilder();
      builder
        .stream(input)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
        .count({ name: 'counts' })
        .suppress(Suppressed.untilWindowCloses())
        .toStream()
        .to(output, { valueSerde: Serdes.json<number>() });
      return builder.build();
    };
    const finals = (records: { key: string | null; value: string | null }[]) =>
      records.map((r) => {
        const key = JSON.parse(r.key!) as Windowed<string>;
        return `${key.key}@${key.window.startMs - base}=${r.value}`;
      });
    const base = 1_700_000_040_000; // a minute boundary
    // Minute 0 gets 2 views; a view in minute 1 moves stream time to base+90000, past minute 0's close (base+70000).
    await produce(kafka, input, [0, 10_000, 90_000].map((t) => ({ key: 'alice', value: '/', timestamp: base + t })));
    const first = new KafkaStreams(topology(), { applicationId: appId, kafka, processingGuarantee: guarantee, stateDir });
    await first.start();
    await readUntil(kafka, output, (records) => records.length >= 1);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The commit of all three inputs, with the stream time in its metadata (the broker keeps it and OffsetFetch returns it).
      let committed: { offset: string; metadata: string | null } | undefined;
      await waitFor('the commit of the 3 inputs', async () => {
        committed = (await admin.fetchOffsets({ groupId: appId, topics: [input] }))[0]?.partitions.find((p) => p.partition === 0);
        return committed?.offset === '3';
      });
      expect(decodeStreamTimeMetadata(committed!.metadata)?.partitionTimeMs).toBe(base + 90_000);
    } finally {
      await admin.disconnect();
    }
    await first.close();

    // After the restart: a view late for minute 0 (closed before the restart), then one that closes minute 1.
    await produce(kafka, input, [20_000, 200_000].map((t) => ({ key: 'alice', value: '/', timestamp: base + t })));
    const second = new KafkaStreams(topology(), { applicationId: appId, kafka, processingGuarantee: guarantee, stateDir });
    await second.start();
    try {
      const read = await readUntil(kafka, output, (records) => finals(records).includes('alice@60000=1'));
      await waitFor('the restarted app to process both records', () => second.metrics().processedRecords >= 2);
      expect(finals(read)).toEqual(['alice@0=2', 'alice@60000=1']);
      expect(second.metrics().lateDroppedRecords).toBe(1);
      // Retention: the closed windows (minutes 0 and 1) left the window store as tombstones in its changelog;
      // minute 3 (base+200000) is open.
      const changelog = await readUntil(kafka, `${appId}-counts-changelog`, (records) => [...lastValues(records).values()].filter((v) => v === null).length >= 2);
      expect([...lastValues(changelog).values()].sort()).toEqual(['1', null, null]);
    } finally {
      await second.close();
    }
  }, TEST_TIMEOUT_MS);
});

describe('@spool/streams on the broker: windows and joins (at_least_once)', () => {
  it('per-user page views in 1-minute tumbling windows: one final count per window; late records inside the grace counted, after it dropped', async () => {
    const kafka = testKafka(broker.bootstrap, 'views');
    await createTopics(kafka, [{ topic: 'page-views', numPartitions: 2 }, { topic: 'views-per-minute', numPartitions: 1 }]);
    const builder = new StreamsBuilder();
    builder
      .stream('page-views')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('views-per-minute', { valueSerde: Serdes.json<number>() });
    // Minute 0 and 1, then late records, then a record far ahead that closes every window before it. Both users
    // get the same timestamps in the same order (alice's record, then bob's), so the stream time each user's
    // records meet is the same whether the two keys share a partition (a task) or not.
    const base = 1_700_000_040_000; // a minute boundary
    const timestamps = [
      ...[0, 10_000, 20_000, 30_000, 40_000].map((t) => base + t), // minute 0: 5 views
      ...[60_000, 75_000, 90_000].map((t) => base + t), // minute 1: 3 views; stream time base+90000
      base + 5_000, // minute 0 closed at base+70000: dropped
      base + 65_000, // minute 1, on time
      base + 130_000, // minute 2; stream time base+130000 closes minute 1 (base+120000 + 10000 grace)
      base + 119_000, // late for minute 1: dropped
      base + 300_000, // closes minute 2
    ];
    const views = timestamps.flatMap((timestamp) => [{ key: 'alice', timestamp }, { key: 'bob', timestamp }]);
    await produce(kafka, 'page-views', views.map((v) => ({ key: v.key, value: '/index', timestamp: v.timestamp })));
    // The expected output, computed independently: count per (user, minute) of the records whose minute had not
    // closed (end + grace > max timestamp seen before it, per user's partition) when they arrived.
    const expected = new Map<string, number>();
    for (const user of ['alice', 'bob']) {
      let streamTime = -1;
      for (const v of views.filter((x) => x.key === user)) {
        streamTime = Math.max(streamTime, v.timestamp);
        const start = v.timestamp - (v.timestamp % 60_000);
        if (start + 60_000 + 10_000 <= streamTime) continue;
        const id = `${user}@${start}`;
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
    }
    // Windows still open at the end (minute of base+300000) are not emitted.
    for (const id of [...expected.keys()]) if (id.endsWith(`@${base + 300_000}`)) expected.delete(id);
    const app = new KafkaStreams(builder.build(), { applicationId: 'views-app', kafka, stateDir });
    await app.start();
    const read = await readUntil(kafka, 'views-per-minute', (records) => records.length >= expected.size);
    const got = new Map(read.map((r) => {
      const key = JSON.parse(r.key!) as Windowed<string>;
      return [`${key.key}@${key.window.startMs}`, Number(r.value)];
    }));
    expect(got).toEqual(expected);
    expect(read).toHaveLength(expected.size); // one final result per window
    expect(app.metrics().lateDroppedRecords).toBe(4);
    await app.close();
  }, TEST_TIMEOUT_MS);

  it('orders re-keyed by customer join the customers table (through a repartition topic): matches a join computed here', async () => {
    const kafka = testKafka(broker.bootstrap, 'orders');
    await createTopics(kafka, [{ topic: 'orders', numPartitions: 2 }, { topic: 'customers', numPartitions: 2 }, { topic: 'orders-enriched', numPartitions: 2 }]);
    const customers = [
      { key: 'c1', value: JSON.stringify({ name: 'Ada' }) },
      { key: 'c2', value: JSON.stringify({ name: 'Grace' }) },
      { key: 'c3', value: JSON.stringify({ name: 'Edsger' }) },
    ];
    await produce(kafka, 'customers', customers);
    const builder = new StreamsBuilder();
    const customerTable = builder.table('customers', { valueSerde: Serdes.json<{ name: string }>() });
    builder
      .stream('orders', { valueSerde: Serdes.json<{ id: string; customerId: string; amount: number }>() })
      .selectKey((_k, order) => order.customerId)
      .join(customerTable, (order, customer) => ({ orderId: order.id, customer: customer.name, amount: order.amount }))
      .to('orders-enriched');
    const app = new KafkaStreams(builder.build(), { applicationId: 'orders-app', kafka, stateDir });
    await app.start();
    // Orders only after the table has every customer (a stream-table join looks up what the table holds then).
    await waitFor('the customers table to be loaded', () => app.metrics().processedRecords >= customers.length);
    const orders = Array.from({ length: 30 }, (_, i) => ({ id: `o${i}`, customerId: `c${(i % 4) + 1}`, amount: i }));
    await produce(kafka, 'orders', orders.map((o) => ({ key: o.id, value: JSON.stringify(o) })));
    const names = new Map(customers.map((c) => [c.key, (JSON.parse(c.value) as { name: string }).name]));
    const expected = orders.filter((o) => names.has(o.customerId)).map((o) => JSON.stringify({ orderId: o.id, customer: names.get(o.customerId), amount: o.amount }));
    const read = await readUntil(kafka, 'orders-enriched', (records) => records.length >= expected.length);
    expect(read.map((r) => r.value).sort()).toEqual([...expected].sort());
    await app.close();
  }, TEST_TIMEOUT_MS);
});
