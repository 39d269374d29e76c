/**
 * Consumer groups over WebSocket against a real in-process broker (coordinator + log engine):
 * assignment, rebalance on close and on silence, commit fencing, restart, crash, cooperative-sticky,
 * and the HTTP admin endpoints.
 */
import { FAST_GROUPS, httpJson, produceHttp, startStreamingServer, TestSocket, type Frame, type StreamingServer } from '../ws/testing/streaming.test-util.js';

let server: StreamingServer;

beforeAll(async () => {
  server = await startStreamingServer({ coordinator: FAST_GROUPS, ws: { initialCreditRecords: 1_000_000, initialCreditBytes: 1 << 30 } });
});
afterAll(async () => {
  await server?.close();
});

/** Partitions a membership owns now, replaying its assigned/revoked frames. */
function owned(ws: TestSocket, id: string): Set<number> {
  const set = new Set<number>();
  for (const f of ws.frames) {
    if (f.id !== id) continue;
    if (f.type === 'assigned') for (const p of f.partitions) set.add(p.partition);
    if (f.type === 'revoked') for (const p of f.partitions) set.delete(p.partition);
  }
  return set;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function coversDisjoint(sets: Set<number>[], partitions: number): boolean {
  const all = sets.flatMap((s) => [...s]);
  return all.length === partitions && new Set(all).size === partitions;
}

function lastGeneration(ws: TestSocket, id: string): number {
  const assigned = ws.frames.filter((f) => f.id === id && (f.type === 'assigned' || f.type === 'ack') && typeof f.generationId === 'number');
  return assigned.length === 0 ? -1 : assigned[assigned.length - 1].generationId;
}

async function member(group: string, topic: string, extra: Frame = {}): Promise<TestSocket> {
  const ws = await TestSocket.open(server.wsUrl, extra.autoPong === false ? { autoPong: false } : {});
  const { autoPong: _ignored, ...frame } = extra;
  ws.send({ type: 'join', id: 'm', group, topics: [topic], from: 'earliest', sessionTimeoutMs: 3000, ...frame });
  return ws;
}

describe('a group of 3 on a 6-partition topic', () => {
  it('assigns disjoint partitions covering all; a closed member is covered within one rebalance', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'g6', partitions: 6 });
    const members = [await member('g-close', 'g6'), await member('g-close', 'g6'), await member('g-close', 'g6')];
    await until('3 x 2 partitions', () => members.every((m) => owned(m, 'm').size === 2) && coversDisjoint(members.map((m) => owned(m, 'm')), 6));
    const described = await httpJson(server.url, 'GET', '/v1/groups/g-close');
    expect(described.body).toMatchObject({ state: 'Stable', assignor: 'range', protocolType: 'spool-ws' });
    expect(described.body.members).toHaveLength(3);
    expect(described.body.members[0]).toMatchObject({ clientId: 'spool-ws', clientHost: '127.0.0.1', subscribedTopics: ['g6'] });

    const generation = lastGeneration(members[0], 'm');
    await members[2].close();
    const rest = members.slice(0, 2);
    await until('2 x 3 partitions', () => rest.every((m) => owned(m, 'm').size === 3) && coversDisjoint(rest.map((m) => owned(m, 'm')), 6));
    for (const m of rest) expect(lastGeneration(m, 'm')).toBe(generation + 1);
    await Promise.all(rest.map((m) => m.close()));
  });

  it('evicts a silent member after its session timeout', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'g6s', partitions: 6 });
    const live = [await member('g-silent', 'g6s', { sessionTimeoutMs: 1500 }), await member('g-silent', 'g6s', { sessionTimeoutMs: 1500 })];
    const silent = await member('g-silent', 'g6s', { sessionTimeoutMs: 1500, autoPong: false });
    await until('3 members', () => [...live, silent].every((m) => owned(m, 'm').size === 2));
    const silentSince = Date.now();
    await until('2 x 3 partitions', () => live.every((m) => owned(m, 'm').size === 3) && coversDisjoint(live.map((m) => owned(m, 'm')), 6));
    const tookMs = Date.now() - silentSince;
    expect(tookMs).toBeGreaterThanOrEqual(1000);
    expect((await silent.closed).code).toBe(1006);
    await Promise.all(live.map((m) => m.close()));
  });
});

describe('partition increase', () => {
  it('rebalances onto partitions added over HTTP: the members then cover every partition', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'g-grow', partitions: 2 });
    const members = [await member('g-grow', 'g-grow'), await member('g-grow', 'g-grow')];
    await until('2 x 1 partition', () => members.every((m) => owned(m, 'm').size === 1) && coversDisjoint(members.map((m) => owned(m, 'm')), 2));
    const grown = await httpJson(server.url, 'POST', '/v1/topics/g-grow/partitions', { count: 6 });
    expect(grown.status).toBe(200);
    await until('2 x 3 partitions', () => members.every((m) => owned(m, 'm').size === 3) && coversDisjoint(members.map((m) => owned(m, 'm')), 6));
    await Promise.all(members.map((m) => m.close()));
  });
});

describe('commits', () => {
  it('refuses a commit from a stale generation with ILLEGAL_GENERATION', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'gc', partitions: 2 });
    await produceHttp(server.url, 'gc', [{ value: 1, partition: 0 }, { value: 2, partition: 1 }]);
    const a = await member('g-fence', 'gc');
    await until('a owns both', () => owned(a, 'm').size === 2);
    const generation = lastGeneration(a, 'm');
    const ok = await a.request({ type: 'commit', id: 'c1', group: 'g-fence', generationId: generation, offsets: [{ topic: 'gc', partition: 0, offset: 1 }] });
    expect(ok.type).toBe('ack');
    const b = await member('g-fence', 'gc');
    await until('rebalanced', () => owned(a, 'm').size === 1 && owned(b, 'm').size === 1);
    const stale = await a.request({ type: 'commit', id: 'c2', group: 'g-fence', generationId: generation, offsets: [{ topic: 'gc', partition: 0, offset: 1 }] });
    expect(stale).toMatchObject({ type: 'error', id: 'c2', code: 'ILLEGAL_GENERATION' });
    const current = lastGeneration(a, 'm');
    const mine = [...owned(a, 'm')][0];
    expect((await a.request({ type: 'commit', id: 'c3', group: 'g-fence', generationId: current, offsets: [{ topic: 'gc', partition: mine, offset: 1 }] })).type).toBe('ack');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps committed offsets across a server restart', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'gr', partitions: 1 });
    await produceHttp(server.url, 'gr', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const a = await member('g-restart', 'gr');
    await a.waitForRecords('gr', 3);
    expect((await a.request({ type: 'commit', id: 'c', group: 'g-restart', offsets: [{ topic: 'gr', partition: 0, offset: 2 }] })).type).toBe('ack');
    await a.close();
    server = await server.restart();
    const described = await httpJson(server.url, 'GET', '/v1/groups/g-restart');
    expect(described.body.offsets).toEqual([expect.objectContaining({ topic: 'gr', partition: 0, committedOffset: 2, highWatermark: 3, lag: 1 })]);
    const b = await member('g-restart', 'gr');
    const assigned = await b.next((f) => f.type === 'assigned');
    expect(assigned.partitions).toEqual([{ topic: 'gr', partition: 0, offset: 2 }]);
    expect((await b.waitForRecords('gr', 1)).map((r) => r.value)).toEqual(['c']);
    await b.close();
  });

  it('loses nothing when a member crashes: every record is processed by some member', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'gx', partitions: 6 });
    const processed = new Set<string>();
    const consumers = await Promise.all([0, 1, 2].map(() => member('g-crash', 'gx', { sessionTimeoutMs: 2000 })));
    // Each member processes a records frame, then commits past it with its generation.
    for (const ws of consumers) {
      ws.ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as Frame;
        if (f.type !== 'records' || ws.ws.readyState !== ws.ws.OPEN) return;
        for (const r of f.records) processed.add(r.value.id);
        const last = f.records[f.records.length - 1].offset;
        ws.send({ type: 'commit', id: `c-${f.partition}-${last}`, group: 'g-crash', generationId: lastGeneration(ws, 'm'), offsets: [{ topic: 'gx', partition: f.partition, offset: last + 1 }] });
      });
    }
    await until('3 members', () => consumers.every((m) => owned(m, 'm').size === 2));
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${batch}-${i}`, value: { id: `r${batch}-${i}` } }));
      ids.push(...records.map((r) => r.value.id));
      await produceHttp(server.url, 'gx', records);
      if (batch === 8) consumers[1].ws.terminate(); // crash: no leave, no commit of what it had in flight
    }
    await until('every record processed', () => ids.every((id) => processed.has(id)), 20_000);
    await Promise.all([consumers[0].close(), consumers[2].close()]);
  });
});

describe('cooperative-sticky', () => {
  it('moves only the partitions balance requires when a member joins', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'gs', partitions: 6 });
    const a = await member('g-sticky', 'gs', { assignor: 'cooperative-sticky' });
    const b = await member('g-sticky', 'gs', { assignor: 'cooperative-sticky' });
    await until('2 x 3', () => owned(a, 'm').size === 3 && owned(b, 'm').size === 3);
    const before = [new Set(owned(a, 'm')), new Set(owned(b, 'm'))];
    const revokedBefore = [a, b].map((m) => m.frames.filter((f) => f.type === 'revoked').length);
    const c = await member('g-sticky', 'gs', { assignor: 'cooperative-sticky' });
    await until('3 x 2', () => [a, b, c].every((m) => owned(m, 'm').size === 2) && coversDisjoint([a, b, c].map((m) => owned(m, 'm')), 6));
    [a, b].forEach((m, i) => {
      const revoked = m.frames.filter((f) => f.type === 'revoked').slice(revokedBefore[i]).flatMap((f) => f.partitions.map((p: Frame) => p.partition));
      expect(revoked).toHaveLength(1); // exactly one partition moved away from each
      for (const p of owned(m, 'm')) expect(before[i].has(p)).toBe(true); // the rest stayed put
    });
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

describe('HTTP group admin', () => {
  it('lists, commits, resets (only when empty) and deletes', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'ga', partitions: 2 });
    await produceHttp(server.url, 'ga', [{ value: 1, partition: 0 }, { value: 2, partition: 0 }, { value: 3, partition: 1 }]);
    const commit = await httpJson(server.url, 'POST', '/v1/groups/admin/offsets', { offsets: [{ topic: 'ga', partition: 0, offset: 1 }] });
    expect(commit.status).toBe(200);
    expect(commit.body.offsets).toEqual([expect.objectContaining({ partition: 0, committedOffset: 1, lag: 1 })]);
    expect((await httpJson(server.url, 'GET', '/v1/groups')).body.groups).toEqual(expect.arrayContaining([{ groupId: 'admin', protocolType: null, state: 'Empty', groupType: 'classic' }]));
    const reset = await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: 'latest', topics: ['ga'] });
    expect(reset.body.offsets.map((o: Frame) => [o.partition, o.committedOffset])).toEqual([[0, 2], [1, 1]]);
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: { offset: 0 } })).body.offsets.map((o: Frame) => o.committedOffset)).toEqual([0, 0]);
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: 'sideways' })).status).toBe(400);
    // dryRun: the plan (previous and new offsets, clamped to the log's range), nothing committed
    const preview = await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: { shiftBy: 1 }, dryRun: true });
    expect(preview.body).toEqual({
      groupId: 'admin',
      dryRun: true,
      offsets: [
        { topic: 'ga', partition: 0, previousOffset: 0, committedOffset: 1, logStartOffset: 0, highWatermark: 2, lag: 1 },
        { topic: 'ga', partition: 1, previousOffset: 0, committedOffset: 1, logStartOffset: 0, highWatermark: 1, lag: 0 },
      ],
    });
    expect((await httpJson(server.url, 'GET', '/v1/groups/admin')).body.offsets.map((o: Frame) => o.committedOffset)).toEqual([0, 0]);
    const shifted = await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: { shiftBy: 5 } });
    expect(shifted.body.dryRun).toBe(false);
    expect(shifted.body.offsets.map((o: Frame) => [o.previousOffset, o.committedOffset])).toEqual([[0, 2], [0, 1]]);
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: { shiftBy: -1 } })).body.offsets.map((o: Frame) => o.committedOffset)).toEqual([1, 0]);
    const noOffsets = await httpJson(server.url, 'POST', '/v1/groups/admin-fresh/offsets/reset', { to: { shiftBy: 1 }, topics: ['ga'], dryRun: true });
    expect([noOffsets.status, noOffsets.body.error.code, noOffsets.body.error.details]).toEqual([400, 'INVALID_REQUEST', { field: 'to', topic: 'ga', partition: 0 }]);
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: { offset: 0 } })).body.offsets.map((o: Frame) => o.committedOffset)).toEqual([0, 0]);

    const ws = await member('admin', 'ga');
    await until('member', () => owned(ws, 'm').size === 2);
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: 'earliest' })).body.error.code).toBe('NON_EMPTY_GROUP');
    expect((await httpJson(server.url, 'POST', '/v1/groups/admin/offsets/reset', { to: 'earliest', dryRun: true })).body.error.code).toBe('NON_EMPTY_GROUP');
    expect((await httpJson(server.url, 'DELETE', '/v1/groups/admin')).status).toBe(409);
    await ws.close();
    await new Promise((r) => setTimeout(r, 100));
    expect((await httpJson(server.url, 'DELETE', '/v1/groups/admin')).status).toBe(204);
    expect((await httpJson(server.url, 'GET', '/v1/groups/admin')).status).toBe(404);
  });
});
