/**
 * Schema ids survive a crash of the compiled server: every registration the registry answered is
 * fdatasync'ed in `_schemas` first, so after SIGKILL and a restart the same ids name the same
 * schemas (a Confluent client with an empty cache decodes records encoded before the crash), the
 * subjects have the same versions, and a new schema gets an id above every id handed out before.
 */
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, ServerProcess } from './server-process.test-util.js';

/** Two starts of the compiled server on a loaded 2-core machine: a bound, not a measurement (jest's default 30 s is not enough under load). */
const TEST_TIMEOUT_MS = 120_000;

let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-schemas-restart-'));
});
afterEach(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<ServerProcess> {
  server = await ServerProcess.startReady(dataDir);
  return server;
}

const SCHEMAS = [
  { subject: 'a-value', type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'A', fields: [{ name: 'n', type: 'string' }] }), record: { n: 'avro' } },
  { subject: 'j-value', type: SchemaType.JSON, schema: JSON.stringify({ type: 'object', properties: { n: { type: 'string' } } }), record: { n: 'json' } },
  { subject: 'p-value', type: SchemaType.PROTOBUF, schema: 'syntax = "proto3";\nmessage P {\n  string n = 1;\n}\n', record: { n: 'proto' } },
] as const;

it('ids, versions and encoded records survive SIGKILL', async () => {
  let srv = await startServer();
  const client = new ConfluentClient({ host: `${srv.url}/schemas`, retry: { retries: 0 } });
  const encoded: Buffer[] = [];
  const ids: number[] = [];
  for (const s of SCHEMAS) {
    const { id } = await client.register({ type: s.type, schema: s.schema }, { subject: s.subject });
    ids.push(id);
    encoded.push(await client.encode(id, s.record));
  }
  // soft-delete one version: its id stays in use
  expect((await fetch(`${srv.url}/schemas/subjects/j-value/versions/1`, { method: 'DELETE' })).status).toBe(200);

  await srv.crash();
  srv = await startServer();

  const after = new ConfluentClient({ host: `${srv.url}/schemas`, retry: { retries: 0 } });
  for (const [i, s] of SCHEMAS.entries()) expect(await after.decode(encoded[i])).toMatchObject(s.record);
  expect(await (await srv.get('/schemas/subjects')).json()).toEqual(['a-value', 'p-value']);
  expect(await (await srv.get('/schemas/subjects/j-value/versions/1?deleted=true')).json()).toMatchObject({ id: ids[1], version: 1 });
  const { id } = await after.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'B', fields: [{ name: 'm', type: 'long' }] }) }, { subject: 'b-value' });
  expect(id).toBeGreaterThan(Math.max(...ids));
}, TEST_TIMEOUT_MS);
