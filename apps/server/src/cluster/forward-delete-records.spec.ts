/**
 * forwardDeleteRecords over RemoteWaits lanes whose senders answer DeleteRecords in-process (the
 * e2e cluster-delete-records.e2e-spec.ts does the same over real brokers): the leader's low
 * watermark and errors come back; two deletions to one leader in flight at once each get a lane of
 * their own (never one shared request, as long polls at one offset are).
 */
import type { KafkaRequestSender, KafkaResponse } from '@spool/broker-client';
import { KafkaApiKey, KafkaErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@spool/protocol';
import { forwardDeleteRecords } from './forward-delete-records.js';
import type { PartitionRouter } from './partition-router.js';
import { RemoteWaits } from './remote-waits.js';

interface Sent {
  readonly lane: number;
  readonly request: DeleteRecordsRequest;
  answer(errorCode: number, lowWatermark: number): void;
}

function harness(): { waits: RemoteWaits; sent: Sent[] } {
  const sent: Sent[] = [];
  let lanes = 0;
  const waits = new RemoteWaits(() => {
    const lane = lanes++;
    const sender: KafkaRequestSender = {
      send: <T>(apiKey: number, body: object): Promise<KafkaResponse<T>> => {
        expect(apiKey).toBe(KafkaApiKey.DeleteRecords);
        const request = body as DeleteRecordsRequest;
        return new Promise((resolve) => {
          sent.push({
            lane,
            request,
            answer: (errorCode, lowWatermark) => {
              const response: DeleteRecordsResponse = {
                throttleTimeMs: 0,
                topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark, errorCode })) })),
              };
              resolve({ apiVersion: 2, body: response as T });
            },
          });
        });
      },
    };
    return { sender: () => sender, close: async () => undefined } as unknown as PartitionRouter;
  });
  return { waits, sent };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

it("returns the leader's low watermark, each deletion on a lane of its own", async () => {
  const { waits, sent } = harness();
  const first = forwardDeleteRecords(waits, 2, 'orders', 0, 10, 30_000, 30_000);
  const second = forwardDeleteRecords(waits, 2, 'orders', 0, 12, 30_000, 30_000);
  await tick();
  expect(sent.map((s) => [s.lane, s.request.timeoutMs, s.request.topics])).toEqual([
    [0, 30_000, [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 10 }] }]],
    [1, 30_000, [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 12 }] }]],
  ]);
  sent[1]!.answer(KafkaErrorCode.NONE, 12);
  sent[0]!.answer(KafkaErrorCode.NONE, 12);
  await expect(Promise.all([first, second])).resolves.toEqual([12, 12]);
  await waits.close();
});

it("rejects with the leader's error code", async () => {
  const { waits, sent } = harness();
  const forwarded = forwardDeleteRecords(waits, 3, 'orders', 1, 5, 30_000, 30_000);
  await tick();
  sent[0]!.answer(KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, -1);
  await expect(forwarded).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
  await waits.close();
});
