/**
 * The registry over a log another node writes (cluster mode's reader side), with an in-memory
 * SchemaLog shared by two registries: `writer` appends through its LocalRegistryWriter, `reader`
 * only reads. What a reader promises: a read that finds nothing catches up first (fresh), a read
 * of what writes change catches up before answering and falls back to its state when it cannot
 * (caughtUp), a failed open is tried again by the next, and rebuild() forgets records the log no
 * longer has (a leader change truncated a tail this node had applied).
 */
import { silentLogger } from '@spool/common';
import { SchemaRegistry } from './schema-registry.js';
import type { SchemaLog, SchemaLogRecord } from './schema-log.js';
import type { EncodedRecord } from './schemas-topic.codec.js';

class MemoryLog implements SchemaLog {
  records: SchemaLogRecord[] = [];
  /** Errors endOffset() throws next (a leader that cannot be reached). */
  failures: Error[] = [];

  open(): Promise<void> {
    return Promise.resolve();
  }

  endOffset(): Promise<number> {
    const failure = this.failures.shift();
    return failure === undefined ? Promise.resolve(this.records.length) : Promise.reject(failure);
  }

  read(fromOffset: number): Promise<{ records: SchemaLogRecord[]; nextOffset: number }> {
    return Promise.resolve({ records: this.records.slice(fromOffset), nextOffset: this.records.length });
  }

  append(records: readonly EncodedRecord[]): Promise<number> {
    for (const r of records) this.records.push({ offset: this.records.length, key: r.key, value: r.value });
    return Promise.resolve(this.records.length - 1);
  }
}

const avro = (name: string) => ({ schemaType: 'AVRO' as const, schema: JSON.stringify({ type: 'record', name, fields: [{ name: 'a', type: 'string' }] }), references: [] });

let log: MemoryLog;
let writer: SchemaRegistry;
let reader: SchemaRegistry;

beforeEach(async () => {
  log = new MemoryLog();
  writer = new SchemaRegistry({ log, logger: silentLogger });
  reader = new SchemaRegistry({ log, logger: silentLogger });
  await Promise.all([writer.open(), reader.open()]);
});

it('a read that finds nothing catches up with the log and answers again', async () => {
  const { id } = await writer.register('s-value', avro('A'), { normalize: false });
  expect(() => reader.schemaById(id)).toThrow(/not found/);
  expect((await reader.fresh(() => reader.schemaById(id))).schema).toBe(avro('A').schema);
  expect(reader.version('s-value', 'latest').id).toBe(id);
  // Something really missing stays a not-found, after the catch-up.
  await expect(reader.fresh(() => reader.schemaById(id + 1))).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
});

it('settle() retries a catch-up that fails for a moment; open() is tried again after a failure', async () => {
  await writer.register('s-value', avro('A'), { normalize: false });
  log.failures.push(new Error('leader unreachable'), new Error('leader unreachable'));
  await reader.settle();
  expect(reader.subjects(false)).toEqual(['s-value']);

  const late = new SchemaRegistry({ log, logger: silentLogger });
  log.failures.push(new Error('no leader'));
  await expect(late.open()).rejects.toThrow('no leader');
  expect(late.isOpen).toBe(false);
  await late.open();
  expect(late.subjects(false)).toEqual(['s-value']);
});

it('rebuild() forgets records the log no longer has, and ids go on from what it holds', async () => {
  await writer.register('a-value', avro('A'), { normalize: false });
  await writer.register('b-value', avro('B'), { normalize: false });
  await reader.catchUp();
  expect(reader.state.maxId).toBe(2);
  log.records.splice(1); // the new leader never had b's record
  await reader.rebuild();
  expect(reader.subjects(true)).toEqual(['a-value']);
  expect(reader.state.maxId).toBe(1);
  const next = await reader.register('c-value', avro('C'), { normalize: false });
  expect(next.id).toBe(2);
});

it('caughtUp() sees a config written elsewhere (not a not-found: the subject exists), and answers from its state when the catch-up fails', async () => {
  await writer.register('s-value', avro('A'), { normalize: false });
  await reader.catchUp();
  await writer.setConfig('s-value', 'FULL');
  // What this node has read still says "no subject-level config": only a catch-up first sees the write.
  await expect(reader.fresh(() => reader.config('s-value', false))).rejects.toMatchObject({ code: 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED' });
  expect(await reader.caughtUp(() => reader.config('s-value', false))).toBe('FULL');

  await writer.setConfig('s-value', 'NONE');
  log.failures.push(new Error('leader unreachable'));
  expect(await reader.caughtUp(() => reader.config('s-value', false))).toBe('FULL');
  expect(await reader.caughtUp(() => reader.config('s-value', false))).toBe('NONE');
});
