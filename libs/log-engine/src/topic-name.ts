/**
 * Topic naming rules, as Kafka's `Topic.validate` applies them. A topic name becomes part of
 * every partition directory (`<topic>-<partition>`), so the rules keep it a safe file name on
 * every platform: ASCII letters, digits, '.', '_' and '-', 1..249 characters (249 leaves room for
 * "-<partition>" and the ".<uuid>-delete" suffix of a deleted partition within 255 bytes), and
 * never "." or ".." (which name directories of their own).
 *
 * '.' and '_' collide in metric names (Kafka's metrics replace '.' with '_'), so "a.b" and "a_b"
 * are both legal but a broker warns when both exist; `collidesWith` tells the caller.
 */
import { SpoolError, type TopicName } from '@spool/common';

export const MAX_TOPIC_NAME_LENGTH = 249;
/** Kafka reserves the "__" prefix for internal topics (__consumer_offsets, __transaction_state). */
export const INTERNAL_TOPIC_PREFIX = '__';

const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/;

/**
 * Returns `name` branded as a TopicName, or throws INVALID_TOPIC_EXCEPTION saying which rule it
 * broke (details: { topic, reason }).
 */
export function validateTopicName(name: string): TopicName {
  const reason = topicNameProblem(name);
  if (reason !== null) {
    throw new SpoolError('INVALID_TOPIC_EXCEPTION', `invalid topic name ${JSON.stringify(name)}: ${reason}`, {
      topic: name,
      reason,
    });
  }
  return name as TopicName;
}

/** The first rule `name` breaks, or null when it is a legal topic name. */
export function topicNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (name === '.' || name === '..') return 'the name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `the name is ${name.length} characters long; the maximum is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL_CHARS.test(name)) {
    return 'the name contains characters other than ASCII letters, digits, ".", "_" and "-"';
  }
  return null;
}

/** Internal topics (names starting with "__") are the platform's own, e.g. consumer offsets. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith(INTERNAL_TOPIC_PREFIX);
}

/** True when the name contains '.' or '_', the characters that collide in metric names. */
export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

/** The name with every '.' replaced by '_': two topics with equal unified names collide. */
export function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_');
}

/** The existing topics whose names differ from `name` only in '.' versus '_'. */
export function collidesWith(name: string, existing: Iterable<string>): string[] {
  if (!hasCollisionChars(name)) return [];
  const unified = unifyCollisionChars(name);
  const out: string[] = [];
  for (const other of existing) {
    if (other !== name && unifyCollisionChars(other) === unified) out.push(other);
  }
  return out;
}

/** A topic's partition count: a positive int32 (Kafka's limit), else INVALID_PARTITIONS. */
export function validatePartitionCount(topic: string, partitions: number): void {
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 2_147_483_647) {
    throw new SpoolError('INVALID_PARTITIONS', `topic ${topic}: partition count must be a positive integer, got ${partitions}`, {
      topic,
      partitions,
    });
  }
}
