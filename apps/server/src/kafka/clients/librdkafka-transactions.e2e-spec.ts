/**
 * librdkafka's transactions (clients nobody here wrote) against the broker's transaction
 * coordinator: @confluentinc/kafka-javascript (librdkafka 2.15) as the transactional producer and
 * the consume-transform-produce loop (sendOffsets), read back by read_committed consumers of two
 * librdkafka builds (kafka-javascript 2.15, kcat 1.7 on Debian's 2.0.2 with
 * `-X isolation.level=read_committed`) and, to show the aborted records are in the log, by kcat
 * under read_uncommitted.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startKafkaTestBroker, requireKcat, type KafkaTestBroker } from '../testing/kafka.test-util.js';
import { kafkaJavascript } from '../testing/client-matrix.test-util.js';

const exec = promisify(execFile);
/** Each client command is a process of its own, slow to start on a loaded machine. */
const TEST_TIMEOUT_MS = 180_000;
let broker: KafkaTestBroker;
let kcat: string;

beforeAll(async () => {
  // A few __transaction_state partitions (Kafka's 50 take long to create on a loaded machine; the coordinator is the same).
  process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS = '5';
  kcat = requireKcat();
  broker = await startKafkaTestBroker();
  await kafkaJavascript.run(broker.bootstrap, 'create-topics', { topics: ['rd-txn', 'rd-in', 'rd-out'].map((topic) => ({ topic, numPartitions: topic === 'rd-in' ? 2 : 1 })) });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await broker?.close();
  delete process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS;
});

async function kcatValues(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const { stdout } = await exec(kcat, ['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeout: 60_000 });
  return stdout.split('\n').filter((l) => l !== '');
}

describe('librdkafka transactions', () => {
  it('kafka-javascript commits and aborts; read_committed consumers (kafka-javascript, kcat) see only the committed records', async () => {
    await kafkaJavascript.run(broker.bootstrap, 'txn-produce', {
      topic: 'rd-txn',
      transactionalId: 'rd-producer',
      transactions: [
        { values: ['a1', 'a2'], commit: false },
        { values: ['c1', 'c2'], commit: true },
        { values: ['a3'], commit: false },
        { values: ['c3'], commit: true },
      ],
    });
    const consumed = await kafkaJavascript.run<{ records: { value: string }[] }>(broker.bootstrap, 'consume', { topics: ['rd-txn'], groupId: 'rd-reader', expected: 3 });
    expect(consumed.records.map((r) => r.value)).toEqual(['c1', 'c2', 'c3']);
    expect(await kcatValues('rd-txn', 'read_committed')).toEqual(['c1', 'c2', 'c3']);
    expect(await kcatValues('rd-txn', 'read_uncommitted')).toEqual(['a1', 'a2', 'c1', 'c2', 'a3', 'c3']);
  }, TEST_TIMEOUT_MS);

  it('consume-transform-produce with sendOffsets: an aborted run leaves neither output nor offsets, a committed one both', async () => {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(kcat, ['-b', broker.bootstrap, '-P', '-t', 'rd-in', '-K', ':'], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve()));
      child.stdin!.end(Array.from({ length: 6 }, (_, i) => `k${i}:in-${i}`).join('\n') + '\n');
    });
    const aborted = await kafkaJavascript.run<{ consumed: number; committed: { partition: number; offset: number }[] }>(broker.bootstrap, 'txn-copy', {
      input: 'rd-in', output: 'rd-out', groupId: 'rd-copy', transactionalId: 'rd-copier', expected: 6, commit: false,
    });
    expect(aborted.consumed).toBe(6);
    expect(aborted.committed.every((c) => c.offset < 0)).toBe(true);
    expect(await kcatValues('rd-out', 'read_committed')).toEqual([]);

    const committed = await kafkaJavascript.run<{ consumed: number; committed: { partition: number; offset: number }[] }>(broker.bootstrap, 'txn-copy', {
      input: 'rd-in', output: 'rd-out', groupId: 'rd-copy', transactionalId: 'rd-copier', expected: 6, commit: true,
    });
    expect(committed.consumed).toBe(6);
    // Both partitions' offsets, after every record (they start at 0: the offsets add up to the 6 records).
    expect(committed.committed.reduce((sum, c) => sum + Math.max(0, c.offset), 0)).toBe(6);
    expect((await kcatValues('rd-out', 'read_committed')).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `IN-${i}`).sort());
    expect((await kcatValues('rd-out', 'read_uncommitted')).length).toBe(12);
  }, TEST_TIMEOUT_MS);
});
