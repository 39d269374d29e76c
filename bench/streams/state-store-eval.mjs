// Measures embedded key-value stores for libs/streams (docs/decisions.md, "Streams state store"):
// node bench/streams/state-store-eval.mjs lmdb|level|sqlite, with lmdb, classic-level and better-sqlite3
// installed beside it (only lmdb is a dependency of the project).
// put+get of 200k small records (a count per key, 10k keys), batched like a task commit every 1000 records
import { rmSync, mkdirSync } from 'node:fs';
const which = process.argv[2];
const N = 200_000, KEYS = 10_000;
const dir = `/tmp/spool-store-eval-${which}`; rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
const key = (i) => `user-${i % KEYS}`;
const t0 = performance.now();
if (which === 'lmdb') {
  const { open } = await import('lmdb');
  const db = open({ path: dir, encoding: 'binary' });
  for (let i = 0; i < N; i += 1000) {
    await db.transaction(() => {
      for (let j = i; j < i + 1000; j++) { const k = key(j); const v = db.get(k); const c = v ? v.readUInt32BE(0) + 1 : 1; const b = Buffer.alloc(4); b.writeUInt32BE(c); db.put(k, b); }
    });
  }
  const c = db.get(key(1)).readUInt32BE(0); await db.close(); console.log(which, c);
} else if (which === 'level') {
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const cache = new Map();
  for (let i = 0; i < N; i += 1000) {
    const batch = db.batch();
    for (let j = i; j < i + 1000; j++) { const k = key(j); let v = cache.get(k); if (v === undefined) { v = await db.get(k); } const c = v ? v.readUInt32BE(0) + 1 : 1; const b = Buffer.alloc(4); b.writeUInt32BE(c); cache.set(k, b); batch.put(k, b); }
    await batch.write(); cache.clear();
  }
  const c = (await db.get(key(1))).readUInt32BE(0); await db.close(); console.log(which, c);
} else if (which === 'sqlite') {
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(`${dir}/s.db`); db.pragma('journal_mode = WAL'); db.exec('create table kv (k text primary key, v blob)');
  const get = db.prepare('select v from kv where k = ?'); const put = db.prepare('insert or replace into kv values (?, ?)');
  const tx = db.transaction((i) => { for (let j = i; j < i + 1000; j++) { const k = key(j); const r = get.get(k); const c = r ? r.v.readUInt32BE(0) + 1 : 1; const b = Buffer.alloc(4); b.writeUInt32BE(c); put.run(k, b); } });
  for (let i = 0; i < N; i += 1000) tx(i);
  console.log(which, get.get(key(1)).v.readUInt32BE(0)); db.close();
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ store: which, opsPerSec: Math.round(N / ms * 1000), ms: Math.round(ms) }));
