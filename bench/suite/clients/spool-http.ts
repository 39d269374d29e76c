/**
 * Spool's HTTP API as the benches use it: create a topic, produce batches (prefill), and fetch
 * with long-polls over keep-alive sockets (node:http, not fetch: less client CPU per request).
 */
import http from 'node:http';
import { httpProduceBody, recordsPerBatch } from '../records.js';

export async function createTopic(port: number, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, partitions, configs }),
  });
  if (res.status !== 201) throw new Error(`creating topic ${name} answered ${res.status}: ${await res.text()}`);
}

export interface FetchAnswer {
  readonly records: ReadonlyArray<{ readonly offset: number; readonly value: unknown }>;
  readonly nextOffset: number;
  readonly highWatermark: number;
}

export function httpJson<T>(agent: http.Agent, port: number, method: 'GET' | 'POST', path: string, body?: Buffer): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, path, method, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch {
            reject(new Error(`${method} ${path} answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function fetchRecords(agent: http.Agent, port: number, topic: string, partition: number, offset: number, waitMs: number, maxRecords = 10_000): Promise<FetchAnswer> {
  const path = `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&waitMs=${waitMs}&maxRecords=${maxRecords}&maxBytes=4194304`;
  const res = await httpJson<FetchAnswer>(agent, port, 'GET', path);
  if (res.status !== 200) throw new Error(`fetch ${topic}/${partition}@${offset} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
  return res.body;
}

/**
 * Appends `count` records of `valueBytes` to `topic` over HTTP (8 requests in flight), for the
 * consume workloads to read back. Unkeyed requests go round robin over the partitions.
 */
export async function prefillHttp(port: number, topic: string, count: number, valueBytes: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const perBatch = recordsPerBatch(valueBytes);
  const body = httpProduceBody(perBatch, valueBytes);
  let left = Math.ceil(count / perBatch);
  const lane = async () => {
    while (left > 0) {
      left--;
      const res = await httpJson<unknown>(agent, port, 'POST', `/v1/topics/${topic}/records`, body);
      if (res.status !== 200) throw new Error(`prefill of ${topic} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  agent.destroy();
}
