/**
 * NATS JetStream through nats.js (@nats-io/transport-node + @nats-io/jetstream): a stream on
 * file storage, `js.publish` (each publish awaits its PubAck; a batch's publishes are in flight
 * together) and an ordered consumer reading from the start.
 */
import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { rawValue } from '../records.js';

export interface NatsSession {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  close(): Promise<void>;
}

export async function natsSession(port: number): Promise<NatsSession> {
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  return { nc, js: jetstream(nc), close: () => nc.close() };
}

/** A file-storage stream `name` on subject `name`. */
export async function createStream(session: NatsSession, name: string): Promise<void> {
  const jsm = await jetstreamManager(session.nc);
  await jsm.streams.add({ name, subjects: [name], storage: StorageType.File });
}

export async function publishBatch(session: NatsSession, subject: string, perBatch: number, valueBytes: number): Promise<number> {
  const value = rawValue(valueBytes);
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < perBatch; i++) acks.push(session.js.publish(subject, value));
  await Promise.all(acks);
  return perBatch;
}

/** Reads `total` messages of `stream` from the start with an ordered consumer. */
export async function consumeAll(session: NatsSession, stream: string, total: number): Promise<number> {
  const consumer = await session.js.consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  let read = 0;
  for await (const _m of messages) {
    if (++read >= total) break;
  }
  await messages.close();
  return read;
}
