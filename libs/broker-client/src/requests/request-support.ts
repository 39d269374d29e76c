/**
 * What the typed helpers share: the last version of a message that still carries a field (a
 * helper that addresses topics by name must not use a version that only carries topic ids), the
 * mapping of Kafka's "absent" values (-1) to null, and grouping partitions by topic.
 */
import type { KafkaFieldSchema, KafkaMessageSchema } from '@spool/protocol';

/**
 * The newest version of `schema` in which the field at `path` (property names, through arrays
 * and structs) is on the wire; -1 if the path does not exist. Read from the generated schema, so
 * it follows the codecs when they gain versions.
 */
export function lastVersionWith(schema: KafkaMessageSchema, path: readonly string[]): number {
  let fields: readonly KafkaFieldSchema[] | undefined = schema.fields;
  let last = schema.validVersions[1];
  for (const name of path) {
    const field: KafkaFieldSchema | undefined = fields?.find((f) => f.name === name);
    if (field === undefined || field.versions === null) return -1;
    last = Math.min(last, field.versions[1]);
    fields = field.fields;
  }
  return last;
}

/** Kafka's -1 ("unknown", "none", "not in this version") as null, for the public result types. */
export function orNull(value: number): number | null {
  return value < 0 ? null : value;
}

/** Partitions grouped by topic, in first-seen order (one topic entry per name, as Kafka expects). */
export function byTopic<T extends { readonly topic: string }>(partitions: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const p of partitions) {
    const list = out.get(p.topic);
    if (list === undefined) out.set(p.topic, [p]);
    else list.push(p);
  }
  return out;
}

/** "Fetch orders-2 from broker 3": where an error code was found, for its message. */
export function where(apiName: string, topic: string, partition: number): string {
  return `${apiName} ${topic}-${partition}`;
}
