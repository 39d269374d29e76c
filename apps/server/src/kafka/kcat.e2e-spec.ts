/**
 * kcat (librdkafka, Debian's build) against the broker: metadata, produce with keys and headers,
 * consume, every compression codec, and one system with the HTTP API both ways.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { http } from '../http/testing/http-api.test-util.js';
import { requireKcat, startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const run = promisify(execFile);

let broker: KafkaTestBroker;
let kcat: string;

beforeAll(async () => {
  kcat = requireKcat();
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
});

afterAll(async () => {
  await broker?.close();
});

async function kcatRun(args: string[], input?: string): Promise<string> {
  const child = run(kcat, ['-b', broker.bootstrap, ...args], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

describe('kcat', () => {
  it('-L lists this broker as node 0 and the topics with their partitions', async () => {
    await broker.logManager.createTopic('meta-t', 3);
    const out = JSON.parse(await kcatRun(['-L', '-J']));
    expect(out.brokers).toEqual([{ id: 0, name: broker.bootstrap }]);
    const topic = out.topics.find((t: { topic: string }) => t.topic === 'meta-t');
    expect(topic.partitions).toHaveLength(3);
    expect(topic.partitions[0]).toMatchObject({ partition: 0, leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] });
  });

  it('-P with keys and headers, then -C -e reads them back', async () => {
    const input = 'k1:v1\nk2:v2\nk3:v3\n';
    await kcatRun(['-P', '-t', 'kv', '-K', ':', '-H', 'h1=a', '-H', 'h2=b'], input);
    const out = await kcatRun(['-C', '-t', 'kv', '-e', '-f', '%k=%s|%h|%o\\n']);
    expect(out.trim().split('\n')).toEqual(['k1=v1|h1=a,h2=b|0', 'k2=v2|h1=a,h2=b|1', 'k3=v3|h1=a,h2=b|2']);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('-z %s batches are accepted, stored as sent and read back', async (codec) => {
    const topic = `z-${codec}`;
    const lines = Array.from({ length: 500 }, (_, i) => `key-${i}:value-${i}-${'x'.repeat(i % 50)}`);
    await kcatRun(['-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'linger.ms=50'], lines.join('\n') + '\n');
    const out = await kcatRun(['-C', '-t', topic, '-e', '-f', '%k:%s\\n']);
    expect(out.trim().split('\n')).toEqual(lines);
    // Stored as sent: batches carry the codec's id in their attributes (librdkafka may send a
    // tiny first batch uncompressed when compression would not shrink it).
    const codecs = new Set<number>();
    const stored = (await broker.logManager.getLog(topic, 0).read(0, 64 << 20)).records;
    for (let pos = 0; pos < stored.length; pos += stored.readInt32BE(pos + 8) + 12) codecs.add(stored.readInt16BE(pos + 21) & 0x07);
    expect(codecs).toContain({ gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec]);
  });

  it('a record produced with kcat reads over HTTP with the same key, value, headers and timestamp', async () => {
    await kcatRun(['-P', '-t', 'k2h', '-K', ':', '-H', 'trace=abc', '-H', 'empty='], 'the-key:the-value\n');
    const kcatView = (await kcatRun(['-C', '-t', 'k2h', '-e', '-f', '%T\n'])).trim();
    const res = await http(broker.httpUrl, 'GET', '/v1/topics/k2h/partitions/0/records?offset=0&format=string');
    expect(res.status).toBe(200);
    expect(res.body.records).toHaveLength(1);
    expect(res.body.records[0]).toMatchObject({ offset: 0, key: 'the-key', value: 'the-value', timestamp: Number(kcatView) });
    expect(res.body.records[0].headers).toEqual({ trace: 'abc', empty: '' });
  });

  it('a record produced over HTTP reads with kcat with the same key, value, headers and timestamp', async () => {
    // format=string marks the value text/plain (records/content-type.ts); a JSON value carries no header.
    const body = { format: 'string', records: [{ key: 'hk', value: 'hv', headers: { origin: 'http' }, timestamp: 1_700_000_123_456 }] };
    const res = await http(broker.httpUrl, 'POST', '/v1/topics/h2k/records', body);
    expect(res.status).toBe(200);
    const json = { records: [{ key: 'user-42', value: { n: 1 }, timestamp: 1_700_000_123_457 }] };
    expect((await http(broker.httpUrl, 'POST', '/v1/topics/h2k/records', json)).status).toBe(200);
    const out = await kcatRun(['-C', '-t', 'h2k', '-e', '-f', '%k|%s|%h|%T|%o\n']);
    expect(out.trim().split('\n')).toEqual(['hk|hv|origin=http,content-type=text/plain; charset=utf-8|1700000123456|0', 'user-42|{"n":1}||1700000123457|1']);
  });
});
