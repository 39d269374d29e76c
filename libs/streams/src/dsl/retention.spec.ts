import type { Windowed } from '../record.js';
import { Serdes } from '../serdes.js';
import { TopologyTestDriver } from '../testing/topology-test-driver.js';
import { JoinWindows, SessionWindows, TimeWindows } from '../topology/windows.js';
import { StreamsBuilder } from './streams-builder.js';

type WindowedCount = [Windowed<string> | null, number | null];

describe('store retention (TopologyTestDriver)', () => {
  it('closed windows leave the window store and are tombstoned in its changelog; results are those without a purge', () => {
    const builder = new StreamsBuilder();
    builder.stream('views').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count({ name: 'per-minute' }).toStream().to('counts');
    const driver = new TopologyTestDriver(builder.build(), 'ret');
    const input = driver.createInputTopic('views');
    // 3 users in each of minutes 0..9, then a late record for minute 0 and one for the open minute 9.
    for (let minute = 0; minute < 10; minute++) for (const user of ['a', 'b', 'c']) input.pipeInput(user, '/', minute * 60_000 + 1_000);
    input.pipeInput('a', '/', 30_000); // minute 0 closed long ago: dropped (purged or not)
    input.pipeInput('a', '/', 9 * 60_000 + 2_000);
    const out = driver.createOutputTopic<Windowed<string>, number>('counts', Serdes.json<Windowed<string>>(), Serdes.json<number>()).readKeyValuesToList() as WindowedCount[];
    expect(out).toHaveLength(31);
    expect(out.at(-1)![1]).toBe(2); // a@minute 9
    expect([...driver.lateDrops.values()]).toEqual([1]);
    // Stream time 542000: minutes up to 7 closed (end + grace <= 542000): purged at the last purge
    // point at most 60 s of stream time ago (minute 8 closes at 550000: still there with minute 9).
    expect(driver.storeSize('per-minute')).toBeLessThanOrEqual(3 * 3);
    expect(driver.storeSize('per-minute')).toBeGreaterThanOrEqual(2 * 3);
    const changelog = driver.createOutputTopic<string, number | null>('ret-per-minute-changelog', Serdes.bytes() as never, Serdes.json<number | null>()).readRecordsToList();
    const tombstones = changelog.filter((r) => r.value === null);
    expect(tombstones.length).toBe(30 - driver.storeSize('per-minute'));
  });

  it('a stream-stream join buffer drops records no record can join any more, even for keys that never come back', () => {
    const builder = new StreamsBuilder();
    builder.stream('left').join(builder.stream('right'), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(1_000, 500), { name: 'j' }).to('joined');
    const driver = new TopologyTestDriver(builder.build());
    const left = driver.createInputTopic('left');
    const right = driver.createInputTopic('right');
    for (let i = 0; i < 50; i++) left.pipeInput(`k${i}`, 'l', i * 10_000); // one key each, never seen again
    right.pipeInput('k49', 'r', 490_500); // joins the last left record
    expect(driver.createOutputTopic('joined', Serdes.string(), Serdes.string()).readKeyValuesToList()).toEqual([['k49', 'l+r']]);
    // Retention 2 * 1000 + 500: every left record older than stream time (490500) - 2500 - 60 s purge interval is gone.
    expect(driver.storeSize('j-this-buffer')).toBeLessThanOrEqual(8);
    expect(driver.storeSize('j-this-buffer')).toBeGreaterThanOrEqual(1);
    expect(driver.storeSize('j-other-buffer')).toBe(1);
  });

  it('session stores drop sessions no record can reach any more, keeping one a later session could still be bridged to', () => {
    const builder = new StreamsBuilder();
    builder.stream('clicks').groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(1_000)).count({ name: 'sessions' }).toStream().to('out');
    const driver = new TopologyTestDriver(builder.build(), 'ses');
    const input = driver.createInputTopic('clicks');
    for (const t of [0, 5_000, 20_000, 21_500]) input.pipeInput('u', 'c', t); // four sessions of u; the last two are 1500 apart (< 2 x gap)
    input.pipeInput('v', 'c', 70_000); // a purge: u's sessions ended 3 x gap before, except 20000, which 21500 could still be bridged to
    expect(driver.storeSize('sessions')).toBe(2); // u [20000,20000] and v [70000,70000]
    input.pipeInput('u', 'c', 20_750); // would bridge them, but the merged session closed long ago: dropped, as without a purge
    expect([...driver.lateDrops.values()]).toEqual([1]);
    input.pipeInput('v', 'c', 200_000); // the next purge: u's last session and v's first go too
    expect(driver.storeSize('sessions')).toBe(1);
    const changelog = driver.createOutputTopic<string, number | null>('ses-sessions-changelog', Serdes.bytes() as never, Serdes.json<number | null>()).readRecordsToList();
    expect(changelog.filter((r) => r.value === null)).toHaveLength(5);
  });
});
