/** SSE: event stream format, exact resume with Last-Event-ID, heartbeats, errors, groups. */
import http from 'node:http';
import { httpJson, produceHttp, startStreamingServer, type StreamingServer } from '../ws/testing/streaming.test-util.js';

let server: StreamingServer;

beforeAll(async () => {
  server = await startStreamingServer();
});
afterAll(async () => {
  await server.close();
});

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Opens an SSE stream and parses events until `stop` returns true; then closes it. */
/** `events` are every event; `records` only the record events (no `event:` name). */
function readEvents(
  path: string,
  headers: Record<string, string>,
  stop: (events: SseEvent[], raw: string, records: SseEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<{ events: SseEvent[]; records: SseEvent[]; raw: string; status: number; type: string; topicIdHeader: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(server.url + path, { headers }, (res) => {
      let raw = '';
      const events: SseEvent[] = [];
      const recordEvents: SseEvent[] = [];
      let buffered = '';
      const timer = setTimeout(() => (req.destroy(), reject(new Error(`timeout; got ${raw.slice(-500)}`))), timeoutMs);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event: SseEvent = { data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              event.data = line.slice(6);
              isEvent = true;
            }
          }
          if (isEvent) events.push(event);
          if (isEvent && event.event === undefined) recordEvents.push(event);
        }
        if (stop(events, raw, recordEvents)) {
          clearTimeout(timer);
          req.destroy();
          resolve(result());
        }
      });
      const result = () => ({ events, records: recordEvents, raw, status: res.statusCode ?? 0, type: String(res.headers['content-type']), topicIdHeader: res.headers['spool-topic-id'] as string | undefined });
      res.on('end', () => (clearTimeout(timer), resolve(result())));
    });
    req.on('error', () => undefined);
  });
}

describe('SSE', () => {
  it('streams records with position ids and resumes exactly from Last-Event-ID', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sse', partitions: 3 });
    const produced = Array.from({ length: 30 }, (_, i) => ({ value: { n: i }, partition: i % 3 }));
    await produceHttp(server.url, 'sse', produced);
    const first = await readEvents('/v1/topics/sse/events?from=earliest', {}, (_e, _raw, records) => records.length >= 13);
    expect(first.type).toMatch(/^text\/event-stream/);
    const seen = first.records.slice(0, 13);
    const last = seen[seen.length - 1];
    expect(last.id).toMatch(/^\d+:\d+(,\d+:\d+)*$/);
    // Reconnect as EventSource does, with the last id seen; more records are produced meanwhile.
    await produceHttp(server.url, 'sse', [{ value: { n: 30 }, partition: 0 }, { value: { n: 31 }, partition: 2 }]);
    const rest = await readEvents('/v1/topics/sse/events?from=earliest', { 'last-event-id': last.id! }, (_e, _raw, records) => records.length >= 32 - 13, 10_000);
    const got = [...seen, ...rest.records.slice(0, 32 - 13)].map((e) => JSON.parse(e.data) as { partition: number; offset: number; value: { n: number } });
    const keys = got.map((r) => `${r.partition}:${r.offset}`);
    expect(new Set(keys).size).toBe(32); // no duplicate
    expect(got.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i)); // no gap
    for (const p of [0, 1, 2]) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });

  it('describes the topic first, with its Kafka topic id (a recreated topic has a new one)', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sse-id', partitions: 2 });
    const idOf = async (): Promise<string> => (await httpJson(server.url, 'GET', '/v1/topics/sse-id')).body.id as string;
    const firstId = await idOf();
    expect(firstId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const opened = await readEvents('/v1/topics/sse-id/events', {}, (events) => events.length >= 1);
    expect(opened.events[0]).toEqual({ event: 'topic', data: JSON.stringify({ topic: 'sse-id', topicId: firstId, partitions: 2 }) });
    expect(opened.topicIdHeader).toBe(firstId);
    expect((await httpJson(server.url, 'DELETE', '/v1/topics/sse-id')).status).toBe(204);
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sse-id', partitions: 1 });
    const secondId = await idOf();
    expect(secondId).not.toBe(firstId);
    const reopened = await readEvents('/v1/topics/sse-id/events', {}, (events) => events.length >= 1);
    expect(JSON.parse(reopened.events[0].data)).toEqual({ topic: 'sse-id', topicId: secondId, partitions: 1 });
    expect(reopened.topicIdHeader).toBe(secondId);
  });

  it('after DeleteRecords, from=earliest starts at the new logStartOffset', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sse-trimmed', partitions: 1 });
    await produceHttp(server.url, 'sse-trimmed', Array.from({ length: 5 }, (_, n) => ({ value: { n } })));
    expect((await httpJson(server.url, 'POST', '/v1/topics/sse-trimmed/partitions/0/delete-records', { offset: 3 })).body.logStartOffset).toBe(3);
    const read = await readEvents('/v1/topics/sse-trimmed/events?from=earliest', {}, (_e, _raw, records) => records.length >= 2);
    expect(read.records.map((e) => JSON.parse(e.data).offset)).toEqual([3, 4]);
    expect((await httpJson(server.url, 'GET', '/v1/topics/sse-trimmed/events?from=1')).body.error.code).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('sends heartbeat comments on idle streams', async () => {
    const quick = await startStreamingServer({ sse: { heartbeatMs: 100 } });
    try {
      await httpJson(quick.url, 'POST', '/v1/topics', { name: 'idle' });
      const url = server.url;
      (server as { url: string }).url = quick.url; // readEvents reads server.url
      try {
        const { raw } = await readEvents('/v1/topics/idle/events', {}, (_e, text) => text.split(': heartbeat').length > 2);
        expect(raw.startsWith('retry: 1000\n')).toBe(true);
      } finally {
        (server as { url: string }).url = url;
      }
    } finally {
      await quick.close();
    }
  });

  it('answers a bad query or unknown topic with the JSON error envelope', async () => {
    expect((await httpJson(server.url, 'GET', '/v1/topics/nope/events')).status).toBe(404);
    expect((await httpJson(server.url, 'GET', '/v1/topics/sse/events?from=soon')).body.error.code).toBe('INVALID_REQUEST');
    const bad = await fetch(server.url + '/v1/topics/sse/events', { headers: { 'last-event-id': 'garbage' } });
    expect(bad.status).toBe(400);
  });

  it('with group=, joins the group, auto-commits what it wrote and resumes from the committed offsets', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sseg', partitions: 2 });
    await produceHttp(server.url, 'sseg', [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }, { value: 'c', partition: 0 }]);
    const first = await readEvents('/v1/topics/sseg/events?group=sse-group&from=earliest', {}, (events) => events.filter((e) => e.event === undefined).length >= 3);
    expect(first.events.map((e) => e.event)[0]).toBe('topic');
    expect(first.events[1].event).toBe('assigned');
    await new Promise((r) => setTimeout(r, 300)); // the stream commits and leaves on close
    const described = await httpJson(server.url, 'GET', '/v1/groups/sse-group');
    expect(described.body.offsets.map((o: { partition: number; committedOffset: number }) => [o.partition, o.committedOffset])).toEqual([[0, 2], [1, 1]]);
    await produceHttp(server.url, 'sseg', [{ value: 'd', partition: 1 }]);
    const second = await readEvents('/v1/topics/sseg/events?group=sse-group&from=earliest', {}, (events) => events.some((e) => e.event === undefined));
    expect(second.events.filter((e) => e.event === undefined).map((e) => JSON.parse(e.data).value)).toEqual(['d']);
  });
});
