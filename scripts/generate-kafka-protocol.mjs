#!/usr/bin/env node
/**
 * Generates the Kafka wire codecs of libs/protocol/src/kafka/generated/ from Kafka's JSON message
 * specs (../shared/kafka-protocol/messages/*.json, JSON with // comments) and the error-code table
 * (../shared/kafka-protocol/error-codes.tsv). Run with `npm run generate:kafka`; plain Node, no
 * dependencies. The output is committed; the JSON is not.
 *
 * Per message file it emits one TypeScript module holding:
 *   - an interface per struct (the message itself, inline structs, common structs), fields in
 *     camelCase as Kafka's Java generator names them (`TopicData` -> `topicData`);
 *   - `read<Struct>(reader, version)` / `write<Struct>(writer, value, version)` that walk the
 *     fields in order with version conditions folded in (`version >= 3`), compact encodings in
 *     flexible versions, and a tagged-field section per struct;
 *   - `default<Struct>()` building the default value of every field;
 *   - `<MESSAGE>_SCHEMA`, the schema as data (versions, nullability, tags, defaults), which tests
 *     and tools walk without knowing the message;
 *   - `<MESSAGE>_CODEC`, the schema with its read/write/default functions.
 * Plus generated/api-messages.ts (apiKey -> request/response codecs), generated/error-codes.ts and
 * generated/index.ts.
 *
 * Usage: node scripts/generate-kafka-protocol.mjs [--check]
 *   --check  regenerate in memory and fail if the committed files differ (for CI). *
 * The work is split by role under scripts/kafka-protocol/: parse-schemas.mjs (specs -> models),
 * field-types.mjs and field-codec.mjs (per-field defaults, types, sizes, read/write code),
 * emit-struct.mjs and emit-message.mjs (one module per message), emit-error-codes.mjs and
 * emit-registry.mjs (error-codes.ts, api-messages.ts, index.ts). This script only drives them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kebab } from './kafka-protocol/common.mjs';
import { emitErrorCodes } from './kafka-protocol/emit-error-codes.mjs';
import { emitMessage } from './kafka-protocol/emit-message.mjs';
import { emitApiMessages, emitIndex } from './kafka-protocol/emit-registry.mjs';
import { parseMessageSpec } from './kafka-protocol/parse-schemas.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC_DIR = resolve(ROOT, process.env.KAFKA_PROTOCOL_DIR ?? '../shared/kafka-protocol');
const OUT_DIR = join(ROOT, 'libs/protocol/src/kafka/generated');

function main() {
  const check = process.argv.includes('--check');
  const msgDir = join(SPEC_DIR, 'messages');
  const files = readdirSync(msgDir).filter((f) => f.endsWith('.json')).sort();
  const outputs = new Map();
  const models = [];
  for (const file of files) {
    const model = parseMessageSpec(readFileSync(join(msgDir, file), 'utf8'), file);
    models.push(model);
    outputs.set(`${kebab(model.spec.name)}.ts`, emitMessage(model));
  }
  outputs.set('api-messages.ts', emitApiMessages(models));
  outputs.set('error-codes.ts', emitErrorCodes(SPEC_DIR));
  outputs.set('index.ts', emitIndex(outputs.keys()));

  if (check) {
    const stale = [];
    for (const [name, text] of outputs) {
      const path = join(OUT_DIR, name);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
    }
    const extra = existsSync(OUT_DIR) ? readdirSync(OUT_DIR).filter((f) => !outputs.has(f)) : [];
    if (stale.length || extra.length) {
      console.error(`generated Kafka codecs are out of date (${[...stale, ...extra].join(', ')}): run npm run generate:kafka`);
      process.exit(1);
    }
    console.log(`generated Kafka codecs are up to date (${outputs.size} files)`);
    return;
  }
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, text] of outputs) writeFileSync(join(OUT_DIR, name), text);
  console.log(`wrote ${outputs.size} files to ${OUT_DIR} from ${files.length} specs`);
}

main();
