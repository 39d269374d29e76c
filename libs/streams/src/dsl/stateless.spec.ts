import { Serdes } from '../serdes.js';
import { StreamsError } from '../streams.error.js';
import { TopologyTestDriver } from '../testing/topology-test-driver.js';
import { StreamsBuilder } from './streams-builder.js';

describe('stateless operators (TopologyTestDriver)', () => {
  it('map, mapValues, filter, filterNot, flatMap, flatMapValues, peek keep order and timestamps', () => {
    const builder = new StreamsBuilder();
    const seen: string[] = [];
    const input = builder.stream('in');
    input.map((k, v) => ({ key: v, value: k })).to('mapped');
    input.mapValues((v) => v.length).to('lengths');
    input.filter((_k, v) => v.startsWith('a')).to('a-only');
    input.filterNot((_k, v) => v.startsWith('a')).to('not-a');
    input.flatMap((k, v) => v.split(' ').map((w) => ({ key: w, value: k }))).to('flat');
    input.flatMapValues((v) => v.split(' ')).peek((_k, v) => seen.push(v)).to('words');
    const driver = new TopologyTestDriver(builder.build());
    const topic = driver.createInputTopic('in');
    topic.pipeInput('k1', 'apple pie', 10);
    topic.pipeInput('k2', 'banana', 20);

    expect(driver.createOutputTopic('mapped', Serdes.string(), Serdes.string()).readRecordsToList()).toEqual([
      { key: 'apple pie', value: 'k1', timestamp: 10 },
      { key: 'banana', value: 'k2', timestamp: 20 },
    ]);
    expect(driver.createOutputTopic('lengths').readKeyValuesToList()).toEqual([['k1', 9], ['k2', 6]]);
    expect(driver.createOutputTopic('a-only', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([['k1', 'apple pie']]);
    expect(driver.createOutputTopic('not-a', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([['k2', 'banana']]);
    expect(driver.createOutputTopic('flat', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([['apple', 'k1'], ['pie', 'k1'], ['banana', 'k2']]);
    expect(driver.createOutputTopic('words', Serdes.string(), Serdes.string()).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['k1', 'apple', 10],
      ['k1', 'pie', 10],
      ['k2', 'banana', 20],
    ]);
    expect(seen).toEqual(['apple', 'pie', 'banana']);
  });

  it('branch sends a record to the first matching branch only; merge interleaves two streams in processing order', () => {
    const builder = new StreamsBuilder();
    const [small, medium, rest] = builder.stream('numbers', { valueSerde: Serdes.json<number>() }).branch((_k, v) => v < 10, (_k, v) => v < 100, () => true);
    small.to('small');
    medium.to('medium');
    rest.to('large');
    small.merge(rest).mapValues((v) => `merged ${v}`).to('merged');
    const driver = new TopologyTestDriver(builder.build());
    const topic = driver.createInputTopic('numbers', Serdes.string(), Serdes.json<number>());
    for (const n of [5, 50, 500, 7, 70]) topic.pipeInput(null, n);
    expect(driver.createOutputTopic('small').readKeyValuesToList().map(([, v]) => v)).toEqual([5, 7]);
    expect(driver.createOutputTopic('medium').readKeyValuesToList().map(([, v]) => v)).toEqual([50, 70]);
    expect(driver.createOutputTopic('large').readKeyValuesToList().map(([, v]) => v)).toEqual([500]);
    expect(driver.createOutputTopic('merged', Serdes.string(), Serdes.string()).readKeyValuesToList().map(([, v]) => v)).toEqual(['merged 5', 'merged 500', 'merged 7']);
  });

  it('selectKey then groupByKey goes through a repartition topic that keeps the key and value types', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('clicks', { valueSerde: Serdes.json<{ page: string; user: { id: number } }>() })
      .selectKey((_k, v) => v.user.id)
      .groupByKey({ name: 'by-user' })
      .aggregate(() => [] as string[], (_k, v, pages) => [...pages, v.page], { name: 'pages-per-user' })
      .toStream()
      .to('pages', { keySerde: Serdes.json<number>() });
    const topology = builder.build();
    expect(topology.internalTopics).toEqual(['by-user-repartition']);
    expect(topology.sourceTopics).toEqual(['clicks']);
    const driver = new TopologyTestDriver(topology);
    const topic = driver.createInputTopic('clicks', Serdes.string(), Serdes.json<{ page: string; user: { id: number } }>());
    topic.pipeInput('x', { page: '/a', user: { id: 1 } });
    topic.pipeInput('y', { page: '/b', user: { id: 2 } });
    topic.pipeInput('z', { page: '/c', user: { id: 1 } });
    expect(driver.createOutputTopic('pages', Serdes.json<number>(), Serdes.json<string[]>()).readKeyValuesToList()).toEqual([
      [1, ['/a']],
      [2, ['/b']],
      [1, ['/a', '/c']],
    ]);
    // The key is a number again after the round trip through the repartition topic.
    expect(driver.getKeyValueStore('pages-per-user')).toEqual(new Map<unknown, unknown>([[1, ['/a', '/c']], [2, ['/b']]]));
  });

  it('refuses topologies that cannot work, with the reason', () => {
    const builder = new StreamsBuilder();
    builder.stream('t');
    expect(() => builder.stream('t')).toThrow(/already a source/);
    expect(() => builder.stream('bad name')).toThrow(StreamsError);
    const grouped = builder.stream('u').groupByKey();
    grouped.count({ name: 'c' });
    expect(() => grouped.count({ name: 'c' })).toThrow(/store name c is used twice/);
    expect(() => builder.stream('v').groupByKey().count().suppress({} as never)).toThrow(/needs a windowed table/);
    const driver = new TopologyTestDriver(builder.build());
    expect(() => driver.createInputTopic('nope')).toThrow(/not a source/);
    expect(() => driver.createOutputTopic('nope')).toThrow(/not written/);
  });
});
