// Drives @confluentinc/kafka-javascript (Confluent's Node client, librdkafka underneath) for the
// client-matrix tests, one command per process so that librdkafka's threads never live in a
// test worker:
//
//   node kafka-javascript-client.mjs <bootstrap> <command> '<json args>'
//
// prints one line of JSON (the command's result) on stdout and exits 0, or prints the error on
// stderr and exits 1. BigInts (topic ids' halves, offsets in some results) print as strings.
// Commands: versions, create-topics, describe-topics, produce, consume (classic group, or KIP-848
// with groupProtocol 'consumer'), list-groups, describe-groups, offsets-by-time, delete-records,
// delete-groups, create-partitions, delete-topics, txn-produce and txn-copy (transactions). Built by scripts/setup.sh into test/clients/node_modules, outside the server's
// dependencies.
import { createRequire } from 'node:module';
import confluent from '@confluentinc/kafka-javascript';

const { KafkaJS, ConsumerGroupTypes } = confluent;
const [bootstrap, command, argsJson = '{}'] = process.argv.slice(2);
const args = JSON.parse(argsJson);

const kafka = new KafkaJS.Kafka({
  kafkaJS: { brokers: [bootstrap], clientId: 'spool-client-matrix', logLevel: KafkaJS.logLevel.NOTHING },
});

const typeName = (type) => Object.keys(ConsumerGroupTypes).find((k) => ConsumerGroupTypes[k] === type)?.toLowerCase() ?? String(type);

async function withAdmin(fn) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

const commands = {
  versions: async () => ({ client: '@confluentinc/kafka-javascript', version: createRequire(import.meta.url)('@confluentinc/kafka-javascript/package.json').version, librdkafka: confluent.librdkafkaVersion, features: confluent.features }),

  'create-topics': ({ topics }) =>
    withAdmin(async (admin) => ({ created: await admin.createTopics({ topics: topics.map(({ topic, numPartitions }) => ({ topic, numPartitions })) }) })),

  'describe-topics': ({ topics }) =>
    withAdmin(async (admin) => {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const listed = await admin.listTopics();
      return {
        listed: listed.filter((t) => topics.includes(t)).sort(),
        topics: metadata.map((t) => ({ name: t.name, topicId: t.topicId?.base64 ?? null, partitions: t.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader, isr: p.isr })) })),
      };
    }),

  // An idempotent producer (acks=all, sequence numbers) with one compression codec.
  produce: async ({ topic, codec, count, timestampStart }) => {
    const producer = kafka.producer({ 'enable.idempotence': true, 'compression.type': codec, 'linger.ms': 20 });
    await producer.connect();
    try {
      const messages = Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${codec}-value-${i}-${'x'.repeat(i % 40)}`, timestamp: String(timestampStart + i), partition: i % 2 }));
      const results = await producer.send({ topic, messages });
      return { results: results.map((r) => ({ partition: r.partition, errorCode: r.errorCode, baseOffset: String(r.baseOffset) })) };
    } finally {
      await producer.disconnect();
    }
  },

  // A group consumer reading every partition from the start until it has `expected` records, then
  // committing what it read and reading the group's committed offsets back. groupProtocol
  // 'classic' (JoinGroup/SyncGroup, client-side assignment) or 'consumer' (KIP-848:
  // ConsumerGroupHeartbeat, the broker assigns, with remoteAssignor if given: uniform or range).
  consume: async ({ topics, groupId, expected, timeoutMs = 30_000, groupProtocol = 'classic', remoteAssignor }) => {
    const consumer = kafka.consumer({
      kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
      'group.protocol': groupProtocol,
      ...(remoteAssignor !== undefined && { 'group.remote.assignor': remoteAssignor }),
    });
    await consumer.connect();
    const records = [];
    let described = null;
    try {
      await consumer.subscribe({ topics });
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed ${records.length} of ${expected} records in ${timeoutMs} ms`)), timeoutMs);
        consumer
          .run({
            eachMessage: async ({ topic, partition, message }) => {
              records.push({ topic, partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, timestamp: Number(message.timestamp) });
              if (records.length >= expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      const next = new Map();
      for (const r of records) next.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, offset: String(Math.max(r.offset + 1, Number(next.get(`${r.topic}\u0000${r.partition}`)?.offset ?? 0))) });
      await consumer.commitOffsets([...next.values()]);
      // A KIP-848 group as the Admin API describes it (ConsumerGroupDescribe) while this member is in it.
      if (groupProtocol === 'consumer') {
        const [g] = (await withAdmin((admin) => admin.describeGroups([groupId]))).groups;
        described = { type: typeName(g.type), assignor: g.partitionAssignor, members: g.members.map((m) => m.assignment.topicPartitions.length) };
      }
    } finally {
      await consumer.disconnect();
    }
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics }));
    return {
      described,
      records,
      committed: committed.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) }))),
    };
  },

  // ListGroups filtered by type ('classic' / 'consumer'), as the client names the groups' types.
  'list-groups': ({ types }) =>
    withAdmin(async (admin) => ({
      groups: (await admin.listGroups({ matchConsumerGroupTypes: types.map((t) => ConsumerGroupTypes[t.toUpperCase()]) })).groups.map((g) => ({ groupId: g.groupId, type: typeName(g.type) })),
    })),

  // DescribeGroups (classic) or ConsumerGroupDescribe (KIP-848): the client picks by the group's type.
  'describe-groups': ({ groupIds }) =>
    withAdmin(async (admin) => ({
      groups: (await admin.describeGroups(groupIds)).groups.map((g) => ({ groupId: g.groupId, type: typeName(g.type), state: g.state, members: g.members.length })),
    })),

  'offsets-by-time': ({ topic, timestamp }) =>
    withAdmin(async (admin) => ({ offsets: (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => ({ partition: p.partition, offset: Number(p.offset) })) })),

  // DeleteRecords up to each given offset, then the partitions' offsets as the client reads them.
  'delete-records': ({ topic, partitions }) =>
    withAdmin(async (admin) => {
      const results = await admin.deleteTopicRecords({ topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) });
      const offsets = await admin.fetchTopicOffsets(topic);
      return {
        results: results.map((r) => ({ partition: r.partition, lowWatermark: Number(r.lowWatermark), error: r.error ? String(r.error) : null })),
        offsets: offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition),
      };
    }),

  // DeleteGroups; a refused group comes back with the error's code name instead of failing the command.
  'delete-groups': ({ groupIds }) =>
    withAdmin(async (admin) => {
      try {
        return { groups: (await admin.deleteGroups(groupIds)).map((g) => ({ groupId: g.groupId, error: null })) };
      } catch (err) {
        if (!Array.isArray(err.groups)) throw err;
        return { groups: err.groups.map((g) => ({ groupId: g.groupId, error: g.error ? (g.error.type ?? String(g.error.code)) : null })) };
      }
    }),

  // CreatePartitions through the node-rdkafka-style AdminClient (the KafkaJS-style one has no
  // createPartitions); the client sends no assignment, the broker places the new partitions.
  'create-partitions': ({ topic, count }) =>
    new Promise((resolve) => {
      const admin = confluent.AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'spool-client-matrix', log_level: 0 });
      admin.createPartitions(topic, count, 30_000, (err) => {
        admin.disconnect();
        resolve({ error: err ? String(err.code ?? err.message) : null });
      });
    }),

  // A transactional producer (librdkafka's: InitProducerId with transactional.id, AddPartitionsToTxn,
  // EndTxn) running `transactions` in order, each committed or aborted as it says.
  'txn-produce': async ({ topic, transactionalId, transactions }) => {
    const producer = kafka.producer({ kafkaJS: { transactionalId, idempotent: true, maxInFlightRequests: 1 } });
    await producer.connect();
    try {
      for (const { values, commit } of transactions) {
        const txn = await producer.transaction();
        await txn.send({ topic, messages: values.map((value) => ({ value })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
      return { done: transactions.length };
    } finally {
      await producer.disconnect();
    }
  },

  // Consume-transform-produce: a group consumer reads `expected` records of `input`, and one
  // transaction writes them upper-cased to `output` with the consumed offsets (sendOffsets), then
  // commits or aborts as `commit` says.
  'txn-copy': async ({ input, output, groupId, transactionalId, expected, commit, timeoutMs = 30_000 }) => {
    const producer = kafka.producer({ kafkaJS: { transactionalId, idempotent: true, maxInFlightRequests: 1 } });
    const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } });
    await producer.connect();
    await consumer.connect();
    const records = [];
    try {
      await consumer.subscribe({ topics: [input] });
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed ${records.length} of ${expected} records in ${timeoutMs} ms`)), timeoutMs);
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              records.push({ partition, offset: Number(message.offset), value: message.value.toString() });
              if (records.length >= expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      consumer.pause([{ topic: input }]);
      const txn = await producer.transaction();
      await txn.send({ topic: output, messages: records.map((r) => ({ value: r.value.toUpperCase() })) });
      const next = new Map();
      for (const r of records) next.set(r.partition, Math.max(next.get(r.partition) ?? 0, r.offset + 1));
      await txn.sendOffsets({ consumer, topics: [{ topic: input, partitions: [...next].map(([partition, offset]) => ({ partition, offset: String(offset) })) }] });
      if (commit) await txn.commit();
      else await txn.abort();
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    // EndTxn is answered once the decision is durable; the markers, and with them the transaction's offsets,
    // follow (as in Kafka, where OffsetFetch without require_stable shows them only then): after a commit, look
    // again until the offsets are there, for at most 15 s.
    const fetchCommitted = async () => {
      const fetched = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [input] }));
      return fetched.flatMap((t) => t.partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })));
    };
    const settled = (offsets) => [...new Set(records.map((r) => r.partition))].every((partition) => {
      const expectedNext = Math.max(...records.filter((r) => r.partition === partition).map((r) => r.offset + 1));
      return offsets.some((o) => o.partition === partition && o.offset >= expectedNext);
    });
    let committed = await fetchCommitted();
    for (const giveUpAt = Date.now() + 15_000; commit && !settled(committed) && Date.now() < giveUpAt; ) {
      await new Promise((r) => setTimeout(r, 100));
      committed = await fetchCommitted();
    }
    return { consumed: records.length, committed };
  },

  'delete-topics': ({ topics }) =>
    withAdmin(async (admin) => {
      await admin.deleteTopics({ topics });
      return { remaining: (await admin.listTopics()).filter((t) => topics.includes(t)) };
    }),
};

const run = commands[command];
if (run === undefined) {
  process.stderr.write(`unknown command ${command}; one of ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
}
try {
  const result = await run(args);
  process.stdout.write(JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? String(value) : value)) + '\n');
  process.exit(0);
} catch (err) {
  process.stderr.write(`${command} failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}
