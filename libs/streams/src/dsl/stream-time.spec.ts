import type { Windowed } from '../record.js';
import { Serdes } from '../serdes.js';
import { TopologyTestDriver } from '../testing/topology-test-driver.js';
import { JoinWindows, TimeWindows } from '../topology/windows.js';
import { Suppressed } from './ktable.js';
import { StreamsBuilder } from './streams-builder.js';

type WindowedCount = [Windowed<string> | null, number | null];

function suppressedCounts() {
  const builder = new StreamsBuilder();
  builder
    .stream('views')
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
    .count()
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to('final');
  return builder.build();
}

/** Final counts as "key@windowStart=count". */
function finals(driver: TopologyTestDriver): string[] {
  const out = driver.createOutputTopic<Windowed<string>, number>('final', Serdes.json<Windowed<string>>(), Serdes.json<number>()).readKeyValuesToList() as WindowedCount[];
  return out.map(([k, v]) => `${k!.key}@${k!.window.startMs}=${v}`);
}

describe('stream time across a restart (TopologyTestDriver)', () => {
  it('a task seeded from the committed metadata keeps closed windows closed: the late record is dropped, nothing emitted twice', () => {
    const first = new TopologyTestDriver(suppressedCounts(), 'views-app');
    const input = first.createInputTopic('views');
    input.pipeInput('alice', '/', 0);
    input.pipeInput('alice', '/', 10_000);
    input.pipeInput('alice', '/', 90_000); // closes minute 0 (60000 + 10000 grace)
    expect(finals(first)).toEqual(['alice@0=2']);
    const committed = { views: first.committedMetadata('views') };

    // Without the committed stream time, a new task would take the late record into minute 0 again.
    const unseeded = new TopologyTestDriver(suppressedCounts(), 'views-app');
    unseeded.createInputTopic('views').pipeInput('alice', '/', 20_000);
    unseeded.createInputTopic('views').pipeInput('alice', '/', 200_000);
    expect(finals(unseeded)).toEqual(['alice@0=1']);

    const restarted = new TopologyTestDriver(suppressedCounts(), 'views-app', { committedMetadata: committed });
    const again = restarted.createInputTopic('views');
    again.pipeInput('alice', '/', 20_000); // minute 0 closed before the restart: late
    again.pipeInput('alice', '/', 65_000); // minute 1 is open (closes at 130000): counted
    again.pipeInput('alice', '/', 200_000); // closes minute 1
    expect(finals(restarted)).toEqual(['alice@60000=1']);
    expect([...restarted.lateDrops.values()]).toEqual([1]);
  });

  it('each node gets its own committed stream time back, not the task time (a node behind a filter saw less)', () => {
    const build = () => {
      const builder = new StreamsBuilder();
      builder
        .stream('views')
        .filter((key) => key === 'bob')
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
        .count()
        .toStream()
        .to('bob-counts');
      return builder.build();
    };
    const first = new TopologyTestDriver(build());
    const input = first.createInputTopic('views');
    input.pipeInput('bob', '/', 5_000);
    input.pipeInput('alice', '/', 500_000); // filtered out: the window node's stream time stays 5000
    const restarted = new TopologyTestDriver(build(), 'test-app', { committedMetadata: { views: first.committedMetadata('views') } });
    restarted.createInputTopic('views').pipeInput('bob', '/', 6_000); // on time for the window node, as without a restart
    const out = restarted.createOutputTopic<Windowed<string>, number>('bob-counts', Serdes.json<Windowed<string>>(), Serdes.json<number>()).readKeyValuesToList() as WindowedCount[];
    expect(out.map(([k, v]) => `${k!.window.startMs}=${v}`)).toEqual(['0=1']);
    expect(restarted.lateDrops.size).toBe(0);
  });

  it('a stream-stream join seeded from the committed metadata drops a record older than stream time - difference - grace', () => {
    const build = () => {
      const builder = new StreamsBuilder();
      const left = builder.stream('left');
      const right = builder.stream('right');
      left.join(right, (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(1_000, 500)).to('joined');
      return builder.build();
    };
    const first = new TopologyTestDriver(build());
    first.createInputTopic('left').pipeInput('k', 'a', 10_000);
    const committed = { left: first.committedMetadata('left'), right: first.committedMetadata('right') };
    const restarted = new TopologyTestDriver(build(), 'test-app', { committedMetadata: committed });
    restarted.createInputTopic('right').pipeInput('k', 'b', 8_000); // 8000 + 1000 + 500 < 10000: late
    restarted.createInputTopic('right').pipeInput('k', 'c', 9_000); // inside: buffered (the left record is not, a new task has empty stores here)
    expect([...restarted.lateDrops.values()]).toEqual([1]);
  });
});
