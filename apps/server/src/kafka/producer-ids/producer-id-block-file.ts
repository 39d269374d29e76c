/**
 * The single-broker ProducerIdBlockAllocator: the next unreserved producer id in a small file of
 * the data directory, `<dataDir>/latest-producer-id-block` (named after Kafka's ZooKeeper node).
 * Text, UTF-8, '\n' line ends:
 *
 *   line 1   version           "0"
 *   line 2   nextProducerId    decimal: the first id of the next block. Every id below it may
 *                              have been handed out; none at or above it has been.
 *
 * Reserving a block = writing nextProducerId + blockSize atomically (to `<file>.tmp`, fsync,
 * rename over the file, fsync the directory), then handing the block out. A crash leaves the old
 * or the new value, never a mix (at most a stray `.tmp`, replaced by the next write); ids of a
 * block reserved but not used are skipped, never reused. A file that does not parse is a
 * KAFKA_STORAGE_ERROR naming the file and line: ids are never guessed, since a guess too low would
 * reuse an id whose sequence state the logs still hold.
 *
 * A missing file means a new data directory, or one written by a Spool that took producer ids
 * from the clock (`now_ms x 1024`); the caller's `firstIdWhenMissing` decides where to start.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from '@spool/common';
import { fsyncDirectory } from '@spool/log-engine';
import { PRODUCER_ID_BLOCK_SIZE, type ProducerIdBlock, type ProducerIdBlockAllocator } from './producer-id-block.js';

export const PRODUCER_ID_BLOCK_FILE = 'latest-producer-id-block';
const VERSION = '0';

export interface ProducerIdBlockFileOptions {
  /** The data directory; a function because the log manager (and so the directory) opens after wiring. */
  readonly dataDir: () => string;
  readonly blockSize?: number;
  /** Where ids start when the file does not exist (read once, at the first allocation). */
  readonly firstIdWhenMissing: () => number;
}

export class ProducerIdBlockFile implements ProducerIdBlockAllocator {
  private nextProducerId: number | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly blockSize: number;

  constructor(private readonly options: ProducerIdBlockFileOptions) {
    this.blockSize = options.blockSize ?? PRODUCER_ID_BLOCK_SIZE;
  }

  get path(): string {
    return path.join(this.options.dataDir(), PRODUCER_ID_BLOCK_FILE);
  }

  /** Serialised: overlapping calls reserve consecutive blocks, in call order. */
  allocate(): Promise<ProducerIdBlock> {
    const result = this.tail.then(() => this.reserve());
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async reserve(): Promise<ProducerIdBlock> {
    const file = this.path;
    const first = this.nextProducerId ?? (await readNextProducerId(file)) ?? this.options.firstIdWhenMissing();
    const next = first + this.blockSize;
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(next)) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `producer ids are exhausted: the next block would start at ${first} (${file})`, { file });
    }
    try {
      await writeAtomically(file, `${VERSION}\n${next}\n`);
    } catch (err) {
      // The new value may or may not be on disk: read it again next time rather than trust memory.
      this.nextProducerId = undefined;
      throw new SpoolError('KAFKA_STORAGE_ERROR', `reserving producer ids ${first}..${next - 1} failed writing ${file}: ${(err as Error).message}`, { file });
    }
    this.nextProducerId = next;
    return { firstProducerId: first, size: this.blockSize };
  }
}

/** nextProducerId from the file; undefined if there is no file. */
export async function readNextProducerId(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SpoolError('KAFKA_STORAGE_ERROR', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const lines = text.split('\n');
  const fail = (line: number, why: string): never => {
    throw new SpoolError('KAFKA_STORAGE_ERROR', `malformed producer id block file ${file} line ${line}: ${why}`, { file, line });
  };
  if (lines[0] !== VERSION) fail(1, `unsupported version ${JSON.stringify(lines[0])}`);
  if (lines.length !== 3 || lines[2] !== '') fail(lines.length, 'expected exactly two lines');
  if (!/^(0|[1-9]\d{0,15})$/.test(lines[1]) || !Number.isSafeInteger(Number(lines[1]))) fail(2, `nextProducerId ${JSON.stringify(lines[1])} is not an integer below 2^53`);
  return Number(lines[1]);
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await fsyncDirectory(path.dirname(file));
}
