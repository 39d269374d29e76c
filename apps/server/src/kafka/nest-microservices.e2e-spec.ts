/**
 * The NestJS Kafka transport (`@nestjs/microservices` 12, kafkajs underneath; a client nobody here
 * wrote) against the broker: a Nest microservice consumes with `@EventPattern` what a
 * `ClientKafka` emits, with keys and headers, and its consumer group is Spool's own (visible in
 * `GET /v1/groups/{group}`).
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, Ctx, EventPattern, KafkaContext, Payload, Transport, type KafkaOptions } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const TOPIC = 'orders.created';

interface Received {
  readonly data: unknown;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

const received: Received[] = [];

@Controller()
class OrdersController {
  @EventPattern<string>(TOPIC)
  onOrderCreated(@Payload() data: unknown, @Ctx() ctx: KafkaContext): void {
    const message = ctx.getMessage();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
    received.push({ data, key: message.key?.toString() ?? null, headers, partition: ctx.getPartition(), offset: message.offset });
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

let broker: KafkaTestBroker;
let microservice: INestMicroservice | undefined;
let client: ClientKafka | undefined;

const clientDefaults = (bootstrap: string, clientId: string): NonNullable<KafkaOptions['options']>['client'] => ({
  clientId,
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 50 },
});

beforeAll(async () => {
  broker = await startKafkaTestBroker();
});

afterAll(async () => {
  await client?.close();
  await microservice?.close();
  await broker?.close();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('@nestjs/microservices Kafka transport', () => {
  it('a @EventPattern controller receives exactly what a ClientKafka emits, with keys and headers', async () => {
    await broker.logManager.createTopic(TOPIC, 2);
    microservice = await NestFactory.createMicroservice<KafkaOptions>(OrdersModule, {
      logger: false,
      transport: Transport.KAFKA,
      options: {
        client: clientDefaults(broker.bootstrap, 'orders-service'),
        consumer: { groupId: 'orders', sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100, rebalanceTimeout: 5_000 },
        subscribe: { fromBeginning: true },
      },
    });
    await microservice.listen();

    client = new ClientKafka({
      client: clientDefaults(broker.bootstrap, 'orders-client'),
      producerOnlyMode: true,
      producer: { allowAutoTopicCreation: false },
    });
    await client.connect();

    const emitted = Array.from({ length: 20 }, (_, i) => ({
      key: `order-${i}`,
      value: { orderId: i, total: i * 10.5, items: ['a', 'b'].slice(0, (i % 2) + 1) },
      headers: { 'x-trace-id': `trace-${i}`, 'x-source': 'spool-test' },
    }));
    // The transport's serializer rewrites `value` in place (JSON text): emit copies, compare with the originals.
    for (const event of emitted) await firstValueFrom(client.emit(TOPIC, structuredClone(event)));
    // A bare payload (no key, no headers): the transport JSON-encodes it as the value.
    await firstValueFrom(client.emit(TOPIC, { bare: true }));

    await waitFor(() => received.length >= emitted.length + 1, `${emitted.length + 1} events (got ${received.length})`);
    // Nothing more arrives (no duplicates from a rebalance or a re-fetch).
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(emitted.length + 1);

    const byKey = new Map(received.filter((r) => r.key !== null).map((r) => [r.key, r]));
    expect(byKey.size).toBe(emitted.length);
    for (const event of emitted) {
      const got = byKey.get(event.key)!;
      expect(got.data).toEqual(event.value);
      expect(got.headers).toEqual(event.headers);
    }
    const bare = received.filter((r) => r.key === null);
    expect(bare.map((r) => r.data)).toEqual([{ bare: true }]);
    // Keys hash to partitions (the transport's default partitioner); records of one key stay in order per partition.
    for (const partition of [0, 1]) {
      const offsets = received.filter((r) => r.partition === partition).map((r) => Number(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    const stored = broker.logManager.getLog(TOPIC, 0).logEndOffset + broker.logManager.getLog(TOPIC, 1).logEndOffset;
    expect(stored).toBe(emitted.length + 1);

    // The transport's consumer group (groupId + '-server') runs on Spool's coordinator.
    const res = await fetch(`${broker.httpUrl}/v1/groups/orders-server`);
    expect(res.status).toBe(200);
    const group = (await res.json()) as { protocolType: string; members: { clientId: string }[] };
    expect(group.protocolType).toBe('consumer');
    expect(group.members.map((m) => m.clientId)).toEqual(['orders-service-server']);
  });
});
