/**
 * `_schemas` on the real log engine, compacted by the real cleaner: after the schema holding the
 * highest id is deleted permanently and the topic is compacted (its records replaced by
 * tombstones, then the tombstones removed too), a registry reading the topic from scratch still
 * knows the highest id ever given (Spool's SPOOL_MAX_ID record), so a new schema never gets an id
 * that once named another schema; everything else live is read back as it was.
 */
import { silentLogger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { SCHEMAS_TOPIC, SchemaRegistry } from '@spool/schema-registry';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SchemasTopicLog } from './schemas-topic.log.js';

let dataDir: string;
let logs: LogManager;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-schemas-topic-'));
  logs = await LogManager.open({ dataDir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
});
afterEach(async () => {
  await logs.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function openRegistry(): Promise<SchemaRegistry> {
  const registry = new SchemaRegistry({ log: new SchemasTopicLog(logs), logger: silentLogger });
  await registry.open();
  return registry;
}

const avro = (field: string) => ({ schemaType: 'AVRO' as const, schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: field, type: 'string' }] }), references: [] });

it('ids are never given twice, even after the highest was deleted permanently and compacted away', async () => {
  const registry = await openRegistry();
  expect(logs.listTopics().map((t) => t.name)).not.toContain(SCHEMAS_TOPIC); // created by the first write
  const a = await registry.register('a-value', avro('a'), { normalize: false });
  const b = await registry.register('b-value', avro('b'), { normalize: false });
  const c = await registry.register('c-value', avro('c'), { normalize: false });
  expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
  expect(logs.describeTopic(SCHEMAS_TOPIC).configs).toMatchObject({ 'cleanup.policy': 'compact', 'flush.messages': '1' });
  await registry.setConfig('a-value', 'FULL');
  await registry.deleteSubject('c-value', false);
  await registry.deleteSubject('c-value', true);

  // Compact: tombstones replace c's records; with delete.retention.ms=0 a second pass drops them.
  await logs.alterTopicConfigs(SCHEMAS_TOPIC, { 'delete.retention.ms': '0', 'min.cleanable.dirty.ratio': '0' });
  const log = logs.getLog(SCHEMAS_TOPIC, 0);
  await log.roll();
  expect(await logs.runCleaner()).not.toBeNull();
  await log.roll();
  await logs.runCleaner();

  // The cleaner did remove c's records (so only SPOOL_MAX_ID remembers id 3).
  const topicLog = new SchemasTopicLog(logs);
  const { records } = await topicLog.read(0, 1 << 20);
  const keys = records.map((r) => JSON.parse(Buffer.from(r.key!).toString()) as { keytype: string; subject?: string });
  expect(keys.filter((k) => k.subject === 'c-value')).toEqual([]);
  expect(keys.map((k) => k.keytype)).toContain('SPOOL_MAX_ID');

  const reread = await openRegistry();
  expect(reread.subjects(true)).toEqual(['a-value', 'b-value']);
  expect(reread.config('a-value', false)).toBe('FULL');
  expect(reread.schemaById(b.id).schema).toBe(avro('b').schema);
  expect(() => reread.schemaById(c.id)).toThrow(/not found/);
  const d = await reread.register('d-value', avro('d'), { normalize: false });
  expect(d.id).toBe(4);
});
