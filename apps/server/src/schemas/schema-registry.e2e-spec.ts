/**
 * Confluent Schema Registry's REST API under /schemas, judged by `@kafkajs/confluent-schema-registry`
 * (a client nobody here wrote, pointed at `<server>/schemas` and nothing else): it registers
 * Avro, JSON Schema and Protobuf schemas, encodes records in Confluent's wire format with the
 * ids Spool hands out, and decodes them again after fetching the schemas by id. Around it, plain
 * HTTP for what the client does not cover: versions, lookup, soft and permanent deletes,
 * compatibility levels and checks, mode, references, Confluent's error codes and media type, and
 * the state read back from `_schemas` after a restart.
 */
import { COMPATIBILITY, SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { http, startTestServer, type TestServer } from '../http/testing/http-api.test-util.js';

const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
const USER_AVRO = { type: 'record', name: 'User', namespace: 'acme', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] };
const USER_JSON = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] };
const USER_PROTO = 'syntax = "proto3";\npackage acme;\n\nmessage User {\n  string name = 1;\n  int32 age = 2;\n}\n';

let server: TestServer;
let client: ConfluentClient;

/** A request in Confluent's media type, as the Confluent clients send them. */
function sr(method: string, urlPath: string, body?: unknown) {
  return http(server.url, method, `/schemas${urlPath}`, body, body === undefined ? {} : { 'content-type': MEDIA_TYPE });
}

beforeAll(async () => {
  server = await startTestServer();
  client = new ConfluentClient({ host: `${server.url}/schemas`, retry: { retries: 0 } });
});
afterAll(() => server.close());

describe('the Confluent client through Spool', () => {
  it('Avro: registers, encodes with the id, decodes after fetching the schema by id', async () => {
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER_AVRO) }, { subject: 'users-avro-value' });
    expect(id).toBeGreaterThan(0);
    const encoded = await client.encode(id, { name: 'ann', age: 41 });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    const fresh = new ConfluentClient({ host: `${server.url}/schemas` }); // an empty cache: fetches /schemas/ids/{id}
    expect(await fresh.decode(encoded)).toEqual({ name: 'ann', age: 41 });
    expect(await fresh.getLatestSchemaId('users-avro-value')).toBe(id);
    // the same schema again (other layout) is the same id, and no new version
    const again = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER_AVRO, null, 2) }, { subject: 'users-avro-value' });
    expect(again.id).toBe(id);
    expect((await sr('GET', '/subjects/users-avro-value/versions')).body).toEqual([1]);
  });

  it('JSON Schema: registers, encodes, decodes; a record that does not fit is refused by the client', async () => {
    const { id } = await client.register({ type: SchemaType.JSON, schema: JSON.stringify(USER_JSON) }, { subject: 'users-json-value' });
    const encoded = await client.encode(id, { name: 'bob', age: 7 });
    expect(encoded.readInt32BE(1)).toBe(id);
    const fresh = new ConfluentClient({ host: `${server.url}/schemas` });
    expect(await fresh.decode(encoded)).toEqual({ name: 'bob', age: 7 });
    await expect(client.encode(id, { age: 'seven' })).rejects.toThrow();
  });

  it('Protobuf: registers, encodes, decodes (this client writes no message indexes; Spool reads both forms)', async () => {
    const { id } = await client.register({ type: SchemaType.PROTOBUF, schema: USER_PROTO }, { subject: 'users-proto-value' });
    const encoded = await client.encode(id, { name: 'cy', age: 3 });
    expect(encoded.readInt32BE(1)).toBe(id);
    const fresh = new ConfluentClient({ host: `${server.url}/schemas` });
    expect(await fresh.decode(encoded)).toMatchObject({ name: 'cy', age: 3 });
    const got = await sr('GET', `/schemas/ids/${id}`);
    expect(got.body).toEqual({ schemaType: 'PROTOBUF', schema: USER_PROTO });
  });

  it('an incompatible Avro schema is refused with 409; after NONE it registers as version 2', async () => {
    const subject = 'orders-value';
    const v1 = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] };
    const v2 = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }, { name: 'total', type: 'double' }] };
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    // adding a field without a default breaks BACKWARD (the default level)
    await expect(client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject })).rejects.toThrow(/409|incompatible/i);
    const check = await sr('POST', `/compatibility/subjects/${subject}/versions/latest?verbose=true`, { schema: JSON.stringify(v2) });
    expect(check.status).toBe(200);
    expect(check.body.is_compatible).toBe(false);
    expect(check.body.messages.join(' ')).toMatch(/READER_FIELD_MISSING_DEFAULT_VALUE|total/);
    // the client set BACKWARD on the subject at its first registration, and checks it before each one
    expect((await sr('GET', `/config/${subject}`)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await sr('PUT', `/config/${subject}`, { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject, compatibility: COMPATIBILITY.NONE });
    expect((await sr('GET', `/config/${subject}`)).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await sr('GET', `/subjects/${subject}/versions/2`)).body).toEqual({ subject, version: 2, id, schema: JSON.stringify(v2) });
  });
});

describe('REST API', () => {
  it('answers in Confluent media type, with the root, the types and the default config', async () => {
    const root = await sr('GET', '');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain(MEDIA_TYPE);
    expect((await sr('GET', '/schemas/types')).body).toEqual(['AVRO', 'JSON', 'PROTOBUF']);
    expect((await sr('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await sr('GET', '/mode')).body).toEqual({ mode: 'READWRITE' });
  });

  it("refuses with Confluent's error codes", async () => {
    const expectError = async (res: Promise<{ status: number; body: any; headers: Headers }>, status: number, errorCode: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const { status: got, body, headers } = await res;
      expect({ status: got, errorCode: body?.error_code }).toEqual({ status, errorCode });
      expect(typeof body.message).toBe('string');
      expect(headers.get('content-type')).toContain(MEDIA_TYPE);
    };
    await expectError(sr('GET', '/subjects/nope/versions'), 404, 40401);
    await expectError(sr('GET', '/subjects/users-avro-value/versions/9'), 404, 40402);
    await expectError(sr('GET', '/schemas/ids/99999'), 404, 40403);
    await expectError(sr('GET', '/schemas/ids/abc'), 404, 40403);
    await expectError(sr('GET', '/subjects/users-avro-value/versions/0'), 422, 42202);
    await expectError(sr('GET', '/config/never-configured'), 404, 40408);
    expect((await sr('GET', '/config/never-configured?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    await expectError(sr('POST', '/subjects/bad-value/versions', { schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' }), 422, 42201);
    await expectError(sr('POST', '/subjects/bad-value/versions', { schema: 'message {', schemaType: 'PROTOBUF' }), 422, 42201);
    await expectError(sr('POST', '/subjects/bad-value/versions', { schema: '{"type": 5}', schemaType: 'JSON' }), 422, 42201);
    await expectError(sr('POST', '/subjects/bad-value/versions', { schema: '"string"', schemaType: 'XML' }), 422, 42201);
    await expectError(sr('POST', '/subjects/bad-value/versions', {}), 422, 42201);
    await expectError(sr('PUT', '/config', { compatibility: 'SOMETIMES' }), 422, 42203);
    await expectError(sr('PUT', '/mode', { mode: 'WRITEONLY' }), 422, 42204);
    await expectError(http(server.url, 'POST', '/schemas/subjects/x/versions', '{not json', { 'content-type': MEDIA_TYPE }), 400, 400);
    await expectError(sr('GET', '/no/such/route'), 404, 404);
    // a schema over the 1 MiB limit: 42209, and the server is fine afterwards
    await expectError(sr('POST', '/subjects/huge-value/versions', { schema: JSON.stringify({ type: 'enum', name: 'E', symbols: Array.from({ length: 120_000 }, (_, i) => `S${i}`) }) }), 422, 42209);
    // nesting deep enough to overflow a recursive parser: 42201
    await expectError(sr('POST', '/subjects/deep-value/versions', { schemaType: 'JSON', schema: '{"items":'.repeat(5000) + '{}' + '}'.repeat(5000) }), 422, 42201);
    expect((await sr('GET', '/subjects')).status).toBe(200);
  });

  it('lookup, versions by id, soft then permanent delete', async () => {
    const subject = 'lookup-value';
    const schema = JSON.stringify({ type: 'record', name: 'L', fields: [{ name: 'a', type: 'string' }] });
    const { body: registered } = await sr('POST', `/subjects/${subject}/versions`, { schema });
    const found = await sr('POST', `/subjects/${subject}`, { schema: JSON.stringify(JSON.parse(schema), null, 4) });
    expect(found.body).toEqual({ subject, version: 1, id: registered.id, schema });
    expect((await sr('GET', `/schemas/ids/${registered.id}/versions`)).body).toEqual([{ subject, version: 1 }]);
    expect((await sr('GET', `/subjects/${subject}/versions/latest/schema`)).body).toEqual(JSON.parse(schema));

    // permanent first is refused; soft delete hides it; permanent then removes it
    expect((await sr('DELETE', `/subjects/${subject}/versions/1?permanent=true`)).body.error_code).toBe(40407);
    expect((await sr('DELETE', `/subjects/${subject}/versions/1`)).body).toBe(1);
    expect((await sr('GET', '/subjects')).body).not.toContain(subject);
    expect((await sr('GET', '/subjects?deleted=true')).body).toContain(subject);
    expect((await sr('GET', `/subjects/${subject}/versions/1?deleted=true`)).status).toBe(200);
    expect((await sr('DELETE', `/subjects/${subject}/versions/1?permanent=true`)).body).toBe(1);
    expect((await sr('GET', '/subjects?deleted=true')).body).not.toContain(subject);
    expect((await sr('GET', `/schemas/ids/${registered.id}`)).body.error_code).toBe(40403);

    // a new schema never gets a permanently deleted id again
    const next = await sr('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify({ type: 'record', name: 'L', fields: [{ name: 'b', type: 'string' }] }) });
    expect(next.body.id).toBeGreaterThan(registered.id);
  });

  it('references: an Avro schema using a type registered under another subject', async () => {
    const address = JSON.stringify({ type: 'record', name: 'Address', namespace: 'acme', fields: [{ name: 'city', type: 'string' }] });
    await sr('POST', '/subjects/address/versions', { schema: address });
    const person = JSON.stringify({ type: 'record', name: 'Person', namespace: 'acme', fields: [{ name: 'home', type: 'acme.Address' }] });
    const references = [{ name: 'acme.Address', subject: 'address', version: 1 }];
    const { status, body } = await sr('POST', '/subjects/person-value/versions', { schema: person, references });
    expect(status).toBe(200);
    expect((await sr('GET', `/schemas/ids/${body.id}`)).body).toEqual({ schema: person, references });
    expect((await sr('GET', '/subjects/address/versions/1/referencedby')).body).toEqual([body.id]);
    // the referenced version cannot go while it is referenced
    await sr('DELETE', '/subjects/address/versions/1');
    expect((await sr('DELETE', '/subjects/address/versions/1?permanent=true')).body.error_code).toBe(42206);
    const encoded = await client.encode(body.id, { home: { city: 'Oslo' } });
    expect(await new ConfluentClient({ host: `${server.url}/schemas` }).decode(encoded)).toEqual({ home: { city: 'Oslo' } });
  });

  it('READONLY mode refuses registrations with 42205', async () => {
    expect((await sr('PUT', '/mode/frozen-value', { mode: 'READONLY' })).body).toEqual({ mode: 'READONLY' });
    expect((await sr('POST', '/subjects/frozen-value/versions', { schema: '"string"' })).body.error_code).toBe(42205);
    expect((await sr('DELETE', '/mode/frozen-value')).body).toEqual({ mode: 'READONLY' });
    expect((await sr('POST', '/subjects/frozen-value/versions', { schema: '"string"' })).status).toBe(200);
  });

  it('everything is read back from _schemas after a restart; ids go on from the highest', async () => {
    const before = {
      subjects: (await sr('GET', '/subjects')).body,
      avro: (await sr('GET', '/subjects/users-avro-value/versions/latest')).body,
      config: (await sr('GET', '/config/orders-value')).body,
    };
    server = await server.restart();
    expect((await sr('GET', '/subjects')).body).toEqual(before.subjects);
    expect((await sr('GET', '/subjects/users-avro-value/versions/latest')).body).toEqual(before.avro);
    expect((await sr('GET', '/config/orders-value')).body).toEqual(before.config);
    const maxId = Math.max(...(await Promise.all(before.subjects.map(async (s: string) => (await sr('GET', `/subjects/${encodeURIComponent(s)}/versions/latest`)).body.id))));
    const fresh = await sr('POST', '/subjects/after-restart-value/versions', { schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'z', type: 'long' }] }) });
    expect(fresh.body.id).toBeGreaterThan(maxId);
  });
});
