import { Serdes } from '../serdes.js';
import { TopologyTestDriver } from '../testing/topology-test-driver.js';
import { JoinWindows } from '../topology/windows.js';
import { StreamsBuilder } from './streams-builder.js';

interface Order {
  id: string;
  customerId: string;
  amount: number;
}

describe('joins (TopologyTestDriver)', () => {
  it('stream-table: orders re-keyed by customer join the customers table (inner: no customer, no output; left: null)', () => {
    const builder = new StreamsBuilder();
    const customers = builder.table('customers', { name: 'customers-store' });
    const orders = builder.stream('orders', { valueSerde: Serdes.json<Order>() }).selectKey((_k, o) => o.customerId);
    orders.join(customers, (o, name) => `${o.id}:${name}:${o.amount}`).to('enriched');
    orders.leftJoin(customers, (o, name) => `${o.id}:${name ?? '?'}`).to('enriched-left');
    const topology = builder.build();
    expect(topology.internalTopics).toHaveLength(2); // each join repartitions the re-keyed orders
    const driver = new TopologyTestDriver(topology);
    const customerTopic = driver.createInputTopic('customers');
    const orderTopic = driver.createInputTopic('orders', Serdes.string(), Serdes.json<Order>());
    orderTopic.pipeInput('o1', { id: 'o1', customerId: 'c1', amount: 5 }, 1);
    customerTopic.pipeInput('c1', 'Ada', 2);
    orderTopic.pipeInput('o2', { id: 'o2', customerId: 'c1', amount: 7 }, 3);
    customerTopic.pipeInput('c1', 'Ada L.', 4);
    orderTopic.pipeInput('o3', { id: 'o3', customerId: 'c1', amount: 9 }, 5);
    customerTopic.pipeInput('c1', null, 6); // the customer is deleted
    orderTopic.pipeInput('o4', { id: 'o4', customerId: 'c1', amount: 1 }, 7);
    expect(driver.createOutputTopic('enriched', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([
      ['c1', 'o2:Ada:7'],
      ['c1', 'o3:Ada L.:9'],
    ]);
    expect(driver.createOutputTopic('enriched-left', Serdes.string(), Serdes.string()).readKeyValuesToList().map(([, v]) => v)).toEqual(['o1:?', 'o2:Ada', 'o3:Ada L.', 'o4:?']);
  });

  it('table-table: either side updates the joined table; a deletion removes the key (inner) or nulls the right side (left)', () => {
    const builder = new StreamsBuilder();
    const names = builder.table('names');
    const emails = builder.table('emails');
    names.join(emails, (n, e) => `${n} <${e}>`, { name: 'contacts' }).toStream().to('contacts');
    names.leftJoin(emails, (n, e) => `${n} <${e ?? 'none'}>`).toStream().to('contacts-left');
    const driver = new TopologyTestDriver(builder.build());
    const n = driver.createInputTopic('names');
    const e = driver.createInputTopic('emails');
    n.pipeInput('1', 'Ada');
    e.pipeInput('1', 'ada@example.com');
    e.pipeInput('2', 'bob@example.com');
    n.pipeInput('2', 'Bob');
    n.pipeInput('1', 'Ada L.');
    e.pipeInput('1', null);
    expect(driver.createOutputTopic('contacts', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([
      ['1', 'Ada <ada@example.com>'],
      ['2', 'Bob <bob@example.com>'],
      ['1', 'Ada L. <ada@example.com>'],
      ['1', null],
    ]);
    expect(driver.getKeyValueStore('contacts')).toEqual(new Map([['2', 'Bob <bob@example.com>']]));
    expect(driver.createOutputTopic('contacts-left', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([
      ['1', 'Ada <none>'],
      ['1', 'Ada <ada@example.com>'],
      ['2', 'Bob <bob@example.com>'],
      ['1', 'Ada L. <ada@example.com>'],
      ['1', 'Ada L. <none>'],
    ]);
  });

  it('table filter and mapValues: a value that stops passing the filter leaves the table as a tombstone', () => {
    const builder = new StreamsBuilder();
    builder
      .table('prices', { valueSerde: Serdes.json<number>() })
      .filter((_k, v) => v >= 10, { name: 'expensive' })
      .mapValues((v) => v * 2)
      .toStream()
      .to('doubled');
    const driver = new TopologyTestDriver(builder.build());
    const prices = driver.createInputTopic('prices', Serdes.string(), Serdes.json<number>());
    prices.pipeInput('a', 5);
    prices.pipeInput('a', 12);
    prices.pipeInput('b', 20);
    prices.pipeInput('a', 3);
    expect(driver.createOutputTopic('doubled').readKeyValuesToList()).toEqual([['a', 24], ['b', 40], ['a', null]]);
    expect(driver.getKeyValueStore('expensive')).toEqual(new Map([['b', 20]]));
  });

  it('windowed stream-stream join: records of one key at most the time difference apart join, both ways; late ones are dropped', () => {
    const builder = new StreamsBuilder();
    const impressions = builder.stream('impressions');
    const clicks = builder.stream('clicks');
    impressions.join(clicks, (i, c) => `${i}+${c}`, JoinWindows.ofTimeDifferenceAndGrace(1_000, 500), { name: 'imp-click' }).to('joined');
    const driver = new TopologyTestDriver(builder.build());
    const imp = driver.createInputTopic('impressions');
    const clk = driver.createInputTopic('clicks');
    imp.pipeInput('ad1', 'i1', 10_000);
    clk.pipeInput('ad1', 'c1', 10_900); // 900 ms after: joins
    clk.pipeInput('ad2', 'c2', 10_950); // other key: nothing
    clk.pipeInput('ad1', 'c3', 11_001); // 1001 ms after i1: no join
    imp.pipeInput('ad1', 'i2', 11_500); // joins c1 (600) and c3 (499)
    imp.pipeInput('ad1', 'i3', 13_200); // stream time 13200; c1, c3 too old to join
    clk.pipeInput('ad1', 'c4', 11_600); // 11600 + 1000 + 500 < 13200: late, dropped
    clk.pipeInput('ad1', 'c5', 11_800); // 11800 + 1500 >= 13200: joins i2 (300)
    const joined = driver.createOutputTopic('joined', Serdes.string(), Serdes.string()).readRecordsToList();
    expect(joined.map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['ad1', 'i1+c1', 10_900],
      ['ad1', 'i2+c1', 11_500],
      ['ad1', 'i2+c3', 11_500],
      ['ad1', 'i2+c5', 11_800],
    ]);
    expect([...driver.lateDrops.values()]).toEqual([1]);
  });
});
