/**
 * Dead letters: a message that will not be delivered (answered 4xx other than 408/409/429, or
 * still failing when its retry limit was up) is appended to the subscription's dead-letter topic
 * `<subscription>.dlq` (created with one partition on first use), one record per original record:
 *
 *   key, value, headers   the original record's, as stored (re-read from its partition)
 *   + spool.dlq.subscription   the subscription's name
 *   + spool.dlq.origin         <topic>-<partition>-<offset> of the original record
 *   + spool.dlq.error          why: "HTTP 400", "timeout: ...", "connection: ..."
 *   + spool.dlq.status         the last HTTP status ("" when there was no answer)
 *   + spool.dlq.attempts       how many attempts were made
 *   + spool.dlq.webhook-id     the message's webhook-id
 *   + spool.dlq.first-attempt  when the first attempt was made (ms since the epoch)
 *
 * (Kafka Connect's dead-letter queue keeps the original record the same way, with its
 * `__connect.errors.*` headers.) When the original is no longer in its partition (retention),
 * the value is the rendered record's JSON from the message instead, with
 * `spool.dlq.rendered: true`. The append is fsync'ed before the message counts as done: the
 * group's committed offset then moves past it.
 */
import { isSpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches, type RecordHeaderInput } from '@spool/protocol';
import type { DeadLetter } from '@spool/webhooks';
import { deadLetterTopicOf } from './subscription.js';

const READ_BYTES = 4 * 1024 * 1024;

export class DeadLetterWriter {
  constructor(private readonly logs: LogManager) {}

  async write(letter: DeadLetter): Promise<void> {
    const topic = deadLetterTopicOf(letter.subscription);
    await this.ensureTopic(topic);
    const originals = await this.originals(letter);
    const meta = (offset: number): RecordHeaderInput[] =>
      Object.entries({
        'spool.dlq.subscription': letter.subscription,
        'spool.dlq.origin': `${letter.topic}-${letter.partition}-${offset}`,
        'spool.dlq.error': letter.error,
        'spool.dlq.status': letter.status === null ? '' : String(letter.status),
        'spool.dlq.attempts': String(letter.attempts),
        'spool.dlq.webhook-id': letter.webhookId,
        'spool.dlq.first-attempt': String(letter.firstAttemptAt),
      }).map(([key, value]) => ({ key, value: Buffer.from(value) }));
    const records = originals.map((r) => ({ key: r.key, value: r.value, headers: [...r.headers, ...meta(r.offset)] }));
    const log = this.logs.getLog(topic, 0);
    await log.append(encodeRecordBatch({ records }));
    await log.flush();
  }

  private async ensureTopic(topic: string): Promise<void> {
    try {
      this.logs.describeTopic(topic);
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      try {
        await this.logs.createTopic(topic, 1);
      } catch (createErr) {
        if (!isSpoolError(createErr) || createErr.code !== 'TOPIC_ALREADY_EXISTS') throw createErr;
      }
    }
  }

  /** The original records of the message, as stored; rendered JSON for any no longer in the log. */
  private async originals(letter: DeadLetter): Promise<Array<{ offset: number; key: Buffer | null; value: Buffer | null; headers: RecordHeaderInput[] }>> {
    const rendered = (JSON.parse(letter.body) as { records: Array<{ offset: number }> }).records;
    const wanted = new Set(rendered.map((r) => r.offset));
    const found = new Map<number, { offset: number; key: Buffer | null; value: Buffer | null; headers: RecordHeaderInput[] }>();
    try {
      const log = this.logs.getLog(letter.topic, letter.partition);
      let offset = Math.max(letter.firstOffset, log.logStartOffset);
      while (offset <= letter.lastOffset && offset < log.logEndOffset) {
        const read = await log.read(offset, READ_BYTES);
        if (read.records.length === 0) break;
        for (const batch of iterateBatches(read.records)) {
          if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
          for (const r of decodeRecordBatch(read.records, batch.pos).records) {
            if (wanted.has(r.offset)) found.set(r.offset, { offset: r.offset, key: r.key, value: r.value, headers: r.headers.map((h) => ({ key: h.key, value: h.value })) });
          }
        }
        offset = Math.max(offset + 1, read.nextOffset);
      }
    } catch (err) {
      if (!isSpoolError(err)) throw err; // the partition is gone or the range left the log: fall back below
    }
    return rendered.map(
      (r) => found.get(r.offset) ?? { offset: r.offset, key: null, value: Buffer.from(JSON.stringify(r)), headers: [{ key: 'spool.dlq.rendered', value: Buffer.from('true') }] },
    );
  }
}
