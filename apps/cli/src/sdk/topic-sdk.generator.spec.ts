// The generator's TypeScript for a document with the shapes the broker emits (topic-asyncapi.ts):
// names from subjects, recursion through $defs, nullable unions, enums, maps and index signatures,
// oneof exclusions ignored (TypeScript cannot say them), a topic without a key schema.
// cli-sdk-generate.e2e-spec.ts compiles and runs what it generates against a broker.
import { generateTopicSdk, topicsOf } from './topic-sdk.generator.js';

const DOCUMENT = {
  asyncapi: '3.0.0',
  channels: {
    ws: { address: '/v1/ws' },
    'topic.tree-events': { 'x-spool-topic': { topic: 'tree-events', key: null, value: { subject: 'tree-events-value', version: 2, id: 7, schemaType: 'AVRO' } } },
    'topic.accounts': {
      'x-spool-topic': { topic: 'accounts', key: { subject: 'accounts-key', version: 1, id: 3, schemaType: 'JSON' }, value: { subject: 'accounts-value', version: 1, id: 4, schemaType: 'PROTOBUF' } },
    },
  },
  components: {
    schemas: {
      'tree-events-value': {
        $ref: '#/components/schemas/tree-events-value/$defs/acme.Node',
        description: 'AVRO schema id 7',
        $defs: {
          'acme.Node': { title: 'acme.Node', type: 'object', required: ['label'], additionalProperties: false, properties: {
            label: { type: 'string', description: 'what it says' },
            children: { type: 'array', items: { $ref: '#/components/schemas/tree-events-value/$defs/acme.Node' } },
            parent: { anyOf: [{ type: 'null' }, { $ref: '#/components/schemas/tree-events-value/$defs/acme.Node' }], default: null },
            kind: { $ref: '#/components/schemas/tree-events-value/$defs/acme.Kind' },
            'weird-name': { type: 'integer' },
          } },
          'acme.Kind': { enum: ['LEAF', 'BRANCH'] },
        },
      },
      'accounts-key': { type: ['string', 'null'] },
      'accounts-value': { type: 'object', properties: { balances: { type: 'object', additionalProperties: { type: 'string' } }, card: { type: 'string' }, iban: { type: 'string' } }, additionalProperties: false, not: { anyOf: [{ required: ['card', 'iban'] }] } },
    },
  },
};

describe('spool sdk generate: TypeScript from the AsyncAPI document', () => {
  const text = generateTopicSdk(DOCUMENT, { sdkImport: '@spool/sdk', source: 'test' });

  it('finds the topics by x-spool-topic, sorted', () => {
    expect(topicsOf(DOCUMENT).map((t) => t.topic)).toEqual(['accounts', 'tree-events']);
  });

  it('declares a type per subject and per named type, recursive references by name', () => {
    expect(text).toContain('export type TreeEventsValue = TreeEventsValue_Node;');
    expect(text).toMatch(/export type TreeEventsValue_Node = \{\n {2}\/\*\* what it says \*\/\n {2}label: string;\n {2}children\?: TreeEventsValue_Node\[\];\n {2}parent\?: null \| TreeEventsValue_Node;\n {2}kind\?: TreeEventsValue_Kind;\n {2}"weird-name"\?: number;\n\};/);
    expect(text).toContain('export type TreeEventsValue_Kind = "LEAF" | "BRANCH";');
    expect(text).toContain('export type AccountsKey = string | null;');
    expect(text).toMatch(/export type AccountsValue = \{\n {2}balances\?: \{\n {4}\[key: string\]: string;\n {2}\};\n {2}card\?: string;\n {2}iban\?: string;\n\};/);
  });

  it('maps each topic to its key and value types; no key schema means a string key', () => {
    expect(text).toMatch(/"tree-events": \{ key: string; value: TreeEventsValue; keySubject: null; valueSubject: "tree-events-value" \};/);
    expect(text).toMatch(/accounts: \{ key: AccountsKey; value: AccountsValue; keySubject: "accounts-key"; valueSubject: "accounts-value" \};/);
    expect(text).toContain('import { fetchRecords, produce, type Client } from "@spool/sdk";');
  });

  it('refuses what is not an AsyncAPI 3 document', () => {
    expect(() => generateTopicSdk({ openapi: '3.1.0' }, { sdkImport: '@spool/sdk', source: 'test' })).toThrow(/not an AsyncAPI 3 document/);
  });
});
