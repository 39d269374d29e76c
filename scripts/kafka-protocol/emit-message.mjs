/**
 * One generated module per message spec: the grammar comment, every struct's interface and
 * codec functions (emit-struct.mjs), `<MESSAGE>_SCHEMA` (the schema as data) and `<MESSAGE>_CODEC`.
 */
import { HEADER, rangeText, screaming } from './common.mjs';
import { emitDefault, emitInterface, emitRead, emitWrite } from './emit-struct.mjs';
import { recordsNullable, schemaDefault } from './field-types.mjs';

function schemaLiteral(fields, model, depth) {
  const items = fields.map((f) => {
    const parts = [`name: ${JSON.stringify(f.prop)}`, `type: ${JSON.stringify(f.jsonType)}`];
    const t = f.type;
    if (t.kind === 'array') {
      parts.push(`kind: 'array'`);
      if (t.element.kind === 'primitive') parts.push(`primitive: '${t.element.primitive}'`);
    } else if (t.kind === 'struct') {
      parts.push(`kind: 'struct'`);
    } else {
      parts.push(`kind: 'primitive'`, `primitive: '${t.primitive}'`);
    }
    parts.push(`versions: ${JSON.stringify(f.versions)}`);
    parts.push(`nullableVersions: ${JSON.stringify(recordsNullable(f) && !f.nullable ? null : f.nullable)}`);
    if (f.tagged) parts.push(`taggedVersions: ${JSON.stringify(f.tagged)}`, `tag: ${f.tag}`);
    if (f.flexibleOverride !== undefined) parts.push(`flexibleVersions: ${JSON.stringify(f.flexibleOverride)}`);
    parts.push(`ignorable: ${f.ignorable}`);
    const d = schemaDefault(f);
    if (d !== undefined) parts.push(`default: ${JSON.stringify(d)}`);
    const struct = t.kind === 'struct' ? t.struct : t.kind === 'array' && t.element.kind === 'struct' ? t.element.struct : null;
    if (struct) parts.push(`fields: ${schemaLiteral(struct.fields, model, depth + 1)}`);
    return `{ ${parts.join(', ')} }`;
  });
  if (items.length === 0) return '[]';
  const pad = '  '.repeat(depth + 1);
  return `[\n${items.map((i) => pad + i + ',').join('\n')}\n${'  '.repeat(depth)}]`;
}

/** The grammar comment that opens each generated file. */
function grammar(model) {
  const lines = [];
  const walk = (fields, depth) => {
    for (const f of fields) {
      const notes = [`v${rangeText(f.versions)}`];
      if (f.nullable) notes.push(`nullable v${rangeText(f.nullable)}`);
      if (f.tagged) notes.push(`tag ${f.tag}`);
      lines.push(`${'  '.repeat(depth)}${f.name}: ${f.jsonType} (${notes.join(', ')})`);
      const t = f.type.kind === 'array' ? f.type.element : f.type;
      if (t.kind === 'struct') walk(t.struct.fields, depth + 1);
    }
  };
  walk(model.top.fields, 1);
  const spec = model.spec;
  return [
    '/**',
    ` * ${spec.name} (${spec.type}${spec.apiKey !== undefined ? `, apiKey ${spec.apiKey}` : ''}): versions ${rangeText(model.valid)}, flexible ${rangeText(model.flexibleRaw)}.`,
    ' *',
    ' * Non-flexible versions: strings int16 length (-1 null), bytes/arrays int32 length (-1 null).',
    ' * Flexible versions: unsigned varint length + 1 (0 null), then per struct a tagged-field',
    ' * section: uvarint count, then (uvarint tag, uvarint size, value) in ascending tag order.',
    ' * Integers big-endian; nullable structs carry an int8 marker (-1 null, 1 present).',
    ' *',
    ...lines.map((l) => ` *   ${l}`),
    ' */',
  ].join('\n');
}

export function emitMessage(model) {
  const { spec } = model;
  const constName = screaming(spec.name);
  const parts = [HEADER(model.file), grammar(model), ''];
  const body = [];
  for (const s of model.structs) body.push(emitInterface(s));
  for (const s of model.structs) body.push(emitDefault(s));
  for (const s of model.structs) body.push(emitRead(s, model));
  for (const s of model.structs) body.push(emitWrite(s, model));
  if (model.sharedDefaults.size > 0) body.push([...model.sharedDefaults.values()].join('\n') + '\n');
  const schema = [
    `export const ${constName}_SCHEMA: KafkaMessageSchema = {`,
    `  name: ${JSON.stringify(spec.name)},`,
    `  type: ${JSON.stringify(spec.type)},`,
    spec.apiKey !== undefined ? `  apiKey: ${spec.apiKey},` : null,
    `  validVersions: ${JSON.stringify(model.valid)},`,
    `  flexibleVersions: ${JSON.stringify(model.flexibleRaw)},`,
    `  fields: ${schemaLiteral(model.top.fields, model, 1)},`,
    '};',
    '',
    `export const ${constName}_CODEC: KafkaMessageCodec<${spec.name}> = {`,
    `  schema: ${constName}_SCHEMA,`,
    `  read: read${spec.name},`,
    `  write: write${spec.name},`,
    `  defaults: default${spec.name},`,
    '};',
  ]
    .filter((l) => l !== null)
    .join('\n');
  body.push(schema + '\n');
  const code = body.join('\n');
  const imports = [];
  if (/\bByteReader\b/.test(code)) imports.push("import type { ByteReader } from '../kafka-reader.js';");
  if (/\bByteWriter\b/.test(code)) imports.push("import type { ByteWriter } from '../kafka-writer.js';");
  if (/\bkr\./.test(code)) imports.push("import * as kr from '../kafka-reader.js';");
  imports.push("import type { KafkaMessageCodec, KafkaMessageSchema } from '../kafka-schema.js';");
  if (/\bkw\./.test(code)) imports.push("import * as kw from '../kafka-writer.js';");
  return parts.join('\n') + imports.join('\n') + '\n\n' + code;
}
