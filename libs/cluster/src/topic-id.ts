/**
 * Topic ids as Kafka writes them: a 16-byte uuid (Uuid.java), shown as URL-safe base64 without
 * padding (22 characters, Uuid.toString). The wire carries the 16 bytes; etcd and every API of
 * this lib carry the text. A local (single-node) log store that kept the canonical hex form
 * (8-4-4-4-12) converts with `topicIdFromUuid`.
 *
 * Kafka reserves the all-zero uuid (ZERO_UUID: "no id") and 0..01 (METADATA_TOPIC_ID).
 */
import { randomBytes } from 'node:crypto';
import { ClusterError } from './cluster.error.js';

const TEXT = /^[A-Za-z0-9_-]{22}$/;
const HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A fresh random topic id: a version-4 uuid, whose version bits keep it off Kafka's reserved ids. */
export function newTopicId(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes.toString('base64url');
}

/** The 16 bytes of a topic id given as Kafka's base64url text. */
export function topicIdToBytes(topicId: string): Buffer {
  if (!TEXT.test(topicId)) {
    throw new ClusterError('INVALID_REQUEST', `topic id '${topicId}' is not a 22-character base64url uuid`);
  }
  return Buffer.from(topicId, 'base64url');
}

/** Kafka's text form of 16 uuid bytes. */
export function topicIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new ClusterError('INVALID_REQUEST', `a topic id has 16 bytes, got ${bytes.length}`);
  return Buffer.from(bytes).toString('base64url');
}

/** Kafka's text form of a uuid written in the canonical hex form (as libs/log-engine stores it). */
export function topicIdFromUuid(uuid: string): string {
  if (!HEX.test(uuid)) throw new ClusterError('INVALID_REQUEST', `'${uuid}' is not a uuid in 8-4-4-4-12 hex form`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}

/** The canonical hex form of a topic id given as Kafka's base64url text. */
export function topicIdToUuid(topicId: string): string {
  const hex = topicIdToBytes(topicId).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
