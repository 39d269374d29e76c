import kafkajs from 'kafkajs';
import { tasksMigrated } from './tasks-migrated.js';

const { KafkaJSError, KafkaJSProtocolError } = kafkajs;
/** kafkajs's wrapper as its retrier builds it (the runtime takes a cause; the published types omit it). */
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;

/** A broker error as kafkajs decodes it (its error table's shape), wrapped as its retrier does when it gives up. */
function fromBroker(type: string, code: number): Error {
  const protocolError = new KafkaJSProtocolError({ type, code, retriable: false, message: `${type} from the broker` } as unknown as Error);
  return new KafkaJSNonRetriableError(protocolError, { cause: protocolError });
}

describe('tasksMigrated: which consumer crashes mean "another member owns the tasks now" (rejoin) rather than a failure', () => {
  it('recognises the group forgetting this member, a new generation and a fenced producer, however deeply kafkajs wrapped them', () => {
    expect(tasksMigrated(fromBroker('UNKNOWN_MEMBER_ID', 25))).toBe(true);
    expect(tasksMigrated(fromBroker('ILLEGAL_GENERATION', 22))).toBe(true);
    expect(tasksMigrated(fromBroker('INVALID_PRODUCER_EPOCH', 47))).toBe(true);
    const twice = fromBroker('UNKNOWN_MEMBER_ID', 25);
    expect(tasksMigrated(new KafkaJSNonRetriableError(twice, { cause: twice }))).toBe(true);
  });

  it('leaves everything else a failure: other broker errors, plain errors, no error', () => {
    expect(tasksMigrated(fromBroker('TOPIC_AUTHORIZATION_FAILED', 29))).toBe(false);
    expect(tasksMigrated(new KafkaJSError('Connection closed'))).toBe(false);
    expect(tasksMigrated(new Error('boom'))).toBe(false);
    expect(tasksMigrated(undefined)).toBe(false);
  });
});
