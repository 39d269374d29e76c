/**
 * Typed SDKs from the broker's AsyncAPI document, end to end, against a broker process: Avro,
 * Protobuf and JSON Schema (with a reference) registered through the Confluent REST API; the served
 * document (GET /asyncapi.yaml, one document with the protocol and a channel per topic) is a valid
 * AsyncAPI document for @asyncapi/parser, and shows a schema registered later without a restart;
 * `spool sdk generate` (the built CLI, a process) writes topics.ts from it; tsc compiles a program
 * that uses the types correctly and refuses one that puts a string in a long field; the compiled
 * program runs and produces and reads typed records through the broker.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';
import { load } from 'js-yaml';
import ts from 'typescript';
import { REPO_ROOT } from '../../server/test/server-process.test-util.js';
import { CliHarness, E2E_TIMEOUT_MS } from './cli-process.test-util.js';

const run = promisify(execFile);

const ORDER = {
  type: 'record', name: 'Order', namespace: 'shop', fields: [
    { name: 'id', type: 'string' },
    { name: 'amountCents', type: 'long' },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
  ],
};
const ORDER_KEY = { type: 'record', name: 'OrderKey', namespace: 'shop', fields: [{ name: 'id', type: 'string' }] };
const PAYMENT = `syntax = "proto3";
package pay;
message Payment {
  string id = 1;
  int64 amount = 2;
  oneof method {
    string card = 3;
    string iban = 4;
  }
  repeated string tags = 5;
  map<string, int32> counters = 6;
  Currency currency = 7;
}
enum Currency { EUR = 0; USD = 1; }
`;
const ADDRESS = { type: 'object', required: ['street', 'city'], properties: { street: { type: 'string' }, city: { type: 'string' } }, additionalProperties: false };
const PROFILE = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer' }, address: { $ref: 'address.json' } }, additionalProperties: false };

const GOOD = `import { spoolClient } from '@spool/sdk';
import { produceTo, subscribeTo, type TopicName, type TopicRecord, type Topics } from './topics.js';

const client = spoolClient(process.argv[2]);

async function first<T extends TopicName>(topic: T): Promise<TopicRecord<T>> {
  for await (const record of subscribeTo(client, topic, { offset: 0, waitMs: 5000 })) return record;
  throw new Error('no record');
}

const order: Topics['orders']['value'] = { id: 'o-1', amountCents: 1250, placedAt: 1767225600000, status: 'PAID', lines: [{ sku: 'a', qty: 2 }] };
await produceTo(client, 'orders', [{ key: { id: 'o-1' }, value: order }]);
await produceTo(client, 'payments', [{ value: { id: 'p-1', amount: '1250', card: '4111', tags: ['x'], counters: { a: 1 }, currency: 'USD' } }]);
await produceTo(client, 'profiles', [{ key: 'u-1', value: { name: 'Ada', address: { street: 'Main', city: 'Berlin' } } }]);

const readOrder = await first('orders');
const status: 'NEW' | 'PAID' = readOrder.value!.status;
const orderKey: string = readOrder.key!.id;
const payment = await first('payments');
const amount: string | undefined = payment.value!.amount;
const profile = await first('profiles');
const city: string | undefined = profile.value!.address?.city;
console.log(JSON.stringify({ status, orderKey, order: readOrder.value, valueSchemaId: readOrder.valueSchemaId, amount, payment: payment.value, city, profileKey: profile.key }));
`;

const BAD = `import { spoolClient } from '@spool/sdk';
import { produceTo } from './topics.js';

const client = spoolClient('http://127.0.0.1:1');
await produceTo(client, 'orders', [{ value: { id: 'o-2', amountCents: 'a lot', placedAt: 0, status: 'PAID', lines: [] } }]);
`;

let cli: CliHarness;
let dir: string;

beforeAll(async () => {
  cli = await CliHarness.start();
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-typed-sdk-'));
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await cli?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function register(subject: string, schemaType: string, schema: unknown, references: unknown[] = []): Promise<number> {
  const res = await fetch(`${cli.url}/schemas/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType, schema: typeof schema === 'string' ? schema : JSON.stringify(schema), references }),
  });
  const body = (await res.json()) as { id: number };
  if (res.status !== 200) throw new Error(`register ${subject}: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function createTopic(name: string): Promise<void> {
  const res = await fetch(`${cli.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions: 1 }) });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
}

/** tsc (the repository's TypeScript) on one file of `dir`, type checking only. */
async function tsc(file: string): Promise<{ code: number; output: string }> {
  try {
    const r = await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, `tsconfig.${file}.json`)], { cwd: dir, timeout: 120_000 });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

it('registers schemas, serves one valid AsyncAPI document with their topics, generates a typed SDK that compiles, refuses misuse and runs', async () => {
  const ids = {
    order: await register('orders-value', 'AVRO', ORDER),
    orderKey: await register('orders-key', 'AVRO', ORDER_KEY),
    payment: await register('payments-value', 'PROTOBUF', PAYMENT),
    address: await register('address', 'JSON', ADDRESS),
  };
  const profileId = await register('profiles-value', 'JSON', PROFILE, [{ name: 'address.json', subject: 'address', version: 1 }]);
  for (const topic of ['orders', 'payments', 'profiles']) await createTopic(topic);

  // One document: the protocol's channels and the topics', valid for the AsyncAPI parser.
  const yamlRes = await fetch(`${cli.url}/asyncapi.yaml`);
  expect(yamlRes.status).toBe(200);
  expect(yamlRes.headers.get('content-type')).toMatch(/^application\/yaml/);
  const yaml = await yamlRes.text();
  const parsed = await new Parser().parse(yaml);
  const errors = parsed.diagnostics.filter((d) => d.severity === 0);
  expect(errors.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
  expect(parsed.document).toBeDefined();
  const doc = load(yaml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(Object.keys(doc.channels)).toEqual(expect.arrayContaining(['ws', 'events', 'topic.orders', 'topic.payments', 'topic.profiles']));
  expect(doc.channels['topic.orders']['x-spool-topic']).toEqual({
    topic: 'orders',
    key: { subject: 'orders-key', version: 1, id: ids.orderKey, schemaType: 'AVRO' },
    value: { subject: 'orders-value', version: 1, id: ids.order, schemaType: 'AVRO' },
  });
  expect(doc.components.schemas['orders-value'].$defs['shop.Order'].properties.placedAt).toMatchObject({ type: 'integer', 'x-avro-logical-type': 'timestamp-millis' });
  expect(doc.components.schemas['payments-value'].$defs['pay.Payment'].properties.amount).toMatchObject({ type: 'string' });
  expect(doc.components.schemas['profiles-value'].$defs['address.json']).toMatchObject({ required: ['street', 'city'] });
  expect(doc.components.schemas['profiles-value'].properties.address).toEqual({ $ref: '#/components/schemas/profiles-value/$defs/address.json' });
  expect(doc.channels['topic.profiles']['x-spool-topic'].value.id).toBe(profileId);
  expect(doc.channels['topic.address']).toBeUndefined(); // not a TopicNameStrategy subject
  // The same document as JSON.
  expect(await (await fetch(`${cli.url}/asyncapi.json`)).json()).toEqual(doc);

  // A schema registered now is in the next answer: no restart.
  await register('late-value', 'AVRO', { type: 'record', name: 'Late', fields: [{ name: 'n', type: 'int' }] });
  const later = (await (await fetch(`${cli.url}/asyncapi.json`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(later.channels['topic.late']['x-spool-topic'].value.subject).toBe('late-value');

  // The CLI generates the typed SDK from the running broker.
  const out = path.join(dir, 'generated');
  const generated = await cli.run(['sdk', 'generate', '--out', out]);
  expect(generated).toMatchObject({ code: 0, stderr: '' });
  expect(generated.stdout).toContain('late, orders, payments, profiles');
  const topicsTs = await readFile(path.join(out, 'topics.ts'), 'utf8');
  expect(topicsTs).toMatch(/export type OrdersValue = /);

  // A package @spool/sdk beside the program: the repository's SDK sources for tsc, its build for node.
  const pkg = path.join(dir, 'node_modules/@spool/sdk');
  await mkdir(pkg, { recursive: true });
  await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: '@spool/sdk', type: 'module', exports: { '.': { types: './index.d.ts', default: './index.js' } } }));
  await writeFile(path.join(pkg, 'index.d.ts'), `export * from ${JSON.stringify(path.join(REPO_ROOT, 'sdk/src/index.js'))};\n`);
  await writeFile(path.join(pkg, 'index.js'), `export * from ${JSON.stringify(path.join(REPO_ROOT, 'dist/sdk/src/index.js'))};\n`);
  await writeFile(path.join(out, 'package.json'), JSON.stringify({ type: 'module' })); // ES modules (top-level await)
  await writeFile(path.join(out, 'good.ts'), GOOD);
  await writeFile(path.join(out, 'bad.ts'), BAD);
  for (const file of ['good', 'bad']) {
    const tsconfig = {
      compilerOptions: { target: 'ES2023', lib: ['ES2023', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')] },
      files: [path.join(out, `${file}.ts`)],
    };
    await writeFile(path.join(dir, `tsconfig.${file}.json`), JSON.stringify(tsconfig));
  }
  const good = await tsc('good');
  expect(good).toEqual({ code: 0, output: '' });
  const bad = await tsc('bad');
  expect(bad.code).not.toBe(0);
  expect(bad.output).toMatch(/bad\.ts\(5,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  expect(bad.output.match(/error TS/g)).toHaveLength(1); // that misuse and nothing else

  // The program runs: typed produce through the schemas, typed reads back.
  for (const file of ['topics', 'good']) {
    const js = ts.transpileModule(await readFile(path.join(out, `${file}.ts`), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    await writeFile(path.join(out, `${file}.js`), js);
  }
  const ran = await run(process.execPath, [path.join(out, 'good.js'), cli.url], { cwd: out, timeout: 60_000 });
  const result = JSON.parse(ran.stdout) as Record<string, unknown>;
  expect(result).toEqual({
    status: 'PAID',
    orderKey: 'o-1',
    order: { id: 'o-1', amountCents: 1250, placedAt: 1767225600000, status: 'PAID', note: null, lines: [{ sku: 'a', qty: 2 }] },
    valueSchemaId: ids.order,
    amount: '1250',
    payment: { id: 'p-1', amount: '1250', card: '4111', tags: ['x'], counters: { a: 1 }, currency: 'USD' },
    city: 'Berlin',
    profileKey: 'u-1',
  });
}, E2E_TIMEOUT_MS);
