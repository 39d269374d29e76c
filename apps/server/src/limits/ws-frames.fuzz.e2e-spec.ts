/**
 * Property-based fuzz of the WebSocket face: client frames generated from the AsyncAPI document's
 * own schemas (docs/asyncapi.yaml, operation sendToServer), half of them mutated (a field dropped,
 * retyped, set to an edge value, an unknown one added), sent to a real server on a real socket.
 *
 * Properties: after every frame the connection is open and still answers (a sentinel frame gets
 * its error frame); at the end the server is healthy (a fresh connection produces and
 * subscribes), the heap grew by less than a generous bound, and the topics hold exactly the
 * records the server acknowledged (nothing appended that was not acknowledged). FUZZ_RUNS sets
 * the number of frames (default 10,000), FUZZ_SEED the seed (printed on failure, with the frame
 * fast-check shrank the failure to: keep it as a case in REGRESSIONS below).
 */
import fc from 'fast-check';
import { load as loadYaml } from 'js-yaml';
import { readFile } from 'node:fs/promises';
import { FAST_GROUPS, httpJson, startStreamingServer, TestSocket, type Frame, type StreamingServer } from '../ws/testing/streaming.test-util.js';
import { arbitraryFor, mutated, type JsonSchema } from './schema-arbitrary.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0018);
const TOPICS = ['fz-a', 'fz-b'];
const HEAP_GROWTH_BOUND_BYTES = 256 * 1024 * 1024;

/** Frames that once broke a property (none so far); each is replayed before the generated ones. */
const REGRESSIONS: readonly unknown[] = [];

/** Most produce frames keep the default formats: the schema's independent optional fields rarely combine into a valid frame. */
function plainProduce(frame: unknown, plain: boolean): unknown {
  if (!plain || typeof frame !== 'object' || frame === null || (frame as Frame).type !== 'produce') return frame;
  const { format: _f, keyFormat: _k, valueFormat: _v, keySchema: _ks, valueSchema: _vs, ...rest } = frame as Frame;
  return rest;
}

describe('WebSocket frames fuzz (AsyncAPI schemas)', () => {
  let server: StreamingServer;
  let ws: TestSocket;
  /** Offsets the server acknowledged per topic-partition, from produce acks. */
  const acked = new Map<string, number>();

  beforeAll(async () => {
    // No auto-creation: a fuzzed topic name must not create topics (and must be refused).
    server = await startStreamingServer({ http: { autoCreateTopicsEnable: false }, coordinator: FAST_GROUPS });
    for (const [i, name] of TOPICS.entries()) expect((await httpJson(server.url, 'POST', '/v1/topics', { name, partitions: i + 1 })).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
  });

  const noteAcks = (frame: Frame): void => {
    if (frame.type !== 'ack' || !Array.isArray(frame.results)) return;
    for (const result of frame.results as { partition: number; offset?: number; error?: unknown }[]) {
      if (result.error === undefined && typeof result.offset === 'number') {
        const key = `${String(frame.topic ?? '')}/${result.partition}`;
        acked.set(key, (acked.get(key) ?? 0) + 1);
      }
    }
  };

  async function open(): Promise<TestSocket> {
    const socket = await TestSocket.open(server.wsUrl);
    socket.ws.on('message', (data) => noteAcks(JSON.parse(String(data)) as Frame));
    return socket;
  }

  it(`keeps the connection and the server healthy over ${RUNS} generated and mutated frames, and appends only what it acknowledges`, async () => {
    const doc = loadYaml(await readFile(new URL('../../../../docs/asyncapi.yaml', import.meta.url), 'utf8')) as JsonSchema;
    const messages = (doc.components as { messages: Record<string, { payload: JsonSchema }> }).messages;
    const names = ((doc.operations as Record<string, { messages: { $ref: string }[] }>).sendToServer.messages).map((m) => m.$ref.split('/').pop()!);
    const ctx = {
      root: doc,
      strings: {
        topic: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...TOPICS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
        topics: fc.constantFrom(...TOPICS),
        group: fc.constantFrom('fz-g1', 'fz-g2', ''),
        id: fc.string({ minLength: 1, maxLength: 6 }),
        token: fc.string({ maxLength: 20 }),
      },
      // Mostly valid where validity is narrow, so that well-formed produce frames are appended.
      values: {
        partition: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 3 }) }),
        timestamp: fc.integer({ min: 0, max: 2 ** 41 }),
        headers: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
      },
    };
    const wellFormed = fc.tuple(fc.oneof(...names.map((name) => arbitraryFor(ctx, messages[name].payload))), fc.nat(3)).map(([frame, n]) => plainProduce(frame, n > 0));
    // acks none is answered before the append: its records could not be counted below.
    const withoutAcksNone = (frame: unknown): unknown => {
      if (typeof frame === 'object' && frame !== null && (frame as Frame).acks === 'none') delete (frame as Frame).acks;
      return frame;
    };
    const frames = fc.oneof(wellFormed, mutated(wellFormed)).map(withoutAcksNone);

    ws = await open();
    let sentinel = 0;
    const answers = async (frame: unknown): Promise<boolean> => {
      if (ws.ws.readyState !== ws.ws.OPEN) return false;
      ws.send(JSON.stringify(frame));
      const id = `sentinel-${sentinel++}`;
      ws.send({ type: 'unsubscribe', id });
      const reply = await ws.next((f) => f.id === id, 10_000).catch(() => null);
      return reply !== null && ws.ws.readyState === ws.ws.OPEN;
    };
    for (const frame of REGRESSIONS) expect(await answers(frame)).toBe(true);
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(frames, async (frame) => {
        // Frames kept by the test client are dropped as they go: only the sentinels are looked up.
        ws.frames.length = 0;
        return answers(frame);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
    await ws.close();

    // Healthy: a new connection produces and reads back.
    const fresh = await open();
    const produced = await fresh.request({ type: 'produce', id: 'health', topic: 'fz-b', records: [{ value: 'ok' }] });
    expect(produced.type).toBe('ack');
    const subscribed = await fresh.request({ type: 'subscribe', id: 'health-sub', topic: 'fz-b', from: 'earliest' });
    expect(subscribed.type).toBe('ack');
    await fresh.close();

    // Nothing appended that was not acknowledged (and everything acknowledged is there); the
    // generated produce frames did reach the log (the property is not vacuous).
    expect([...acked.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS / 100);
    for (const [i, topic] of TOPICS.entries()) {
      for (let partition = 0; partition <= i; partition++) {
        const offsets = await httpJson(server.url, 'GET', `/v1/topics/${topic}/partitions/${partition}/offsets`);
        expect({ topic, partition, records: offsets.body.latest }).toEqual({ topic, partition, records: acked.get(`${topic}/${partition}`) ?? 0 });
      }
    }
  }, 300_000);
});
