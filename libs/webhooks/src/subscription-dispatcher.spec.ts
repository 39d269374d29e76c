/**
 * The dispatcher's rules against a sink the test settles by hand: what may be in flight
 * (ordering key / none, concurrency), how messages are batched, and which offset may be committed.
 */
import { type OutgoingMessage, type SettleOutcome, SubscriptionDispatcher, type DispatchOptions } from './subscription-dispatcher.js';

class HandSink {
  readonly sent: Array<{ message: OutgoingMessage; settle: (o: SettleOutcome) => void; cancelled: boolean }> = [];
  send(message: OutgoingMessage, settle: (o: SettleOutcome) => void) {
    const entry = { message, settle, cancelled: false };
    this.sent.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }
  ranges(): string[] {
    return this.sent.map((s) => `${s.message.partition}:${s.message.firstOffset}-${s.message.lastOffset}`);
  }
}

const json = (offset: number): Buffer => Buffer.from(`{"offset":${offset}}`);

function setup(options: Partial<DispatchOptions> = {}) {
  const sink = new HandSink();
  const progress: string[] = [];
  const dispatcher = new SubscriptionDispatcher(sink, { subscription: 's', ordering: 'key', maxBatchRecords: 1, maxBatchWaitMs: 0, concurrency: 16, ...options }, (lane) =>
    progress.push(`${lane.partition}@${lane.committedOffset}`),
  );
  return { sink, dispatcher, progress };
}

describe('SubscriptionDispatcher', () => {
  it('ordering key: one message per partition in flight; partitions independent', () => {
    const { sink, dispatcher, progress } = setup();
    const p0 = dispatcher.openLane('t', 0, 5, () => undefined);
    const p1 = dispatcher.openLane('t', 1, 0, () => undefined);
    for (const o of [5, 6, 7]) p0.push(o, 0, json(o));
    for (const o of [0, 1]) p1.push(o, 0, json(o));
    dispatcher.pump();
    expect(sink.ranges()).toEqual(['0:5-5', '1:0-0']);
    sink.sent[1].settle('delivered');
    expect(sink.ranges()).toEqual(['0:5-5', '1:0-0', '1:1-1']);
    expect(p0.committedOffset).toBe(5); // held back by its own message only
    sink.sent[0].settle('dead-lettered');
    expect(p0.committedOffset).toBe(6);
    expect(progress).toEqual(['1@1', '0@6']);
  });

  it('ordering none: parallel up to concurrency; commits only past a contiguous done prefix', () => {
    const { sink, dispatcher } = setup({ ordering: 'none', concurrency: 3 });
    const lane = dispatcher.openLane('t', 0, 0, () => undefined);
    for (let o = 0; o < 6; o++) lane.push(o, 0, json(o));
    dispatcher.pump();
    expect(sink.ranges()).toEqual(['0:0-0', '0:1-1', '0:2-2']);
    sink.sent[2].settle('delivered');
    sink.sent[1].settle('delivered');
    expect(lane.committedOffset).toBe(0); // offset 0 is still in flight: no gap
    expect(sink.ranges()).toHaveLength(5);
    sink.sent[0].settle('delivered');
    expect(lane.committedOffset).toBe(3);
  });

  it('batches up to maxBatchRecords, and sends a partial batch once maxBatchWaitMs passed', async () => {
    const { sink, dispatcher } = setup({ maxBatchRecords: 3, maxBatchWaitMs: 50 });
    const lane = dispatcher.openLane('t', 0, 0, () => undefined);
    for (let o = 0; o < 4; o++) lane.push(o, o, json(o));
    dispatcher.pump();
    expect(sink.ranges()).toEqual(['0:0-2']);
    expect(sink.sent[0].message.records.map((r) => Buffer.from(r).toString())).toEqual(['{"offset":0}', '{"offset":1}', '{"offset":2}']);
    sink.sent[0].settle('delivered');
    expect(sink.ranges()).toEqual(['0:0-2']); // one record waits for more
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sink.ranges()).toEqual(['0:0-2', '0:3-3']);
  });

  it('filtered records and gaps advance the committed offset only behind what is in flight', () => {
    const { sink, dispatcher } = setup();
    const lane = dispatcher.openLane('t', 0, 0, () => undefined);
    lane.push(0, 0, json(0));
    lane.advanceTo(10); // 1..9 filtered out
    dispatcher.pump();
    expect(lane.committedOffset).toBe(0);
    sink.sent[0].settle('delivered');
    expect(lane.committedOffset).toBe(10);
    lane.advanceTo(12);
    expect(lane.committedOffset).toBe(12);
  });

  it('closing a lane cancels its messages and frees their slots; a late settle changes nothing', () => {
    const { sink, dispatcher } = setup({ concurrency: 1 });
    const a = dispatcher.openLane('t', 0, 0, () => undefined);
    const b = dispatcher.openLane('t', 1, 0, () => undefined);
    a.push(0, 0, json(0));
    b.push(0, 0, json(0));
    dispatcher.pump();
    expect(sink.ranges()).toEqual(['0:0-0']);
    expect(a.close()).toBe(0);
    expect(sink.sent[0].cancelled).toBe(true);
    expect(sink.ranges()).toEqual(['0:0-0', '1:0-0']);
    sink.sent[0].settle('delivered');
    expect(dispatcher.inFlightCount).toBe(1);
  });

  it('asks for records again once a full lane has room', async () => {
    const { sink, dispatcher } = setup({ concurrency: 1 });
    let rooms = 0;
    const lane = dispatcher.openLane('t', 0, 0, () => rooms++);
    for (let o = 0; o < dispatcher.maxBufferedRecords; o++) lane.push(o, 0, json(o));
    expect(lane.room).toBe(0);
    dispatcher.pump();
    await Promise.resolve();
    expect(rooms).toBe(1);
    expect(lane.room).toBe(1);
    expect(sink.sent).toHaveLength(1);
  });
});
