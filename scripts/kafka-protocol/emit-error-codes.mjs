/**
 * generated/error-codes.ts: Kafka's error table (code, name) from error-codes.tsv, with which
 * errors are retriable and a message per error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER } from './common.mjs';

/**
 * Kafka's retriable errors: those whose Java exception extends RetriableException (see
 * org.apache.kafka.common.protocol.Errors). The TSV carries only code and name.
 */
const RETRIABLE = new Set([
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'LISTENER_NOT_FOUND',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'ELECTION_NOT_NEEDED',
  'UNSTABLE_OFFSET_COMMIT',
  'THROTTLING_QUOTA_EXCEEDED',
  'CONCURRENT_TRANSACTIONS',
  'UNKNOWN_TOPIC_ID',
  'FETCH_SESSION_TOPIC_ID_ERROR',
  'INCONSISTENT_TOPIC_ID',
  'NEW_LEADER_ELECTED',
  'SHARE_SESSION_NOT_FOUND',
  'INVALID_SHARE_SESSION_EPOCH',
]);

/** Messages worth more than the name spelled out; the rest read "Offset out of range." etc. */
const MESSAGES = {
  UNKNOWN_SERVER_ERROR: 'The server experienced an unexpected error when processing the request.',
  NONE: 'No error.',
  CORRUPT_MESSAGE: 'The message failed its CRC check, exceeded the valid size, has a null key on a compacted topic, or is otherwise corrupt.',
  UNKNOWN_TOPIC_OR_PARTITION: 'This server does not host this topic-partition.',
  NOT_LEADER_OR_FOLLOWER: 'This server is not the leader or a follower of the partition.',
  MESSAGE_TOO_LARGE: 'The request included a message larger than the maximum message size the server will accept.',
  INVALID_TOPIC_EXCEPTION: 'The request attempted to perform an operation on an invalid topic.',
  RECORD_LIST_TOO_LARGE: 'The request included a message batch larger than the configured segment size on the server.',
  ILLEGAL_GENERATION: 'Specified group generation id is not valid.',
  INCONSISTENT_GROUP_PROTOCOL: "The group member's supported protocols are incompatible with those of existing members or the first group member tried to join with an empty protocol type or empty protocol list.",
  UNKNOWN_MEMBER_ID: 'The coordinator is not aware of this member.',
  REBALANCE_IN_PROGRESS: 'The group is rebalancing, so a rejoin is needed.',
  UNSUPPORTED_VERSION: 'The version of API is not supported.',
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'The broker received an out of order sequence number.',
  DUPLICATE_SEQUENCE_NUMBER: 'The broker received a duplicate sequence number.',
  INVALID_PRODUCER_EPOCH: "Producer attempted to produce with an old epoch.",
  UNKNOWN_PRODUCER_ID: "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question.",
  MEMBER_ID_REQUIRED: 'The group member needs to have a valid member id before actually entering a consumer group.',
  FETCH_SESSION_ID_NOT_FOUND: 'The fetch session ID was not found.',
  INVALID_FETCH_SESSION_EPOCH: 'The fetch session epoch is invalid.',
};

function humanize(name) {
  const text = name.toLowerCase().replace(/_/g, ' ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

/** generated/error-codes.ts from `<specDir>/error-codes.tsv` (code, name per row, one header row). */
export function emitErrorCodes(specDir) {
  const tsv = readFileSync(join(specDir, 'error-codes.tsv'), 'utf8');
  const rows = tsv
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(1)
    .map((l) => {
      const [code, name] = l.split('\t');
      if (!/^-?\d+$/.test(code) || !/^[A-Z0-9_]+$/.test(name ?? '')) throw new Error(`error-codes.tsv: bad row ${JSON.stringify(l)}`);
      return { code: Number(code), name };
    });
  for (const n of RETRIABLE) if (!rows.some((r) => r.name === n)) throw new Error(`retriable error ${n} is not in error-codes.tsv`);
  const entries = rows.map((r) => `  ${r.name}: ${r.code},`).join('\n');
  const infos = rows
    .map((r) => `  { code: ${r.code}, name: '${r.name}', retriable: ${RETRIABLE.has(r.name)}, message: ${JSON.stringify(MESSAGES[r.name] ?? humanize(r.name))} },`)
    .join('\n');
  return `${HEADER('error-codes.tsv')}/**
 * Kafka's error codes, as the int16 \`ErrorCode\` fields of responses carry them. \`retriable\` follows
 * Kafka's Java client (the exception extends RetriableException): a client may retry the request
 * as is, possibly after refreshing metadata.
 */

/** Error name -> code. */
export const KafkaErrorCode = {
${entries}
} as const;

export type KafkaErrorName = keyof typeof KafkaErrorCode;

export interface KafkaErrorInfo {
  readonly code: number;
  readonly name: KafkaErrorName;
  readonly retriable: boolean;
  readonly message: string;
}

/** Every known error, in code order. */
export const KAFKA_ERRORS: readonly KafkaErrorInfo[] = [
${infos}
];

const BY_CODE: ReadonlyMap<number, KafkaErrorInfo> = new Map(KAFKA_ERRORS.map((e) => [e.code, e]));

/** Code -> { name, retriable, message }; undefined for a code this table does not know. */
export function kafkaErrorByCode(code: number): KafkaErrorInfo | undefined {
  return BY_CODE.get(code);
}
`;
}
