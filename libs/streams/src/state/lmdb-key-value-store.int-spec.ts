import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { InMemoryKeyValueStore } from './key-value-store.js';
import { LmdbKeyValueStore } from './lmdb-key-value-store.js';

describe('LmdbKeyValueStore (a real LMDB environment in a temp dir)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spool-streams-lmdb-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Keys are never empty (the smallest is a one-byte JSON value): LMDB refuses empty keys.
  it('behaves like the in-memory store under random puts, deletes, prefix scans and flushes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('put', 'delete', 'flush'), fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 4 })), { maxLength: 60 }),
        fc.uint8Array({ maxLength: 2 }),
        async (ops, prefixBytes) => {
          const lmdb = LmdbKeyValueStore.openEmpty('s', path.join(dir, `run-${run++}`));
          const model = new InMemoryKeyValueStore('s');
          try {
            for (const [op, key, value] of ops) {
              const k = Buffer.from(key);
              if (op === 'put') {
                lmdb.put(k, Buffer.from(value));
                model.put(k, Buffer.from(value));
              } else if (op === 'delete') {
                lmdb.put(k, null);
                model.put(k, null);
              } else await lmdb.flush();
              expect(lmdb.get(k)).toEqual(model.get(k));
            }
            const prefix = Buffer.from(prefixBytes);
            expect([...lmdb.prefixScan(prefix)]).toEqual([...model.prefixScan(prefix)]);
          } finally {
            await lmdb.close();
          }
        },
      ),
      { numRuns: 40, seed: 16 },
    );
  });
});
