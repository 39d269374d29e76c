/**
 * Offset checkpoint files (`recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
 * and any other per-partition offset map), Kafka's text format, UTF-8, '\n' line ends:
 *
 *   line 1        version            "0"
 *   line 2        entry count        decimal, N
 *   lines 3..N+2  entry              "<topic> <partition> <offset>"  (single spaces; topic names
 *                                    cannot contain spaces)
 *
 * Writes are atomic: the content goes to `<file>.tmp`, which is fsynced, renamed over the file,
 * and the directory is fsynced, so a crash leaves either the old or the new checkpoint, never a
 * mix (at most a stray `.tmp`, which the next write replaces). A file that does not parse is a
 * KAFKA_STORAGE_ERROR naming the file and line: a checkpoint is never guessed at.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from '@spool/common';
import { AsyncMutex } from './async-mutex.js';
import { fsyncHandle, openForWrite, renameFile, storageFaults } from './storage-io.js';

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const CURRENT_VERSION = 0;

export class CheckpointFile {
  private readonly lock = new AsyncMutex();

  constructor(readonly path: string) {}

  /**
   * Replaces the file's content atomically with `entries`. Concurrent calls are serialised;
   * resolves once the new content is durable (file and directory fsynced).
   */
  write(entries: Iterable<TopicPartitionOffset>): Promise<void> {
    const lines: string[] = [];
    for (const { topic, partition, offset } of entries) {
      if (/\s/.test(topic) || topic.length === 0) throw new SpoolError('INVALID_REQUEST', `topic name ${JSON.stringify(topic)} cannot be checkpointed`);
      if (!Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) {
        throw new SpoolError('INVALID_REQUEST', `checkpoint entry ${topic} ${partition} ${offset} is not a valid partition and offset`);
      }
      lines.push(`${topic} ${partition} ${offset}`);
    }
    const content = `${CURRENT_VERSION}\n${lines.length}\n${lines.map((line) => line + '\n').join('')}`;
    return this.lock.run(() => writeFileAtomically(this.path, content));
  }

  /** The entries, in file order; [] when the file does not exist. */
  async read(): Promise<TopicPartitionOffset[]> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseCheckpoint(text, this.path);
  }
}

/** Parses the text of a checkpoint file (see the grammar above); `file` names it in errors. */
export function parseCheckpoint(text: string, file: string): TopicPartitionOffset[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (line: number, why: string): never => {
    throw new SpoolError('KAFKA_STORAGE_ERROR', `malformed checkpoint ${file} line ${line}: ${why}`, { file, line });
  };
  if (lines.length < 2) fail(lines.length + 1, 'missing version or entry count');
  if (lines[0] !== String(CURRENT_VERSION)) fail(1, `unsupported version ${JSON.stringify(lines[0])}`);
  if (!/^\d+$/.test(lines[1])) fail(2, `entry count ${JSON.stringify(lines[1])} is not a number`);
  const count = Number(lines[1]);
  if (lines.length - 2 !== count) fail(2, `declares ${count} entries, has ${lines.length - 2}`);
  const out: TopicPartitionOffset[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].split(' ');
    if (parts.length !== 3 || parts[0].length === 0 || !/^\d+$/.test(parts[1]) || !/^\d+$/.test(parts[2])) {
      fail(i + 1, `expected "<topic> <partition> <offset>", got ${JSON.stringify(lines[i])}`);
    }
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) fail(i + 1, `partition or offset beyond 2^53: ${lines[i]}`);
    out.push({ topic: parts[0], partition, offset });
  }
  return out;
}

/**
 * Replaces `file` with `content` so that a crash leaves the old or the new content, never a mix:
 * write `<file>.tmp`, fsync it, rename it over `file`, fsync the directory. Resolves once the
 * new content is durable. Callers serialise writes to one file.
 */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await openForWrite(tmp, 'w');
  try {
    storageFaults.check('write', tmp);
    await handle.writeFile(content, 'utf8');
    await fsyncHandle(handle, tmp);
  } finally {
    await handle.close();
  }
  await renameFile(tmp, file);
  await fsyncDirectory(path.dirname(file));
}

/** fsync of a directory, making a rename or unlink in it durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await fsyncHandle(handle, dir);
  } finally {
    await handle.close();
  }
}
