import { createRequire } from 'node:module';
import { KAFKA_ERRORS, KafkaErrorCode, kafkaErrorByCode } from './generated/error-codes.js';

/** The generated table (from error-codes.tsv) against kafkajs's own list, a table nobody here wrote. */
const require = createRequire(import.meta.url);
const { errorCodes } = require('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; code: number; retriable: boolean }[];
};

/** Errors Kafka renamed after kafkajs 2.2.4 took its list (same code, same meaning). */
const RENAMED: Readonly<Record<string, string>> = {
  UNKNOWN: 'UNKNOWN_SERVER_ERROR',
  NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER',
  GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR',
};

describe('Kafka error codes', () => {
  it('maps names to codes and codes to name, retriable and message', () => {
    expect(KafkaErrorCode.NONE).toBe(0);
    expect(KafkaErrorCode.CORRUPT_MESSAGE).toBe(2);
    expect(KafkaErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(kafkaErrorByCode(2)).toMatchObject({ name: 'CORRUPT_MESSAGE', retriable: true });
    expect(kafkaErrorByCode(KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)).toMatchObject({ retriable: false });
    expect(kafkaErrorByCode(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL)?.message).toMatch(/protocols/);
    expect(kafkaErrorByCode(32767)).toBeUndefined();
    for (const e of KAFKA_ERRORS) {
      expect(KafkaErrorCode[e.name]).toBe(e.code);
      expect(e.message.length).toBeGreaterThan(0);
    }
    expect(new Set(KAFKA_ERRORS.map((e) => e.code)).size).toBe(KAFKA_ERRORS.length);
  });

  it('agrees with kafkajs on the name and retriability of every code both know', () => {
    expect(errorCodes.length).toBeGreaterThan(80);
    for (const theirs of errorCodes) {
      const ours = kafkaErrorByCode(theirs.code);
      expect({ code: theirs.code, name: ours?.name, retriable: ours?.retriable }).toEqual({
        code: theirs.code,
        name: RENAMED[theirs.type] ?? theirs.type,
        retriable: theirs.retriable,
      });
    }
  });
});
