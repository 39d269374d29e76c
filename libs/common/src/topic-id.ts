/**
 * Topic ids as Kafka has them (KIP-516): 16 random bytes made when a topic is created, written
 * as 22 characters of unpadded base64url ("b2x1Fq9aT1y2iKJm3lqYfA"), which is how Kafka prints a
 * Uuid, how kafka-topics.sh shows it and what clients log. On the wire they are the 16 bytes of
 * the uuid type; on disk, the text in topics.json and in each partition.metadata.
 *
 * As Kafka's Uuid.randomUuid, a new id is never the zero uuid (Kafka's "no id") nor the one
 * uuid (reserved for the metadata topic), and its text never starts with '-' (a command line
 * would read it as an option).
 */
import { randomBytes } from 'node:crypto';
import { SpoolError } from './spool-error.js';

export type TopicId = string;

/** The zero uuid: Kafka's "no topic id" (a request naming topics by name carries it). */
export const ZERO_TOPIC_ID: TopicId = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka's Uuid.ONE_UUID / METADATA_TOPIC_ID, never given to a topic. */
const ONE_TOPIC_ID: TopicId = 'AAAAAAAAAAAAAAAAAAAAAQ';

const TOPIC_ID_TEXT = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** A new topic id: version-4 random bits, as Java's UUID.randomUUID gives Kafka. */
export function newTopicId(random: (size: number) => Buffer = randomBytes): TopicId {
  for (;;) {
    const bytes = random(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const id = bytes.toString('base64url');
    if (id !== ZERO_TOPIC_ID && id !== ONE_TOPIC_ID && !id.startsWith('-')) return id;
  }
}

/**
 * Whether `text` is a topic id as Kafka writes one: 22 base64url characters encoding exactly
 * 16 bytes (the last character carries 2 bits, so only A, Q, g or w can end it).
 */
export function isTopicId(text: string): boolean {
  return TOPIC_ID_TEXT.test(text);
}

/** Checks `text` (a request's or a file's) and returns it as a TopicId; INVALID_REQUEST otherwise. */
export function parseTopicId(text: string, what = 'topic id'): TopicId {
  if (!isTopicId(text)) {
    throw new SpoolError('INVALID_REQUEST', `${what} must be 22 characters of unpadded base64url (a Kafka uuid), got ${JSON.stringify(text)}`, { topicId: text });
  }
  return text;
}

/** The 16 bytes of a topic id. */
export function topicIdBytes(id: TopicId): Buffer {
  return Buffer.from(parseTopicId(id), 'base64url');
}

/**
 * The same id from its canonical UUID text ("1f142f23-8c0a-4e7b-9d1e-...", how Spool stored
 * ids before they were kept as Kafka writes them): the same 16 bytes, so an upgraded data
 * directory keeps its topics' identities.
 */
export function topicIdFromUuidText(uuid: string): TopicId {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw new SpoolError('INVALID_REQUEST', `not a canonical uuid: ${JSON.stringify(uuid)}`, { uuid });
  }
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}
