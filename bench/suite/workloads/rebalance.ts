/**
 * rebalance: how long a consumer group of WebSocket members takes to hand out partitions again
 * when a third member joins a stable group of two: from the third `join` frame sent until all
 * three members hold an `assigned` frame of the new generation. A fresh group per round, a
 * 6-partition topic, the range assignor (eager: every member is revoked and reassigned), and
 * group.initial.rebalance.delay.ms=0 on the broker (the delay only applies to an empty group's
 * first rebalance, which is set-up here, not the measure).
 */
import { createTopic } from '../clients/spool-http.js';
import { WsClient, type WsFrame } from '../clients/ws-client.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';

const MEMBERS = 3;
const PARTITIONS = 6;
const TIMEOUT_MS = 30_000;

interface Member {
  readonly client: WsClient;
  generation: number;
  assignedAt: number;
}

function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`rebalance: ${what} did not happen within ${TIMEOUT_MS} ms`));
      setTimeout(poll, 1);
    };
    poll();
  });
}

async function member(env: RoundEnv, group: string, topic: string): Promise<Member> {
  const client = await WsClient.connect(env.spool!.port);
  const m: Member = { client, generation: -1, assignedAt: 0 };
  client.onFrame = (frame: WsFrame | null) => {
    if (frame?.type === 'assigned') {
      m.generation = frame.generationId as number;
      m.assignedAt = performance.now();
    }
  };
  void client.request({ type: 'join', group, topics: [topic], from: 'latest' }).catch(() => undefined);
  return m;
}

async function rebalance(env: RoundEnv): Promise<Sample> {
  const topic = env.unique('rebalance');
  const group = env.unique('group');
  await createTopic(env.spool!.port, topic, PARTITIONS);
  const members: Member[] = [];
  try {
    for (let i = 0; i < MEMBERS - 1; i++) members.push(await member(env, group, topic));
    const stable = () => members.every((m) => m.generation >= 0 && m.generation === members[0]!.generation);
    await waitUntil(stable, `a stable group of ${MEMBERS - 1}`);
    const before = members[0]!.generation;
    const t0 = performance.now();
    members.push(await member(env, group, topic));
    await waitUntil(() => members[0]!.generation > before && stable(), `the rebalance to ${MEMBERS} members`);
    return { durationMs: Math.max(...members.map((m) => m.assignedAt)) - t0 };
  } finally {
    await Promise.all(members.map((m) => m.client.close()));
  }
}

export const rebalanceWorkload: Workload = {
  name: 'rebalance',
  title: 'Consumer-group rebalance (3 WebSocket members)',
  metric: 'durationMs',
  describe: () =>
    `Milliseconds from a third member's join frame to all ${MEMBERS} members holding their assignment of the new generation ` +
    `(stable group of ${MEMBERS - 1}, ${PARTITIONS}-partition topic, range assignor, group.initial.rebalance.delay.ms=0).`,
  cases: (_opts: WorkloadOptions): Case[] => [
    { id: 'rebalance.spool-ws.3', workload: 'rebalance', system: 'Spool WebSocket groups', valueBytes: 0, variant: `${MEMBERS} members`, needs: ['spool', 'groups'], run: rebalance },
  ],
};
