/**
 * Server-side groups (WebSocket members) end to end through ServerSideMember: the coordinator
 * assigns, members revoke before they are assigned, and every partition has exactly one owner.
 */
import { GroupState } from './group-state.js';
import { flush, startTestCoordinator, type TestCoordinator } from './coordinator.test-util.js';
import { ServerSideMember, type ServerSideMemberListener } from './server-side-member.js';
import { topicPartitionKey, type TopicPartition } from './topic-partition.js';
import type { AssignorName } from './assignors/assignors.js';

/** Tracks who delivers what, failing the test if two members ever deliver the same partition. */
class Deliveries {
  readonly owner = new Map<string, string>();
  readonly events: string[] = [];

  listener(name: string): ServerSideMemberListener {
    return {
      onAssigned: ({ partitions }) => {
        for (const tp of partitions) {
          const k = topicPartitionKey(tp.topic, tp.partition);
          if (this.owner.has(k)) throw new Error(`${name} assigned ${k} still owned by ${this.owner.get(k)}`);
          this.owner.set(k, name);
          this.events.push(`${name}+${tp.partition}`);
        }
      },
      onRevoked: ({ partitions }) => {
        for (const tp of partitions) {
          this.owner.delete(topicPartitionKey(tp.topic, tp.partition));
          this.events.push(`${name}-${tp.partition}`);
        }
      },
    };
  }

  ownedBy(name: string): number[] {
    return [...this.owner].filter(([, n]) => n === name).map(([k]) => Number(k.split('\u0000')[1])).sort((a, b) => a - b);
  }
}

async function joinMembers(t: TestCoordinator, deliveries: Deliveries, names: string[], assignor: AssignorName): Promise<ServerSideMember[]> {
  const members = names.map(
    (name) =>
      new ServerSideMember(
        t.coordinator,
        t.scheduler,
        { groupId: 'g', clientId: name, clientHost: '127.0.0.1', topics: ['orders'], assignor, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 },
        deliveries.listener(name),
      ),
  );
  const started = members.map((m) => m.start());
  await settle(t);
  await Promise.all(started);
  return members;
}

/** Runs timers and promise continuations until nothing changes. */
async function settle(t: TestCoordinator): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await flush();
    t.scheduler.advance(0);
  }
  await flush();
}

const all = [0, 1, 2, 3, 4, 5];

describe.each<AssignorName>(['range', 'roundrobin', 'cooperative-sticky'])('server-side group with %s', (assignor) => {
  it('3 members on a 6-partition topic own disjoint partitions covering all; one leaves and the others cover all in one rebalance', async () => {
    const t = await startTestCoordinator();
    const d = new Deliveries();
    const [a, b, c] = await joinMembers(t, d, ['a', 'b', 'c'], assignor);
    expect([...d.ownedBy('a'), ...d.ownedBy('b'), ...d.ownedBy('c')].sort()).toEqual(all);
    for (const n of ['a', 'b', 'c']) expect(d.ownedBy(n)).toHaveLength(2);
    expect(t.coordinator.describeGroup('g')!.state).toBe(GroupState.Stable);
    const generation = a.generationId;

    await c.leave();
    await settle(t);
    expect([...d.ownedBy('a'), ...d.ownedBy('b')].sort()).toEqual(all);
    expect(d.ownedBy('c')).toEqual([]);
    // Eager: one rebalance. Cooperative: nobody loses a partition when a member leaves, so one too.
    expect(a.generationId).toBe(generation + 1);
    expect(b.generationId).toBe(generation + 1);
    const described = t.coordinator.describeGroup('g')!;
    expect(described.state).toBe(GroupState.Stable);
    expect(described.protocolType).toBe('spool-ws');
    expect(described.protocolName).toBe(assignor);
    expect(described.members.map((m) => m.assignedPartitions!.length).sort()).toEqual([3, 3]);
  });

  it('picks up new partitions when a subscribed topic grows', async () => {
    const t = await startTestCoordinator();
    const d = new Deliveries();
    await joinMembers(t, d, ['a', 'b'], assignor);
    t.topics.counts.set('orders', 8);
    t.coordinator.onPartitionsChanged('orders');
    await settle(t);
    expect([...d.ownedBy('a'), ...d.ownedBy('b')].sort()).toEqual([...all, 6, 7]);
  });
});

describe('cooperative-sticky server-side group', () => {
  it('a joining member takes partitions only after their owners revoked them; unmoved partitions are never revoked', async () => {
    const t = await startTestCoordinator();
    const d = new Deliveries();
    await joinMembers(t, d, ['a', 'b'], 'cooperative-sticky');
    const before = { a: d.ownedBy('a'), b: d.ownedBy('b') };
    d.events.length = 0;
    await joinMembers(t, d, ['c'], 'cooperative-sticky');
    expect(d.ownedBy('c')).toHaveLength(2);
    // Only the two partitions that moved were revoked, each before c was given it.
    const revoked = d.events.filter((e) => e.includes('-'));
    expect(revoked).toHaveLength(2);
    for (const p of d.ownedBy('c')) {
      const revokedAt = d.events.findIndex((e) => /^[ab]-/.test(e) && e.endsWith(`-${p}`));
      expect(revokedAt).toBeGreaterThanOrEqual(0);
      expect(d.events.indexOf(`c+${p}`)).toBeGreaterThan(revokedAt);
    }
    expect([...before.a, ...before.b].filter((p) => !d.ownedBy('c').includes(p)).every((p) => d.ownedBy('a').includes(p) || d.ownedBy('b').includes(p))).toBe(true);
  });

  it('hands each assigned partition its committed offset', async () => {
    const t = await startTestCoordinator();
    await t.coordinator.resetOffsets('g', [{ topic: 'orders', partition: 4, offset: 99 }]);
    const seen: Array<TopicPartition & { committedOffset: number | null }> = [];
    const m = new ServerSideMember(
      t.coordinator,
      t.scheduler,
      { groupId: 'g', clientId: 'a', clientHost: 'h', topics: ['orders'], assignor: 'range', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 },
      { onAssigned: ({ partitions }) => void seen.push(...partitions), onRevoked: () => undefined },
    );
    const started = m.start();
    await settle(t);
    await started;
    expect(seen.find((p) => p.partition === 4)!.committedOffset).toBe(99);
    expect(seen.find((p) => p.partition === 0)!.committedOffset).toBeNull();
    expect(await m.commit([{ topic: 'orders', partition: 0, offset: 5 }])).toBe('NONE');
  });
});
