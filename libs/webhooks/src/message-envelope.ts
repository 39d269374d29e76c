/**
 * The body of a webhook request (one "message"): records of one partition, consecutive in
 * offset order (filtered records left out), as JSON:
 *
 *   {"type":"spool.records","subscription":"<name>","topic":"<topic>","partition":<p>,
 *    "records":[{"topic":"<topic>","partition":<p>,"offset":<n>,"timestamp":<ms>,"key":...,
 *                "value":...,"headers":{...}[,"keyEncoding":...]...}, ...]}
 *
 * Each record object is the broker's one rendering of a stored record (the HTTP fetch route's,
 * there with only "partition" in front), given here as bytes that start with `{"offset":` and
 * put after `"topic":..,"partition":..,`: stored JSON values are copied, never re-serialized.
 *
 * webhook-id: `<subscription>.<topic>-<partition>-<offset>` for a one-record message, and
 * `<subscription>.<topic>-<partition>-<firstOffset>~<lastOffset>` for a batch. It is the same on
 * every retry of the message, and a record is redelivered under the same id as long as the batch
 * boundaries are the same (always, with the default one record per message). Subscription names
 * have no dot and topic names no `~`, so ids cannot collide.
 */

export const MESSAGE_TYPE = 'spool.records';

export function webhookIdFor(subscription: string, topic: string, partition: number, firstOffset: number, lastOffset: number): string {
  const base = `${subscription}.${topic}-${partition}-${firstOffset}`;
  return lastOffset === firstOffset ? base : `${base}~${lastOffset}`;
}

/** The message body; `records`: each record's JSON object, `{"offset":...}`. */
export function messageBody(subscription: string, topic: string, partition: number, records: readonly Uint8Array[]): Buffer {
  const where = `"topic":${JSON.stringify(topic)},"partition":${partition},`;
  const head = Buffer.from(`{"type":"${MESSAGE_TYPE}","subscription":${JSON.stringify(subscription)},${where}"records":[`);
  const recordHead = Buffer.from(`{${where}`);
  let size = head.length + 2;
  for (const r of records) size += recordHead.length + r.length - 1 + 1;
  const out = Buffer.allocUnsafe(size - (records.length > 0 ? 1 : 0));
  let pos = head.copy(out, 0);
  records.forEach((r, i) => {
    if (i > 0) out[pos++] = 0x2c;
    pos += recordHead.copy(out, pos);
    out.set(r.subarray(1), pos); // the record's fields after its opening brace
    pos += r.length - 1;
  });
  out[pos++] = 0x5d; // ]
  out[pos++] = 0x7d; // }
  return out.subarray(0, pos);
}
