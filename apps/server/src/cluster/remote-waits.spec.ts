/**
 * RemoteWaits' bookkeeping with lanes that only name themselves (the polls here are promises the
 * test settles): one poll per key however many wait on it, aborted when the last waiter leaves;
 * a lane's connection to a leader carries one poll at a time, new lanes up to the cap, then a
 * queue served in order (and left by an aborted waiter); the e2e cluster-long-poll.e2e-spec.ts
 * shows the same over real brokers.
 */
import type { KafkaRequestSender } from '@spool/broker-client';
import type { PartitionRouter } from './partition-router.js';
import { RemoteWaits } from './remote-waits.js';

interface Poll {
  readonly lane: number;
  readonly leader: number;
  readonly signal: AbortSignal;
  finish(): void;
}

function harness(maxLanes: number): { waits: RemoteWaits; polls: Poll[]; closed: number[] } {
  const polls: Poll[] = [];
  const closed: number[] = [];
  let lanes = 0;
  const waits = new RemoteWaits(() => {
    const lane = lanes++;
    const router = {
      sender: (leader: number) => ({ lane, leader }) as unknown as KafkaRequestSender,
      close: async () => {
        closed.push(lane);
      },
    };
    return router as unknown as PartitionRouter;
  }, maxLanes);
  return { waits, polls, closed };
}

function poller(polls: Poll[]) {
  return (sender: () => KafkaRequestSender, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const { lane, leader } = sender() as unknown as { lane: number; leader: number };
      const poll = { lane, leader, signal, finish: resolve };
      polls.push(poll);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('waiters on one key share one poll; it is aborted once every waiter has left', async () => {
  const { waits, polls } = harness(4);
  const a = new AbortController();
  const b = new AbortController();
  const first = waits.wait(2, 'k', 60_000, a.signal, poller(polls));
  const second = waits.wait(2, 'k', 60_000, b.signal, poller(polls));
  await tick();
  expect(polls).toHaveLength(1);
  a.abort();
  await first;
  expect(polls[0].signal.aborted).toBe(false);
  b.abort();
  await second;
  expect(polls[0].signal.aborted).toBe(true);
  // A new wait on the key starts a new poll.
  const third = waits.wait(2, 'k', 60_000, undefined, poller(polls));
  await tick();
  expect(polls).toHaveLength(2);
  polls[1].finish();
  await third;
});

it('a finished poll wakes every waiter on its key; a waiter\'s own timeout ends only its wait', async () => {
  const { waits, polls } = harness(4);
  let shortDone = false;
  const short = waits.wait(2, 'k', 20, undefined, poller(polls)).then(() => (shortDone = true));
  const long = waits.wait(2, 'k', 60_000, undefined, poller(polls));
  await short;
  expect(shortDone).toBe(true);
  expect(polls[0].signal.aborted).toBe(false);
  polls[0].finish();
  await long;
});

it('one poll at a time per leader per lane: new lanes up to the cap, then a queue served in order, left by an aborted waiter', async () => {
  const { waits, polls, closed } = harness(2);
  const p1 = waits.wait(2, 'a', 60_000, undefined, poller(polls));
  const p2 = waits.wait(2, 'b', 60_000, undefined, poller(polls));
  const p3 = waits.wait(3, 'c', 60_000, undefined, poller(polls));
  await tick();
  // Leader 2's two polls on two lanes; leader 3's on the first lane (its connection to 3 is free).
  expect(polls.map((p) => [p.lane, p.leader])).toEqual([[0, 2], [1, 2], [0, 3]]);
  const leaving = new AbortController();
  const queuedAndLeft = waits.wait(2, 'd', 60_000, leaving.signal, poller(polls));
  const p5 = waits.wait(2, 'e', 60_000, undefined, poller(polls));
  await tick();
  expect(polls).toHaveLength(3);
  expect(waits.stats()).toEqual({ lanes: 2, inFlight: 3, queued: 2 });
  leaving.abort();
  await queuedAndLeft;
  expect(waits.stats().queued).toBe(1);
  polls[1].finish();
  await p2;
  await tick();
  // The freed lane 1 goes to 'e', the first still queued for leader 2.
  expect(polls.map((p) => [p.lane, p.leader])).toEqual([[0, 2], [1, 2], [0, 3], [1, 2]]);
  for (const p of polls) p.finish();
  await Promise.all([p1, p3, p5]);
  expect(waits.stats()).toEqual({ lanes: 2, inFlight: 0, queued: 0 });
  await waits.close();
  expect(closed.sort()).toEqual([0, 1]);
});
