/**
 * The JSON bridge with real clients at both ends: kafkajs producing Avro encoded by
 * `@kafkajs/confluent-schema-registry`, and Debian's headless Chromium (playwright-core, no
 * browser downloaded) on the broker's WebSocket with the browser's own WebSocket API.
 *  - Kafka -> browser: the browser subscribes with valueFormat json and gets the Avro records as
 *    JSON, with their schema id;
 *  - browser -> Kafka: the browser produces plain JSON naming the subject (valueSchema), and a
 *    kafkajs consumer decodes the stored records with the Confluent client, unmodified.
 */
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { http } from '../http/testing/http-api.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';

// Functions passed to page.evaluate run in the page; the root tsconfig has no DOM lib.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const WebSocket: any;

const CHROMIUM = '/usr/bin/chromium';
const TOPIC = 'orders';
const ORDER = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'string' }, { name: 'total', type: 'double' }, { name: 'note', type: ['null', 'string'], default: null }] };

let broker: KafkaTestBroker;
let browser: BrowserContext;
let page: Page;
let profile: string;
let registry: ConfluentClient;
let kafka: Kafka;
let orderId: number;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  broker = await startKafkaTestBroker({ ws: {} });
  registry = new ConfluentClient({ host: `${broker.httpUrl}/schemas`, retry: { retries: 0 } });
  orderId = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER) }, { subject: `${TOPIC}-value` })).id;
  expect((await http(broker.httpUrl, 'POST', '/v1/topics', { name: TOPIC, partitions: 1 })).status).toBe(201);
  kafka = new Kafka({ clientId: 'schema-browser', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.goto(`${broker.httpUrl}/healthz`);
  // A small helper in the page: one WebSocket, frames by id, records collected.
  await page.evaluate(async (wsUrl: string) => {
    const w = window;
    w.records = [];
    w.answers = {};
    w.ws = new WebSocket(wsUrl);
    w.ws.onmessage = (e: any) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'records') w.records.push(...frame.records);
      else if (frame.id !== undefined) w.answers[frame.id] = frame;
    };
    await new Promise((resolve, reject) => ((w.ws.onopen = resolve), (w.ws.onerror = reject)));
    w.request = (frame: any) =>
      new Promise((resolve) => {
        w.ws.send(JSON.stringify(frame));
        const poll = () => (w.answers[frame.id] ? resolve(w.answers[frame.id]) : setTimeout(poll, 10));
        poll();
      });
  }, broker.wsUrl);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

it('a browser reads Avro produced by kafkajs as JSON over WebSocket', async () => {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: TOPIC,
      messages: [
        { key: 'a', value: await registry.encode(orderId, { id: 'o1', total: 9.5, note: null }) },
        { key: 'b', value: await registry.encode(orderId, { id: 'o2', total: 20, note: 'gift' }) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  const ack = await page.evaluate(() => window.request({ type: 'subscribe', id: 's', topic: 'orders', from: 'earliest', valueFormat: 'json' }));
  expect(ack).toMatchObject({ type: 'ack', id: 's' });
  await page.waitForFunction(() => window.records.length >= 2, undefined, { timeout: 20_000 });
  const records = (await page.evaluate(() => window.records)) as Array<{ key: string; value: unknown; valueSchemaId: number }>;
  expect(records.slice(0, 2).map((r) => [r.key, r.value, r.valueSchemaId])).toEqual([
    ['a', { id: 'o1', total: 9.5, note: null }, orderId],
    ['b', { id: 'o2', total: 20, note: 'gift' }, orderId],
  ]);
});

it('a browser produces JSON that a kafkajs consumer decodes as Avro with the Confluent client', async () => {
  const ack = (await page.evaluate(() =>
    window.request({ type: 'produce', id: 'p', topic: 'orders', valueSchema: {}, records: [{ key: 'c', value: { id: 'o3', total: 1.25, note: 'from the browser' } }] }),
  )) as { type: string; results: Array<{ offset: number }> };
  expect(ack.type).toBe('ack');
  const offset = ack.results[0].offset;
  const refused = (await page.evaluate(() => window.request({ type: 'produce', id: 'q', topic: 'orders', valueSchema: {}, records: [{ value: { id: 'o4', total: 'a lot' } }] }))) as Record<string, any>;
  expect(refused).toMatchObject({ type: 'error', code: 'SCHEMA_VALIDATION_FAILED' });
  expect(refused.details.records[0].issues[0].path).toBe('/total');

  const consumer = kafka.consumer({ groupId: 'browser-orders' });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const decoded = await new Promise<unknown>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (Number(message.offset) === offset) resolve(await registry.decode(message.value!));
          },
        })
        .catch(reject);
    });
    expect(decoded).toEqual({ id: 'o3', total: 1.25, note: 'from the browser' });
  } finally {
    await consumer.disconnect();
  }
});
