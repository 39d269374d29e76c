/**
 * `<dataDir>/meta.properties`: which cluster this data directory belongs to, Kafka's file of the
 * same name and format (Java properties, ZooKeeper-era version 0). Written once, atomically, when
 * the broker first joins a cluster (after registering the topics it held as a single node); never
 * written on a single node, so its absence means "never in a cluster".
 *
 *   # <comment lines>
 *   version=0
 *   broker.id=<integer>
 *   cluster.id=<Kafka's cluster id: 22 characters of base64url>
 *
 * At every start in cluster mode, a file naming another cluster id or broker id stops the broker
 * (Kafka's InconsistentClusterIdException / InconsistentBrokerIdException): its data belongs to
 * another cluster, or to another broker of this one, and serving it here would mix records of
 * unrelated logs. A file that does not parse is a KAFKA_STORAGE_ERROR naming it; it is never
 * guessed at. A crash while writing leaves the old file or none (tmp + fsync + rename + fsync).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from '@spool/common';
import { writeFileAtomic } from '@spool/log-engine';

export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  readonly brokerId: number;
  readonly clusterId: string;
}

/** The data directory's membership, or null when it has never been in a cluster. */
export async function readMetaProperties(dataDir: string): Promise<MetaProperties | null> {
  const file = join(dataDir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SpoolError('KAFKA_STORAGE_ERROR', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw malformed(file, `line ${JSON.stringify(trimmed)} is not key=value`);
    values.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  }
  if (values.get('version') !== '0') throw malformed(file, `unsupported version ${JSON.stringify(values.get('version') ?? null)}`);
  const brokerId = values.get('broker.id') ?? '';
  if (!/^(0|[1-9]\d{0,9})$/.test(brokerId) || Number(brokerId) > 2_147_483_647) throw malformed(file, `broker.id ${JSON.stringify(brokerId)} is not an integer in 0..2147483647`);
  const clusterId = values.get('cluster.id') ?? '';
  if (clusterId === '') throw malformed(file, 'cluster.id is missing');
  return { brokerId: Number(brokerId), clusterId };
}

/** Writes the file atomically; resolves once it is durable. */
export function writeMetaProperties(dataDir: string, meta: MetaProperties): Promise<void> {
  const text = [
    '# Written by Spool when this data directory joined a cluster (Kafka\'s meta.properties).',
    '# A broker refuses to start with it in another cluster or under another broker id.',
    'version=0',
    `broker.id=${meta.brokerId}`,
    `cluster.id=${meta.clusterId}`,
    '',
  ].join('\n');
  return writeFileAtomic(dataDir, META_PROPERTIES_FILE, text);
}

function malformed(file: string, why: string): SpoolError {
  return new SpoolError('KAFKA_STORAGE_ERROR', `malformed ${file}: ${why}`, { file });
}
