// Drives KIP-848 consumer groups (`group.protocol=consumer`) of @confluentinc/kafka-javascript
// (librdkafka 2.15) for kip848.e2e-spec.ts. Unlike kafka-javascript-client.mjs (one command per
// process), a group scenario needs its consumers to live across commands, so this process stays up:
//
//   node kafka-javascript-group-client.mjs <bootstrap>
//
// reads one JSON command per line on stdin ({ "id": n, "op": ..., ...args }) and answers each with one
// JSON line on stdout ({ "id": n, "ok": true, ...result } or { "id": n, "ok": false, "error": "..." }).
// librdkafka's threads live here, never in a Jest worker.
//
// Every consumer's rebalance callback records what it was assigned and what it revoked, in this one
// process, so the order of events across consumers is the order librdkafka delivered them: if a
// partition is assigned to one consumer while another still holds it, that is recorded as a violation.
//
// Ops: consumer { name, groupId, topics: [string | { regex }], instanceId? } (connect, subscribe, run);
// owned (every consumer's partitions, revocation counts, violations, records consumed); commit { name };
// disconnect { name }; produce { topic, count, tag, partitions }; list-groups { types };
// describe-groups { groupIds }; exit.
import { createInterface } from 'node:readline';
import confluent from '@confluentinc/kafka-javascript';

const { KafkaJS, ConsumerGroupTypes, CODES } = confluent;
const [bootstrap] = process.argv.slice(2);
const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: [bootstrap], clientId: 'spool-kip848', logLevel: KafkaJS.logLevel.NOTHING } });

const consumers = new Map();
const owned = new Map();
const revoked = new Map();
const violations = [];
const consumed = [];
const key = (tp) => `${tp.topic}-${tp.partition}`;

function rebalanceCallback(name) {
  owned.set(name, new Set());
  revoked.set(name, []);
  return (err, assignment) => {
    const mine = owned.get(name);
    if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      for (const tp of assignment) {
        for (const [other, set] of owned) if (other !== name && set.has(key(tp))) violations.push(`${key(tp)} assigned to ${name} while ${other} owns it`);
        mine.add(key(tp));
      }
    } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      for (const tp of assignment) {
        mine.delete(key(tp));
        revoked.get(name).push(key(tp));
      }
    }
  };
}

async function withAdmin(fn) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

const ops = {
  consumer: async ({ name, groupId, topics, instanceId }) => {
    const c = kafka.consumer({
      kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
      'group.protocol': 'consumer',
      'client.id': name,
      rebalance_cb: rebalanceCallback(name),
      ...(instanceId !== undefined && { 'group.instance.id': instanceId }),
    });
    consumers.set(name, c);
    await c.connect();
    await c.subscribe({ topics: topics.map((t) => (typeof t === 'string' ? t : new RegExp(t.regex))) });
    void c.run({ eachMessage: async ({ partition, message }) => void consumed.push(`${partition}:${message.offset}:${String(message.value)}`) });
    return {};
  },
  owned: async () => ({
    owned: Object.fromEntries([...owned].map(([n, set]) => [n, [...set].sort()])),
    revoked: Object.fromEntries(revoked),
    violations,
    consumed,
  }),
  commit: async ({ name }) => {
    await consumers.get(name).commitOffsets();
    return {};
  },
  disconnect: async ({ name }) => {
    await consumers.get(name).disconnect();
    consumers.delete(name);
    return {};
  },
  produce: async ({ topic, count, tag, partitions }) => {
    const producer = kafka.producer({ 'linger.ms': 0 });
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `${tag}-${i}`, partition: i % partitions })) });
    await producer.disconnect();
    return {};
  },
  'list-groups': ({ types }) =>
    withAdmin(async (admin) => ({ groupIds: (await admin.listGroups({ matchConsumerGroupTypes: types.map((t) => ConsumerGroupTypes[t.toUpperCase()]) })).groups.map((g) => g.groupId) })),
  'describe-groups': ({ groupIds }) =>
    withAdmin(async (admin) => ({
      groups: (await admin.describeGroups(groupIds)).groups.map((g) => ({
        groupId: g.groupId,
        type: Object.keys(ConsumerGroupTypes).find((k) => ConsumerGroupTypes[k] === g.type),
        members: g.members.map((m) => ({ memberId: m.memberId, partitions: m.assignment.topicPartitions.map(key).sort() })),
      })),
    })),
  exit: async () => {
    for (const c of consumers.values()) await c.disconnect().catch(() => undefined);
    setImmediate(() => process.exit(0));
    return {};
  },
};

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, op, ...args } = JSON.parse(line);
  Promise.resolve()
    .then(() => ops[op](args))
    .then(
      (result) => process.stdout.write(`${JSON.stringify({ id, ok: true, ...result })}\n`),
      (err) => process.stdout.write(`${JSON.stringify({ id, ok: false, error: String(err?.stack ?? err) })}\n`),
    );
});
lines.on('close', () => process.exit(0));
