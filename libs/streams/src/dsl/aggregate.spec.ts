import { Serdes } from '../serdes.js';
import type { Windowed } from '../record.js';
import { TopologyTestDriver } from '../testing/topology-test-driver.js';
import { SessionWindows, TimeWindows } from '../topology/windows.js';
import { Suppressed } from './ktable.js';
import { StreamsBuilder } from './streams-builder.js';

type WindowedCount = [Windowed<string> | null, number | null];

describe('aggregations (TopologyTestDriver)', () => {
  it('word count: groupBy(word).count() equals an independent count, and the changelog holds every update', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('lines')
      .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
      .groupBy((_k, word) => word)
      .count({ name: 'word-counts' })
      .toStream()
      .to('counts');
    const driver = new TopologyTestDriver(builder.build(), 'wc');
    const lines = ['the quick brown fox', 'The lazy dog', 'the end, the END'];
    const input = driver.createInputTopic('lines');
    lines.forEach((line, i) => input.pipeInput(null, line, i));
    const expected = new Map<string, number>();
    for (const w of lines.join(' ').toLowerCase().split(/\W+/).filter(Boolean)) expected.set(w, (expected.get(w) ?? 0) + 1);
    expect(driver.createOutputTopic<string, number>('counts').readKeyValuesToMap()).toEqual(expected);
    expect(driver.getKeyValueStore('word-counts')).toEqual(expected);
    // Every put went to the changelog: its last value per key is the store.
    const changelog = driver.createOutputTopic<string, number>('wc-word-counts-changelog', Serdes.json<string>(), Serdes.json<number>()).readKeyValuesToList();
    expect(changelog).toHaveLength(lines.join(' ').split(/\W+/).filter(Boolean).length);
    expect(new Map(changelog)).toEqual(expected);
  });

  it('reduce and aggregate per key; null keys and null values are skipped', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream('amounts', { valueSerde: Serdes.json<number>() }).groupByKey();
    grouped.reduce((a, b) => Math.max(a, b), { name: 'max' });
    grouped.aggregate(() => ({ sum: 0, n: 0 }), (_k, v, agg) => ({ sum: agg.sum + v, n: agg.n + 1 }), { name: 'avg' });
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('amounts', Serdes.string(), Serdes.json<number>());
    input.pipeInput('a', 3);
    input.pipeInput('a', 9);
    input.pipeInput('b', 4);
    input.pipeInput('a', 1);
    input.pipeInput(null, 100);
    input.pipeInput('b', null);
    expect(driver.getKeyValueStore('max')).toEqual(new Map([['a', 9], ['b', 4]]));
    expect(driver.getKeyValueStore('avg')).toEqual(new Map([['a', { sum: 13, n: 3 }], ['b', { sum: 4, n: 1 }]]));
  });

  it('tumbling windows with grace: a late record inside the grace period updates its window, one after it is dropped', () => {
    const builder = new StreamsBuilder();
    builder.stream('views').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count({ name: 'per-minute' }).toStream().to('counts');
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('views');
    input.pipeInput('u1', '/', 5_000); // window [0, 60000)
    input.pipeInput('u1', '/', 59_999); // same window, its last ms
    input.pipeInput('u1', '/', 60_000); // next window [60000, 120000)
    input.pipeInput('u1', '/', 65_000); // stream time 65000 < 60000 + 10000: window 0 still open
    input.pipeInput('u1', '/', 30_000); // late, inside grace: counts in window 0
    input.pipeInput('u1', '/', 70_000); // stream time 70000 = end + grace: window 0 closes
    input.pipeInput('u1', '/', 30_001); // late, after grace: dropped
    const out = driver.createOutputTopic<Windowed<string>, number>('counts', Serdes.json<Windowed<string>>(), Serdes.json<number>()).readKeyValuesToList() as WindowedCount[];
    expect(out.map(([k, v]) => [k!.window.startMs, v])).toEqual([
      [0, 1],
      [0, 2],
      [60_000, 1],
      [60_000, 2],
      [0, 3],
      [60_000, 3],
    ]);
    expect([...driver.lateDrops.values()]).toEqual([1]);
  });

  it('hopping windows put a record in every window that contains it', () => {
    const builder = new StreamsBuilder();
    builder.stream('e').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).count().toStream().to('out');
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('e');
    input.pipeInput('k', 'x', 3); // [0,10)
    input.pipeInput('k', 'x', 7); // [0,10) [5,15)
    input.pipeInput('k', 'x', 12); // [5,15) [10,20)
    const out = driver.createOutputTopic<Windowed<string>, number>('out', Serdes.json<Windowed<string>>(), Serdes.json<number>()).readKeyValuesToList() as WindowedCount[];
    expect(out.map(([k, v]) => `${k!.window.startMs}-${k!.window.endMs}:${v}`)).toEqual(['0-10:1', '0-10:2', '5-15:1', '5-15:2', '10-20:1']);
  });

  it('suppress(untilWindowCloses) emits one final count per window, when stream time passes end + grace', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('views')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
      .count()
      .suppress(Suppressed.untilWindowCloses({ name: 'final-counts' }))
      .toStream()
      .to('final');
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('views');
    const final = driver.createOutputTopic<Windowed<string>, number>('final', Serdes.json<Windowed<string>>(), Serdes.json<number>());
    input.pipeInput('alice', '/', 1_000);
    input.pipeInput('bob', '/', 2_000);
    input.pipeInput('alice', '/', 61_000);
    input.pipeInput('alice', '/', 64_000); // stream time 64000 < 65000: window 0 not closed yet
    expect(final.readKeyValuesToList()).toEqual([]);
    input.pipeInput('bob', '/', 3_000); // late but inside grace: still counted
    input.pipeInput('bob', '/', 65_000); // closes window 0 for every key
    const closed = final.readKeyValuesToList() as WindowedCount[];
    expect(closed.map(([k, v]) => [k!.key, k!.window.startMs, v])).toEqual([
      ['alice', 0, 1],
      ['bob', 0, 2],
    ]);
    input.pipeInput('bob', '/', 200_000);
    expect((final.readKeyValuesToList() as WindowedCount[]).map(([k, v]) => [k!.key, k!.window.startMs, v])).toEqual([
      ['alice', 60_000, 2],
      ['bob', 60_000, 1],
    ]);
    expect(driver.storeSize('final-counts')).toBe(1); // bob's window at 180000, still open
  });

  it('session windows merge records closer than the gap, tombstone the merged sessions, and drop records after gap + grace', () => {
    const builder = new StreamsBuilder();
    builder.stream('clicks').groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(200, 50)).count({ name: 'sessions' }).toStream().to('out');
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('clicks');
    const out = driver.createOutputTopic<Windowed<string>, number>('out', Serdes.json<Windowed<string>>(), Serdes.json<number>());
    input.pipeInput('u', 'c', 0);
    input.pipeInput('u', 'c', 300); // a second session (300 - 0 > gap 200)
    input.pipeInput('u', 'c', 150); // bridges both: one session [0, 300] of 3
    const updates = (out.readKeyValuesToList() as WindowedCount[]).map(([k, v]) => [k!.window.startMs, k!.window.endMs, v]);
    expect(updates).toEqual([
      [0, 0, 1],
      [300, 300, 1],
      [0, 0, null],
      [300, 300, null],
      [0, 300, 3],
    ]);
    input.pipeInput('u', 'c', 1_000); // stream time 1000
    input.pipeInput('u', 'c', 740); // more than the gap before 1000, and 740 + 200 + 50 <= 1000: dropped
    input.pipeInput('u', 'c', 860); // within the gap of 1000: joins [1000, 1000]
    expect((out.readKeyValuesToList() as WindowedCount[]).map(([k, v]) => [k!.window.startMs, k!.window.endMs, v])).toEqual([
      [1_000, 1_000, 1],
      [1_000, 1_000, null],
      [860, 1_000, 2],
    ]);
    expect([...driver.lateDrops.values()]).toEqual([1]);
  });
});
