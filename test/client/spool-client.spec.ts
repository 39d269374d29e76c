/**
 * @spool/client against a scripted fake WebSocket: credit bookkeeping (top-up to the window,
 * credit returned only when the handler's promise resolves, for the whole frame), resume
 * positions across reconnects (subscriptions resume right after the last handled record per
 * partition; redelivered records are not handed over twice) and group commits (handled offsets,
 * fenced by generation; revoked partitions committed and forgotten).
 */
import { SpoolClient, toWebSocketUrl } from '../../client/src/spool-client.js';
import { SpoolError, type RecordsBatch } from '../../client/src/types.js';
import { fakeSockets, recordsFrame, settle, type FakeWebSocket } from './fake-web-socket.test-util.js';

const WINDOW = { records: 5000, bytes: 4 * 1024 * 1024 };

function setup(options: { slowReconnect?: boolean } = {}) {
  const { factory, sockets } = fakeSockets();
  const errors: SpoolError[] = [];
  const client = new SpoolClient({
    url: 'http://broker.test:8080',
    webSocket: factory,
    creditWindow: WINDOW,
    reconnectDelayMs: options.slowReconnect === true ? { initial: 50, max: 50 } : { initial: 1, max: 1 },
    onError: (e) => errors.push(e),
  });
  return { client, sockets, errors };
}

async function connected(client: SpoolClient, sockets: FakeWebSocket[]): Promise<FakeWebSocket> {
  const connecting = client.connect();
  const socket = sockets.at(-1)!;
  socket.open();
  await connecting;
  return socket;
}

/** Subscribes and acks the subscribe frame as the broker would. */
async function subscribed(client: SpoolClient, socket: FakeWebSocket, handler: (b: RecordsBatch) => void | Promise<void>) {
  const subscribing = client.subscribe('page-views', { from: 'earliest' }, handler);
  await settle();
  const request = socket.ack('subscribe', { topic: 'page-views', topicId: 'b2x1Fq9aT1y2iKJm3lqYfA', partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }] });
  const subscription = await subscribing;
  return { subscription, request };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('toWebSocketUrl', () => {
  it('maps http(s) base URLs to the /v1/ws endpoint and keeps ws(s) URLs', () => {
    expect(toWebSocketUrl('http://localhost:8080')).toBe('ws://localhost:8080/v1/ws');
    expect(toWebSocketUrl('https://spool.example.com/some/page')).toBe('wss://spool.example.com/v1/ws');
    expect(toWebSocketUrl('ws://h:1/v1/ws')).toBe('ws://h:1/v1/ws');
  });
});

describe('SpoolClient credit', () => {
  it('tops the server’s initial credit up to its window once the hello arrives', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    expect(socket.url).toBe('ws://broker.test:8080/v1/ws');
    expect(socket.ofType('credit')).toEqual([{ type: 'credit', records: WINDOW.records - 1000, bytes: WINDOW.bytes - (1 << 20) }]);
    client.close();
  });

  it('grants nothing when the server already gives the whole window', async () => {
    const { client, sockets } = setup();
    const connecting = client.connect();
    sockets[0]!.open({ records: 10_000, bytes: 8 << 20 });
    await connecting;
    expect(sockets[0]!.ofType('credit')).toEqual([]);
    client.close();
  });

  it('returns a frame’s records and bytes only once its handler’s promise resolves', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    let release: () => void = () => undefined;
    const handled: number[][] = [];
    await subscribed(client, socket, async (batch) => {
      handled.push(batch.records.map((r) => r.offset));
      await new Promise<void>((r) => (release = r));
    });
    const before = socket.ofType('credit').length;
    socket.receive(recordsFrame('s1', 'page-views', 0, [0, 1, 2]));
    await settle();
    expect(handled).toEqual([[0, 1, 2]]);
    expect(socket.ofType('credit')).toHaveLength(before); // the handler has not finished
    release();
    await settle();
    expect(socket.ofType('credit').slice(before)).toEqual([{ type: 'credit', records: 3, bytes: 30 }]);
    client.close();
  });

  it('hands frames of a stream to the handler one at a time, in arrival order', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    const events: string[] = [];
    await subscribed(client, socket, async (batch) => {
      events.push(`start ${batch.partition}:${batch.records[0]!.offset}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${batch.partition}:${batch.records[0]!.offset}`);
    });
    socket.receive(recordsFrame('s1', 'page-views', 0, [0]));
    socket.receive(recordsFrame('s1', 'page-views', 1, [0]));
    socket.receive(recordsFrame('s1', 'page-views', 0, [1]));
    await until(() => events.length === 6, 'three handled frames');
    expect(events).toEqual(['start 0:0', 'end 0:0', 'start 1:0', 'end 1:0', 'start 0:1', 'end 0:1']);
    client.close();
  });

  it('still returns credit when the handler throws, and reports the error', async () => {
    const { client, sockets, errors } = setup();
    const socket = await connected(client, sockets);
    await subscribed(client, socket, () => {
      throw new Error('render failed');
    });
    const before = socket.ofType('credit').length;
    socket.receive(recordsFrame('s1', 'page-views', 0, [0, 1]));
    await settle();
    expect(socket.ofType('credit').slice(before)).toEqual([{ type: 'credit', records: 2, bytes: 20 }]);
    expect(errors.map((e) => e.message)).toEqual(['render failed']);
    client.close();
  });
});

describe('SpoolClient reconnect and resume', () => {
  it('resubscribes each partition right after the last record its handler finished', async () => {
    const { client, sockets } = setup();
    const first = await connected(client, sockets);
    const seen: string[] = [];
    const { request, subscription } = await subscribed(client, first, (batch) => {
      for (const r of batch.records) seen.push(`${batch.partition}:${r.offset}`);
    });
    expect(request).toMatchObject({ type: 'subscribe', topic: 'page-views', from: 'earliest' });
    expect(request.positions).toBeUndefined();
    first.receive(recordsFrame('s1', 'page-views', 0, [0, 1, 2, 3, 4]));
    first.receive(recordsFrame('s1', 'page-views', 1, [0, 1, 2]));
    await settle();

    first.drop();
    await until(() => sockets.length === 2, 'a reconnect');
    const second = sockets[1]!;
    second.open();
    await until(() => second.ofType('subscribe').length === 1, 'the resubscribe');
    const resubscribe = second.ofType('subscribe')[0]!;
    expect(resubscribe.id).toBe(request.id);
    expect(resubscribe.positions).toEqual([
      { partition: 0, offset: 5 },
      { partition: 1, offset: 3 },
    ]);
    // The new connection gets credit topped up again: credit does not carry over sockets.
    expect(second.ofType('credit')[0]).toEqual({ type: 'credit', records: WINDOW.records - 1000, bytes: WINDOW.bytes - (1 << 20) });

    // A broker that redelivers from an older position: records already handled are skipped. Its
    // ack names another incarnation of the topic: the subscription shows the new id.
    expect(subscription.topicId).toBe('b2x1Fq9aT1y2iKJm3lqYfA');
    second.ack('subscribe', { topicId: 'HxQvI4wKTnudHgEjRWeJqw' });
    await until(() => subscription.topicId === 'HxQvI4wKTnudHgEjRWeJqw', 'the new topic id');
    second.receive(recordsFrame('s1', 'page-views', 0, [3, 4, 5, 6]));
    await settle();
    expect(seen).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4', '1:0', '1:1', '1:2', '0:5', '0:6']);
    // ... but the whole frame's credit is returned (the server counted all four records).
    expect(second.ofType('credit').at(-1)).toEqual({ type: 'credit', records: 4, bytes: 40 });
    client.close();
  });

  it('does not count a frame whose handler threw as handled; later frames move the position on', async () => {
    const { client, sockets } = setup();
    const first = await connected(client, sockets);
    let fail = true;
    await subscribed(client, first, () => {
      if (fail) throw new Error('not yet');
    });
    first.receive(recordsFrame('s1', 'page-views', 0, [0, 1]));
    await settle();
    fail = false;
    first.receive(recordsFrame('s1', 'page-views', 0, [2]));
    await settle();
    first.drop();
    await until(() => sockets.length === 2, 'a reconnect');
    sockets[1]!.open();
    await until(() => sockets[1]!.ofType('subscribe').length === 1, 'the resubscribe');
    // Offsets 0-1 failed (reported), 2 was handled: the position is after 2, as documented
    // ("right after the last record handed to their handler").
    expect(sockets[1]!.ofType('subscribe')[0]!.positions).toEqual([{ partition: 0, offset: 3 }]);
    client.close();
  });

  it('rejects requests in flight when the connection drops, and stops after close()', async () => {
    const { client, sockets } = setup({ slowReconnect: true });
    const socket = await connected(client, sockets);
    const producing = client.produce('page-views', [{ value: 1 }]);
    await settle();
    socket.drop();
    await expect(producing).rejects.toMatchObject({ code: 'BROKER_NOT_AVAILABLE', retriable: true });
    client.close(); // before the reconnect (due in 25-50 ms) fires
    await new Promise((r) => setTimeout(r, 80));
    expect(sockets).toHaveLength(1);
  });

  it('turns an error frame answering a request into a SpoolError', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    const producing = client.produce('missing', [{ value: 1 }]);
    await settle();
    const request = socket.ofType('produce')[0]!;
    socket.receive({ type: 'error', id: request.id, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no topic missing', retriable: false, details: { topic: 'missing' } });
    const err = await producing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpoolError);
    expect(err).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', details: { topic: 'missing' } });
    client.close();
  });
});

describe('GroupMembership commits', () => {
  async function joined(client: SpoolClient, socket: FakeWebSocket, handled: RecordsBatch[]) {
    const joining = client.join('dashboard', ['page-views'], { autoCommitIntervalMs: 0, from: 'earliest' }, (b) => {
      handled.push(b);
    });
    await settle();
    const request = socket.ofType('join')[0]!;
    socket.receive({ type: 'assigned', id: request.id, group: 'dashboard', memberId: 'm-1', generationId: 3, partitions: [{ topic: 'page-views', partition: 0, offset: 10 }, { topic: 'page-views', partition: 1, offset: 0 }] });
    socket.ack('join', { group: 'dashboard', memberId: 'm-1', generationId: 3 });
    return { membership: await joining, id: request.id as string };
  }

  it('commits the next offset of what the handler finished, with the generation it was delivered in', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    const handled: RecordsBatch[] = [];
    const { membership, id } = await joined(client, socket, handled);
    expect(membership.memberId).toBe('m-1');
    expect(membership.assignment).toEqual([{ topic: 'page-views', partition: 0 }, { topic: 'page-views', partition: 1 }]);
    socket.receive(recordsFrame(id, 'page-views', 0, [10, 11, 12]));
    await settle();
    expect(handled[0]).toMatchObject({ partition: 0, generationId: 3 });
    const committing = membership.commitHandled();
    await settle();
    expect(socket.ofType('commit')).toEqual([
      { type: 'commit', id: expect.any(String), group: 'dashboard', offsets: [{ topic: 'page-views', partition: 0, offset: 13 }], generationId: 3 },
    ]);
    socket.ack('commit');
    await committing;
    // Nothing new handled: nothing to commit.
    await membership.commitHandled();
    expect(socket.ofType('commit')).toHaveLength(1);
    client.close();
  });

  it('commits a revoked partition’s handled offset and forgets the partition', async () => {
    const { client, sockets } = setup();
    const socket = await connected(client, sockets);
    const revoked: unknown[] = [];
    const handled: RecordsBatch[] = [];
    const joining = client.join('dashboard', ['page-views'], { autoCommitIntervalMs: 0, onRevoked: (p, g) => revoked.push({ p, g }) }, (b) => {
      handled.push(b);
    });
    await settle();
    const id = socket.ofType('join')[0]!.id as string;
    socket.receive({ type: 'assigned', id, group: 'dashboard', memberId: 'm-1', generationId: 1, partitions: [{ topic: 'page-views', partition: 0, offset: 0 }, { topic: 'page-views', partition: 1, offset: 0 }] });
    socket.ack('join', { memberId: 'm-1', generationId: 1 });
    const membership = await joining;
    socket.receive(recordsFrame(id, 'page-views', 1, [0, 1]));
    await settle();
    socket.receive({ type: 'revoked', id, group: 'dashboard', generationId: 1, partitions: [{ topic: 'page-views', partition: 1, offset: 2 }] });
    await settle();
    expect(socket.ofType('commit')).toEqual([{ type: 'commit', id: expect.any(String), group: 'dashboard', offsets: [{ topic: 'page-views', partition: 1, offset: 2 }] }]);
    expect(revoked).toEqual([{ p: [{ topic: 'page-views', partition: 1 }], g: 1 }]);
    expect(membership.assignment).toEqual([{ topic: 'page-views', partition: 0 }]);
    await membership.commitHandled(); // partition 1's offset was committed on revocation, not again
    expect(socket.ofType('commit')).toHaveLength(1);
    client.close();
  });

  it('rejoins after a reconnect and forgets uncommitted offsets of the old membership', async () => {
    const { client, sockets } = setup();
    const first = await connected(client, sockets);
    const handled: RecordsBatch[] = [];
    const { membership, id } = await joined(client, first, handled);
    first.receive(recordsFrame(id, 'page-views', 0, [10, 11]));
    await settle();
    first.drop();
    await until(() => sockets.length === 2, 'a reconnect');
    const second = sockets[1]!;
    second.open();
    await until(() => second.ofType('join').length === 1, 'the rejoin');
    expect(second.ofType('join')[0]).toMatchObject({ id, group: 'dashboard', topics: ['page-views'] });
    expect(membership.assignment).toEqual([]); // nothing owned until the broker assigns again
    await membership.commitHandled();
    expect(second.ofType('commit')).toEqual([]); // handled under the lost membership: not committed with a new generation
    // Redelivery from the committed offset: records this session already handled are skipped.
    second.receive({ type: 'assigned', id, group: 'dashboard', memberId: 'm-2', generationId: 4, partitions: [{ topic: 'page-views', partition: 0, offset: 10 }] });
    second.receive(recordsFrame(id, 'page-views', 0, [10, 11, 12]));
    await settle();
    expect(handled.map((b) => b.records.map((r) => r.offset))).toEqual([[10, 11], [12]]);
    expect(handled[1]!.generationId).toBe(4);
    client.close();
  });
});
