/**
 * Persisted topic metadata: which topics exist, their topicId, partition count and config
 * overrides. One JSON file, rewritten whole on every change:
 *
 *   <dataDir>/__spool_metadata/topics.json
 *   {
 *     "version": 2,
 *     "topics": [
 *       { "name": "orders", "topicId": "b2x1Fq9aT1y2iKJm3lqYfA", "partitions": 3,
 *         "configs": { "retention.ms": "3600000" } }       // overrides only, normalised strings
 *     ]
 *   }
 *
 * topicId is Kafka's topic id as Kafka writes it (22 characters of base64url, @spool/common
 * topic-id.ts); each partition directory repeats it in partition.metadata. Version 1 files
 * (before Spool kept ids as Kafka does) held the same 16 bytes as a canonical uuid
 * ("1f142f23-8c0a-..."): open() reads them, converts each id to the base64url of the same bytes
 * (the topic keeps its identity) and rewrites the file as version 2 before anything else runs.
 *
 * Writes are atomic: the new contents go to topics.json.tmp, which is fsynced, renamed over
 * topics.json, and the directory is fsynced so the rename itself is durable. A crash leaves
 * either the old or the new topics.json, plus possibly a torn topics.json.tmp, which open()
 * ignores and removes. A topics.json that does not parse is not guessed at: open() fails with
 * KAFKA_STORAGE_ERROR naming the file.
 *
 * Concurrency: mutations are serialised by an internal queue; each resolves once its state is
 * durable, and readers see a change only after it is durable.
 */
import { open as openFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTopicId, SpoolError, topicIdFromUuidText, type TopicId } from '@spool/common';
import { fsyncDirectory } from './checkpoint-file.js';

export const METADATA_DIR = '__spool_metadata';
export const TOPICS_FILE = 'topics.json';
const FORMAT_VERSION = 2;
/** Ids were canonical uuid text; read and upgraded, never written. */
const FORMAT_VERSION_UUID_TEXT = 1;

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: TopicId;
  readonly partitions: number;
  /** Overrides only (normalised strings); everything else comes from the broker defaults. */
  readonly configs: Readonly<Record<string, string>>;
}

export class TopicStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private topics: ReadonlyMap<string, TopicMetadata>,
  ) {}

  /** Creates <dataDir>/__spool_metadata if needed, drops a torn tmp file, reads topics.json. */
  static async open(dataDir: string): Promise<TopicStore> {
    const dir = join(dataDir, METADATA_DIR);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, TOPICS_FILE + '.tmp'), { force: true });
    const file = join(dir, TOPICS_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new TopicStore(dir, new Map());
      throw err;
    }
    const { topics, upgraded } = parseTopicsFile(file, text);
    if (upgraded) await writeFileAtomic(dir, TOPICS_FILE, serialize(topics));
    return new TopicStore(dir, topics);
  }

  list(): TopicMetadata[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  /** Inserts or replaces one topic; resolves once durable. */
  put(topic: TopicMetadata): Promise<void> {
    return this.mutate((next) => next.set(topic.name, { ...topic, configs: { ...topic.configs } }));
  }

  /** Removes one topic (no-op when absent); resolves once durable. */
  remove(name: string): Promise<void> {
    return this.mutate((next) => next.delete(name));
  }

  private mutate(change: (next: Map<string, TopicMetadata>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const next = new Map(this.topics);
      change(next);
      await writeFileAtomic(this.dir, TOPICS_FILE, serialize(next));
      this.topics = next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function serialize(topics: ReadonlyMap<string, TopicMetadata>): string {
  const sorted = [...topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return JSON.stringify({ version: FORMAT_VERSION, topics: sorted }, null, 2) + '\n';
}

function parseTopicsFile(file: string, text: string): { topics: Map<string, TopicMetadata>; upgraded: boolean } {
  const fail = (reason: string): never => {
    throw new SpoolError('KAFKA_STORAGE_ERROR', `topic metadata file ${file} is unreadable: ${reason}`, { file });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (typeof doc !== 'object' || doc === null) return fail('not a JSON object');
  const { version, topics } = doc as { version?: unknown; topics?: unknown };
  if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_UUID_TEXT) return fail(`unsupported version ${String(version)}`);
  const upgraded = version === FORMAT_VERSION_UUID_TEXT;
  if (!Array.isArray(topics)) return fail('"topics" is not an array');
  const out = new Map<string, TopicMetadata>();
  for (const entry of topics as unknown[]) {
    const t = entry as Partial<TopicMetadata>;
    if (
      typeof t?.name !== 'string' ||
      typeof t.topicId !== 'string' ||
      !Number.isSafeInteger(t.partitions) ||
      (t.partitions as number) < 1 ||
      typeof t.configs !== 'object' ||
      t.configs === null ||
      Object.values(t.configs).some((v) => typeof v !== 'string')
    ) {
      return fail(`malformed topic entry ${JSON.stringify(entry)}`);
    }
    let topicId: TopicId;
    try {
      topicId = upgraded ? topicIdFromUuidText(t.topicId) : t.topicId;
    } catch {
      return fail(`topic ${t.name} has topicId ${JSON.stringify(t.topicId)}, not a canonical uuid (version 1)`);
    }
    if (!isTopicId(topicId)) return fail(`topic ${t.name} has topicId ${JSON.stringify(t.topicId)}, not 22 characters of base64url`);
    out.set(t.name, { name: t.name, topicId, partitions: t.partitions!, configs: t.configs });
  }
  return { topics: out, upgraded };
}

/** tmp + fsync + rename + fsync(dir): after it resolves, `name` holds `contents` durably. */
export async function writeFileAtomic(dir: string, name: string, contents: string): Promise<void> {
  const tmp = join(dir, name + '.tmp');
  const handle = await openFile(tmp, 'w');
  try {
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDirectory(dir);
}
