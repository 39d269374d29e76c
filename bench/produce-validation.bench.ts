/**
 * What validating a produce request costs, per variant, on the in-process produce path minus
 * HTTP: JSON.parse -> validate -> records to bytes -> record batch -> Log.append (real log in a
 * temp dir). Decides whether the hot path may use class-validator (issue #3: not if it costs more
 * than 20% of throughput); docs/decisions.md has the numbers.
 *
 *   npm run build && node dist/bench/produce-validation.bench.js
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { LogManager } from '@spool/log-engine';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
/* eslint-disable no-restricted-imports -- this bench measures the app's own produce path */
import { buildBatches } from '../apps/server/src/produce/batch-builder.js';
import { parseProduceRequest, prepareRecord, type PreparedRecord } from '../apps/server/src/produce/produce-request.js';
import { ProduceRequestDto } from '../apps/server/src/http/records/produce.dto.js';
/* eslint-enable no-restricted-imports */
import { produceBody } from './lib/load.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
type Variant = (text: string) => Promise<PreparedRecord[]> | PreparedRecord[];

const variants: Array<[string, Variant]> = [
  [
    'no validation (convert only)',
    (text) => (JSON.parse(text) as { records: Array<{ value: unknown }> }).records.map((r, i) => prepareRecord(r, { key: 'string', value: 'json' }, () => `records[${i}]`)),
  ],
  ['compiled JSON Schema (Ajv)', (text) => parseProduceRequest(JSON.parse(text), 100_000).records],
  [
    'class-validator DTOs',
    async (text) => {
      const dto = plainToInstance(ProduceRequestDto, JSON.parse(text) as object);
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length > 0) throw new Error('invalid');
      return (JSON.parse(text) as { records: Array<{ value: unknown }> }).records.map((r, i) => prepareRecord(r, { key: 'string', value: 'json' }, () => `records[${i}]`));
    },
  ],
];

async function run(name: string, variant: Variant, text: string, manager: LogManager, topic: string): Promise<number> {
  await manager.createTopic(topic, 1);
  const log = manager.getLog(topic, 0);
  const once = async () => {
    const records = await variant(text);
    const batches = buildBatches({ records, now: Date.now(), maxMessageBytes: 1_048_588, topic, partition: 0 });
    await log.append(batches.length === 1 ? batches[0] : Buffer.concat(batches));
  };
  for (let i = 0; i < 50; i++) await once(); // warm-up (JIT)
  let requests = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) {
    await once();
    requests++;
  }
  const recordsPerSec = (requests * 1000 * 1000) / (performance.now() - start);
  console.log(`${name.padEnd(30)} ${Math.round(recordsPerSec).toLocaleString('en-US').padStart(10)} records/s`);
  return recordsPerSec;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-validation-'));
const manager = await LogManager.open({ dataDir: dir, cleanerEnabled: false });
try {
  const text = produceBody(1000, 100, true).toString();
  console.log(`produce path without HTTP: JSON.parse + validate + encode + Log.append, 1000 keyed records x 100 B per request, ${DURATION_MS} ms each`);
  const rates: number[] = [];
  // Twice around, so that machine-load drift shows as spread rather than as a difference.
  for (let round = 0; round < 2; round++) {
    for (const [i, [name, variant]] of variants.entries()) rates[i] = Math.max(rates[i] ?? 0, await run(name, variant, text, manager, `t${round}-${i}`));
  }
  const base = rates[0];
  variants.forEach(([name], i) => console.log(`best ${name.padEnd(30)} ${Math.round(rates[i]).toLocaleString('en-US').padStart(10)} records/s  (${(((base - rates[i]) / base) * 100).toFixed(1)}% below no validation)`));
} finally {
  await manager.close();
  await rm(dir, { recursive: true, force: true });
}
