import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@spool/common';
import { PRODUCER_ID_BLOCK_FILE, ProducerIdBlockFile } from './producer-id-block-file.js';
import { ProducerIdManager } from './producer-id-manager.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-producer-ids-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(blockSize = 10, firstIdWhenMissing = () => 0): { file: ProducerIdBlockFile; manager: ProducerIdManager } {
  const file = new ProducerIdBlockFile({ dataDir: () => dir, blockSize, firstIdWhenMissing });
  return { file, manager: new ProducerIdManager(file, silentLogger) };
}

async function take(manager: ProducerIdManager, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => manager.nextProducerId()));
}

describe('producer ids from durable blocks', () => {
  it('hands out every id once, in order, across blocks and overlapping calls', async () => {
    const { manager } = open(10);
    const ids = await take(manager, 55);
    expect(ids).toEqual(Array.from({ length: 55 }, (_, i) => i));
    // The block in use (50..59) is reserved on disk; 90% into it the next one is reserved ahead.
    expect(await readFile(path.join(dir, PRODUCER_ID_BLOCK_FILE), 'utf8')).toBe('0\n60\n');
    expect(await take(manager, 5)).toEqual([55, 56, 57, 58, 59]);
    expect(await manager.nextProducerId()).toBe(60);
    expect(await readFile(path.join(dir, PRODUCER_ID_BLOCK_FILE), 'utf8')).toBe('0\n70\n');
  });

  it('never repeats an id after a restart: the rest of a reserved block is skipped', async () => {
    const first = open(10);
    const before = await take(first.manager, 3); // block 0..9 reserved
    const second = open(10, () => {
      throw new Error('the file exists: the missing-file start must not be consulted');
    });
    const after = await take(second.manager, 12);
    expect(Math.min(...after)).toBe(10);
    expect(new Set([...before, ...after]).size).toBe(15);
  });

  it('starts where firstIdWhenMissing says when there is no file (an upgraded data directory)', async () => {
    const { manager } = open(10, () => 1_000_000);
    expect(await manager.nextProducerId()).toBe(1_000_000);
  });

  it('ignores a stray .tmp left by a crash mid-write', async () => {
    await take(open(10).manager, 1);
    await writeFile(path.join(dir, `${PRODUCER_ID_BLOCK_FILE}.tmp`), '0\n3'); // torn replacement, never renamed
    expect(await open(10).manager.nextProducerId()).toBe(10);
  });

  it('refuses to guess when the file is damaged (KAFKA_STORAGE_ERROR naming it)', async () => {
    await writeFile(path.join(dir, PRODUCER_ID_BLOCK_FILE), '0\n12x\n');
    await expect(open(10).manager.nextProducerId()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining(PRODUCER_ID_BLOCK_FILE) });
    await writeFile(path.join(dir, PRODUCER_ID_BLOCK_FILE), '7\n10\n');
    await expect(open(10).manager.nextProducerId()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining('version') });
  });

  it('fails while the block cannot be written, and recovers once it can', async () => {
    // A data directory path that runs through a regular file: ENOTDIR, even for root.
    await writeFile(path.join(dir, 'not-a-dir'), '');
    let dataDir = path.join(dir, 'not-a-dir', 'data');
    const manager = new ProducerIdManager(new ProducerIdBlockFile({ dataDir: () => dataDir, blockSize: 10, firstIdWhenMissing: () => 0 }), silentLogger);
    await expect(manager.nextProducerId()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    dataDir = dir;
    expect(await manager.nextProducerId()).toBe(0);
  });
});
