/**
 * Confluent's own serializers as judges: Python `confluent_kafka` 1.7 (Debian's
 * python3-confluent-kafka, librdkafka 2.0.2, with python3-requests and python3-jsonschema for its
 * schema_registry module; /usr/bin/python3) pointed at Spool's registry (`<http>/schemas`) and
 * Kafka listener, on a topic with confluent.value.schema.validation=true:
 *  - its JSONSerializer registers the schema under `<topic>-value` (TopicNameStrategy, auto
 *    register) and produces prefixed records, which Spool accepts and reads back as JSON with the
 *    schema id; a record without the prefix is refused with INVALID_RECORD in the delivery report;
 *  - JSON produced over HTTP is read by its JSONDeserializer unmodified.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { http } from '../http/testing/http-api.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const TOPIC = 'py-events';
const SCHEMA = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Event', type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer' } }, required: ['name', 'n'] };

// Produces two serialized events and one raw value, then reads `expect` records from the start and prints each decoded.
const SCRIPT = `
import json, sys
from confluent_kafka import Producer, Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONSerializer, JSONDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
registry_url, bootstrap, topic, schema, expect = sys.argv[1:6]
sr = SchemaRegistryClient({'url': registry_url})
ser = JSONSerializer(schema, sr)
ctx = SerializationContext(topic, MessageField.VALUE)
reports = []
def report(err, msg):
    reports.append(None if err is None else err.name())
p = Producer({'bootstrap.servers': bootstrap, 'message.send.max.retries': 0, 'api.version.request': True})
for i, name in enumerate(['py-1', 'py-2']):
    p.produce(topic, value=ser({'name': name, 'n': i}, ctx), on_delivery=report)
    p.flush(20)
p.produce(topic, value=b'{"name":"raw","n":9}', on_delivery=report)
p.flush(20)
print(json.dumps({'reports': reports}), flush=True)
de = JSONDeserializer(schema)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-schemas', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
seen = []
while len(seen) < int(expect):
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    seen.append(de(m.value(), ctx))
c.close()
print(json.dumps({'decoded': seen}), flush=True)
`;

let broker: KafkaTestBroker;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  expect((await http(broker.httpUrl, 'POST', '/v1/topics', { name: TOPIC, partitions: 1, configs: { 'confluent.value.schema.validation': 'true' } })).status).toBe(201);
});
afterAll(() => broker.close());

it('confluent_kafka JSONSerializer registers and produces through Spool; its JSONDeserializer reads what HTTP produced', async () => {
  // Registered by the serializer itself before the first record; until then HTTP produce is SCHEMA_NOT_FOUND.
  expect((await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: { name: 'early', n: 0 } }] })).body.error.code).toBe('SCHEMA_NOT_FOUND');
  const first = run(PYTHON, ['-c', SCRIPT, `${broker.httpUrl}/schemas`, broker.bootstrap, TOPIC, JSON.stringify(SCHEMA), '3'], { timeout: 60_000 });
  // While the script waits for a third record, produce it over HTTP: Spool encodes it with the registered schema.
  const deadline = Date.now() + 45_000;
  while ((await http(broker.httpUrl, 'GET', `/v1/topics/${TOPIC}/partitions/0/offsets`)).body.latest < 2) {
    if (Date.now() > deadline) throw new Error('the Python producer did not produce');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: { name: 'from-http', n: 3 } }] })).status).toBe(200);
  const { stdout } = await first;
  const [reports, decoded] = stdout.trim().split('\n').map((line) => JSON.parse(line));
  expect(reports).toEqual({ reports: [null, null, 'INVALID_RECORD'] });
  expect(decoded).toEqual({ decoded: [{ name: 'py-1', n: 0 }, { name: 'py-2', n: 1 }, { name: 'from-http', n: 3 }] });

  const subject = await http(broker.httpUrl, 'GET', `/schemas/subjects/${TOPIC}-value/versions/latest`);
  expect(subject.body).toMatchObject({ subject: `${TOPIC}-value`, version: 1, schemaType: 'JSON' });
  const read = await http(broker.httpUrl, 'GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0&valueFormat=json`);
  expect(read.body.records.map((r: { value: unknown; valueSchemaId: number }) => [r.value, r.valueSchemaId])).toEqual([
    [{ name: 'py-1', n: 0 }, subject.body.id],
    [{ name: 'py-2', n: 1 }, subject.body.id],
    [{ name: 'from-http', n: 3 }, subject.body.id],
  ]);
});
