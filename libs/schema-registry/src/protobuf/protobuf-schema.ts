/**
 * PROTOBUF schemas (.proto text, proto2 or proto3) through protobufjs, field names kept as written.
 *
 * References: a reference's `name` is the import path the schema uses (`import "address.proto"`);
 * referenced files are parsed first into the same root. Google's well-known types
 * (google/protobuf/timestamp.proto and the others protobufjs ships) need no reference. After
 * parsing, every type name must resolve, else INVALID_SCHEMA naming it. Extensions (proto2
 * `extend`) are refused.
 *
 * Identity: the text is kept as registered (it is what clients parse again), and two texts are
 * the same schema when their parsed structure is (package, imports, syntax, every type with its
 * fields, numbers, options): comments and layout do not matter.
 *
 * Which message a record is: Confluent's message indexes (wire-format.ts) count the file's
 * messages in declaration order, top level first, then nested ones inside their parent. The JSON
 * bridge encodes the first message unless told another by its full name.
 */
import protobuf from 'protobufjs';
import type { CompatibilityIssue, ParsedSchema, ValidationIssue } from '../parsed-schema.js';
import { recordInvalid } from '../record-issues.js';
import { invalidSchema } from '../schema-limits.js';
import { SchemaRegistryError } from '../schema-registry.error.js';
import { decodeMessageIndexes, encodeMessageIndexes } from '../wire-format.js';
import { protobufIssues, type ProtoFile } from './protobuf-compatibility.js';
import { jsonToProtobuf, protobufToJson } from './protobuf-json.js';
import { protobufJsonSchema } from './protobuf-json-schema.js';

const PARSE_OPTIONS = { keepCase: true, alternateCommentMode: false } as const;

export interface ProtobufDependency {
  readonly name: string;
  readonly schema: string;
}

export class ProtobufParsedSchema implements ParsedSchema {
  readonly schemaType = 'PROTOBUF' as const;

  constructor(
    readonly canonical: string,
    readonly fingerprint: string,
    readonly file: ProtoFile,
    /** The file's messages by index path ("0", "0.1", ...), in declaration order. */
    private readonly messagesByPath: ReadonlyMap<string, protobuf.Type>,
  ) {}

  readerIssues(writer: ParsedSchema): CompatibilityIssue[] {
    return protobufIssues((writer as ProtobufParsedSchema).file, this.file);
  }

  /** The message named `messageName` (full name, leading dot optional), or the file's first; with its index path. */
  message(messageName?: string): { type: protobuf.Type; indexes: number[] } {
    for (const [path, type] of this.messagesByPath) {
      if (messageName === undefined || type.fullName === `.${messageName.replace(/^\./, '')}`) return { type, indexes: path.split('.').map(Number) };
    }
    const what = messageName === undefined ? 'the schema defines no message' : `the schema has no message ${JSON.stringify(messageName)}`;
    throw new SchemaRegistryError('INVALID_RECORD', what, { issues: [{ path: '', message: what }] });
  }

  encodeJson(value: unknown, messageName?: string): Buffer {
    const { type, indexes } = this.message(messageName);
    const issues: ValidationIssue[] = [];
    const object = jsonToProtobuf(type, value, '', issues);
    if (issues.length > 0 || object === undefined) throw recordInvalid(issues);
    try {
      const body = type.encode(type.fromObject(object)).finish();
      return Buffer.concat([encodeMessageIndexes(indexes), body]);
    } catch (err) {
      throw recordInvalid([{ path: '', message: (err as Error).message }]);
    }
  }

  decodeToJson(payload: Uint8Array): string {
    const { indexes, next } = decodeMessageIndexes(payload, 0);
    const type = this.messagesByPath.get(indexes.join('.'));
    if (type === undefined) throw recordInvalid([{ path: '', message: `the message indexes [${indexes.join(', ')}] name no message of this schema` }]);
    return JSON.stringify(decodeMessage(type, payload.subarray(next)));
  }

  /**
   * Decodes a payload written without message indexes (what @kafkajs/confluent-schema-registry
   * writes: the message right after the 5-byte prefix) as the first message. Used only when
   * decodeToJson fails, so Confluent's format always wins.
   */
  decodeWithoutIndexesToJson(payload: Uint8Array): string {
    return JSON.stringify(decodeMessage(this.message().type, payload));
  }

  jsonSchemaOfJson(messageName?: string): Record<string, unknown> {
    return protobufJsonSchema(this.message(messageName).type);
  }
}

function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  try {
    return protobufToJson(type, type.decode(bytes) as unknown as Record<string, unknown>);
  } catch (err) {
    throw recordInvalid([{ path: '', message: `not Protobuf binary of message ${type.fullName.slice(1)}: ${(err as Error).message}` }]);
  }
}

export function parseProtobufSchema(text: string, dependencies: readonly ProtobufDependency[]): ProtobufParsedSchema {
  const root = new protobuf.Root();
  const loadedWellKnown = new Set<string>();
  const addWellKnown = (imports: readonly string[] | undefined): void => {
    for (const path of imports ?? []) {
      const json = path.startsWith('google/protobuf/') && !loadedWellKnown.has(path) ? protobuf.common.get(path) : null;
      if (json === null || json === undefined) continue;
      loadedWellKnown.add(path);
      try {
        root.addJSON((json as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
      } catch {
        // Several well-known files share google.protobuf; a type already added is fine.
      }
    }
  };
  let parsed: protobuf.IParserResult;
  let file: protobuf.IParserResult;
  try {
    for (const dependency of dependencies) addWellKnown(protobuf.parse(dependency.schema, root, PARSE_OPTIONS).imports);
    parsed = protobuf.parse(text, root, PARSE_OPTIONS);
    addWellKnown(parsed.imports);
    root.resolveAll();
    // The file alone, to know which types are its own (the root also holds its dependencies').
    file = protobuf.parse(text, PARSE_OPTIONS);
  } catch (err) {
    throw invalidSchema('Protobuf', err);
  }
  const packageName = file.package ?? '';
  const ownNamespace = packageName === '' ? file.root : (file.root.lookup(packageName) as protobuf.Namespace | null);
  const ownTypes = (ownNamespace?.nestedArray ?? []).filter((t) => t instanceof protobuf.Type || t instanceof protobuf.Enum || t instanceof protobuf.Service);
  if (file.root.nestedArray.some((n) => n instanceof protobuf.Field) || hasExtensions(file.root)) {
    throw new SchemaRegistryError('INVALID_SCHEMA', 'invalid Protobuf schema: extensions (extend) are not supported');
  }
  // The same types, resolved, from the root that holds the dependencies too.
  const resolved = ownTypes.map((t) => root.lookup(t.fullName)).filter((t): t is protobuf.ReflectionObject => t !== null);
  const messagesByPath = new Map<string, protobuf.Type>();
  const index = (types: readonly protobuf.ReflectionObject[], prefix: string): void => {
    let i = 0;
    for (const type of types) {
      if (!(type instanceof protobuf.Type)) continue;
      const path = prefix === '' ? String(i) : `${prefix}.${i}`;
      messagesByPath.set(path, type);
      index(type.nestedArray, path);
      i++;
    }
  };
  index(resolved, '');
  const fingerprint = JSON.stringify({
    syntax: syntaxOf(text),
    package: packageName,
    imports: file.imports ?? [],
    weakImports: file.weakImports ?? [],
    options: ownNamespace?.options ?? null,
    types: ownTypes.map((t) => [t.name, t.toJSON({ keepComments: false })]),
  });
  return new ProtobufParsedSchema(text, fingerprint, { packageName, types: resolved }, messagesByPath);
}

function hasExtensions(namespace: protobuf.NamespaceBase): boolean {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Field) return true;
    if (nested instanceof protobuf.Type && nested.fieldsArray.some((f) => f.extend !== undefined || f.name.startsWith('.'))) return true;
    if (nested instanceof protobuf.Namespace && hasExtensions(nested)) return true;
  }
  return false;
}

function syntaxOf(text: string): string {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return /\b(?:syntax|edition)\s*=\s*["']([^"']+)["']/.exec(withoutComments)?.[1] ?? 'proto2';
}
