/**
 * The compiled broker's Kafka observability, judged by real clients: kcat's (librdkafka's)
 * requests show up per API and version in /metrics, with their error codes, bytes and times; its
 * open connection is counted under the software name and version its ApiVersions v3 sent; and
 * refused requests (unknown API, unserved version, undecodable body, oversized frame, Produce v0-2) each produce one
 * warn line with who and why, rate-limited, while the refusal counter counts them all.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KafkaApiKey, decodeKafkaResponseFrame, encodeKafkaRequestFrame, type ApiVersionsResponse } from '@spool/protocol';
import { KafkaFrameParser } from '../src/kafka/kafka-frame-parser.js';
import { requireKcat } from '../src/kafka/testing/kafka.test-util.js';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const run = promisify(execFile);

let dataDir: string;
let server: ServerProcess;
let bootstrap: string;
let kafkaPort: number;
let kcat: string;

beforeAll(async () => {
  assertBuilt();
  kcat = requireKcat();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-kafka-obs-'));
  const httpPort = await freePort();
  kafkaPort = await freePort();
  bootstrap = `127.0.0.1:${kafkaPort}`;
  server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'info' });
  await server.waitUntilReady();
});

afterAll(async () => {
  await server?.kill();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

/** `name{labels} value` lines of the exposition, as { labels: value } for one metric name. */
async function scrape(name: string): Promise<Map<string, number>> {
  const text = await (await server.get('/metrics')).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(name.length, at), Number(line.slice(at + 1)));
  }
  return out;
}

function sample(series: Map<string, number>, labels: Record<string, string>): number {
  for (const [key, value] of series) {
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return 0;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends frames on a fresh connection; resolves with the response frames once the broker closes it (or after `expect` frames). */
async function exchange(frames: Buffer[], expect: number | 'close'): Promise<Buffer[]> {
  const socket = net.connect(kafkaPort, '127.0.0.1');
  const parser = new KafkaFrameParser(1 << 30);
  const responses: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ${expect === 'close' ? 'close' : `${expect} responses`} within 10 s (got ${responses.length})`));
    }, 10_000);
    socket.on('data', (d) => {
      responses.push(...parser.push(d));
      if (expect !== 'close' && responses.length >= expect) {
        clearTimeout(timer);
        socket.end();
        resolve(responses);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(responses);
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      for (const f of frames) socket.write(f);
    });
  });
}

function refusalLines(reason: string): Array<Record<string, unknown>> {
  return server.logLines().filter((l) => l.level === 'warn' && l.reason === reason);
}

describe('Kafka protocol metrics', () => {
  it("count kcat's requests per API and version, with error codes, bytes and time", async () => {
    const topic = 'observed';
    const child = spawn(kcat, ['-b', bootstrap, '-P', '-t', topic], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.end('a\nb\nc\n');
    await new Promise((resolve) => child.once('exit', resolve));
    const { stdout } = await run(kcat, ['-b', bootstrap, '-C', '-t', topic, '-e', '-f', '%s\\n'], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual(['a', 'b', 'c']);

    const requests = await scrape('spool_kafka_requests_total');
    for (const api of ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets']) {
      expect(sample(requests, { request: api })).toBeGreaterThan(0);
    }
    // Each series carries the version the client used; Produce from librdkafka 2.0 is v7+.
    const produceVersions = [...requests.keys()].filter((k) => k.includes('request="Produce"')).map((k) => Number(/version="(\d+)"/.exec(k)![1]));
    expect(Math.min(...produceVersions)).toBeGreaterThanOrEqual(3);

    const errors = await scrape('spool_kafka_request_errors_total');
    expect(sample(errors, { request: 'Produce', error: 'NONE' })).toBeGreaterThanOrEqual(1);
    expect(sample(errors, { request: 'Fetch', error: 'NONE' })).toBeGreaterThanOrEqual(1);
    expect(sample(await scrape('spool_kafka_request_bytes_total'), { request: 'Produce' })).toBeGreaterThan(3);
    expect(sample(await scrape('spool_kafka_response_bytes_total'), { request: 'Fetch' })).toBeGreaterThan(3);
    expect(sample(await scrape('spool_kafka_request_total_time_seconds_count'), { request: 'Produce' })).toBeGreaterThanOrEqual(1);
    expect(sample(await scrape('spool_kafka_request_total_time_seconds_bucket'), { request: 'Produce', le: '+Inf' })).toBeGreaterThanOrEqual(1);
    // One connection per kcat run (the bootstrap connection is reused for the broker).
    expect([...(await scrape('spool_kafka_connections_created_total')).values()][0]).toBeGreaterThanOrEqual(2);
  });

  it('count open connections by the client software that ApiVersions v3 named', async () => {
    // A consumer that stays connected: kcat -C without -e.
    const child = spawn(kcat, ['-b', bootstrap, '-C', '-t', 'observed', '-o', 'end'], { stdio: ['ignore', 'ignore', 'ignore'] });
    try {
      let librdkafka: [string, number] | undefined;
      await until('kcat counted under its software name', async () => {
        librdkafka = [...(await scrape('spool_kafka_connections')).entries()].find(([labels, value]) => labels.includes('client_software_name="librdkafka"') && value >= 1);
        return librdkafka !== undefined;
      });
      expect(librdkafka![0]).toMatch(/client_software_version="v?2\.\d+\.\d+"/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await until('the connection uncounted', async () => sample(await scrape('spool_kafka_connections'), { client_software_name: 'librdkafka' }) === 0);
  });
});

describe('Kafka refusals', () => {
  const header = (apiKey: number, apiVersion: number, correlationId = 1) => ({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'looping-client' });

  it('an unknown API closes the connection and is logged once at warn per interval however often it recurs', async () => {
    // ApiVersions v3 first, so the line names the software; then apiKey 1000 (no such API).
    const hello = encodeKafkaRequestFrame(header(KafkaApiKey.ApiVersions, 3), { clientSoftwareName: 'spool-test', clientSoftwareVersion: '1.2.3' });
    const bogus = Buffer.alloc(4 + 10);
    bogus.writeInt32BE(10, 0);
    bogus.writeInt16BE(1000, 4);
    bogus.writeInt16BE(0, 6);
    bogus.writeInt32BE(7, 8);
    bogus.writeInt16BE(-1, 12); // null client id
    for (let i = 0; i < 5; i++) {
      const responses = await exchange([hello, bogus], 'close');
      expect(responses).toHaveLength(1); // ApiVersions answered, then closed
    }
    await until('5 refusals counted', async () => sample(await scrape('spool_kafka_refusals_total'), { reason: 'unsupported_api' }) === 5);
    const lines = refusalLines('unsupported_api');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      component: 'kafka',
      apiKey: 1000,
      apiVersion: 0,
      clientId: null,
      clientSoftwareName: 'spool-test',
      clientSoftwareVersion: '1.2.3',
      clientAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      closesConnection: true,
      suppressed: 0,
    });
    expect(lines[0].msg).toBe('kafka request refused: unknown apiKey 1000');
  });

  it('an undecodable request body is logged with the API, version and what failed', async () => {
    const metadata = encodeKafkaRequestFrame(header(KafkaApiKey.Metadata, 9), { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    // Cut short of its last field (bytes after the last field would be accepted, as Kafka accepts them).
    const truncated = Buffer.from(metadata.subarray(0, metadata.length - 2));
    truncated.writeInt32BE(truncated.length - 4, 0);
    expect(await exchange([truncated], 'close')).toHaveLength(0);
    await until('the warn line', () => refusalLines('undecodable').length === 1);
    expect(refusalLines('undecodable')[0]).toMatchObject({ request: 'Metadata', apiKey: 3, apiVersion: 9, clientId: 'looping-client', closesConnection: true });
    expect(refusalLines('undecodable')[0].msg).toMatch(/^kafka request refused: Metadata v9 request does not decode: .*needs 1 bytes/);
  });

  it('a served API at a version Spool does not serve is logged and counted; an error code in an answer is counted by name', async () => {
    // Metadata v13 (not served: the codecs stop at v12): a v12 frame with the header's version raised.
    // Its response has no top-level error code to answer with, so the connection closes, as Kafka does.
    const v12 = encodeKafkaRequestFrame(header(KafkaApiKey.Metadata, 12), { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const v13 = Buffer.from(v12);
    v13.writeInt16BE(13, 6);
    expect(await exchange([v13], 'close')).toHaveLength(0);
    await until('the warn line', () => refusalLines('unsupported_version').some((l) => l.request === 'Metadata'));
    expect(refusalLines('unsupported_version').find((l) => l.request === 'Metadata')).toMatchObject({ apiKey: 3, apiVersion: 13, clientId: 'looping-client', closesConnection: true });
    expect(sample(await scrape('spool_kafka_refusals_total'), { reason: 'unsupported_version', request: 'Metadata' })).toBe(1);

    // Answered, with an error inside: a topic that does not exist.
    const [answer] = await exchange([encodeKafkaRequestFrame(header(KafkaApiKey.Metadata, 12), { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'no-such-topic' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })], 1);
    expect(answer.length).toBeGreaterThan(0);
    await until('the error counted', async () => sample(await scrape('spool_kafka_request_errors_total'), { request: 'Metadata', error: 'UNKNOWN_TOPIC_OR_PARTITION' }) >= 1);
  });

  it('a frame above socket.request.max.bytes is logged before anything is allocated for it', async () => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(0x7fffffff, 0);
    expect(await exchange([prefix], 'close')).toHaveLength(0);
    await until('the warn line', () => refusalLines('frame_too_large').length === 1);
    expect(refusalLines('frame_too_large')[0].msg).toBe('kafka request refused: request size prefix 2147483647 exceeds socket.request.max.bytes 104857600');
  });

  it('Produce v0-2 (message format v0/v1) is logged as refused', async () => {
    const [versionsFrame] = await exchange([encodeKafkaRequestFrame(header(KafkaApiKey.ApiVersions, 0), {})], 1);
    const versions = decodeKafkaResponseFrame<ApiVersionsResponse>(KafkaApiKey.ApiVersions, 0, versionsFrame).body;
    const produce = versions.apiKeys.find((a) => a.apiKey === KafkaApiKey.Produce)!;
    const request = encodeKafkaRequestFrame(header(KafkaApiKey.Produce, 2), { transactionalId: null, acks: 1, timeoutMs: 1_000, topicData: [{ name: 'observed', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }] });
    // Answered per partition while v0-2 is advertised; refused as a version once the floor is 3 (KIP-896).
    const reason = produce.minVersion <= 2 ? 'unsupported_message_format' : 'unsupported_version';
    await exchange([request], produce.minVersion <= 2 ? 1 : 'close');
    await until('the warn line', () => refusalLines(reason).some((l) => l.request === 'Produce'));
    expect(refusalLines(reason).find((l) => l.request === 'Produce')).toMatchObject({ apiKey: 0, apiVersion: 2, clientId: 'looping-client' });
    expect(sample(await scrape('spool_kafka_refusals_total'), { reason, request: 'Produce' })).toBe(1);
  });
});
