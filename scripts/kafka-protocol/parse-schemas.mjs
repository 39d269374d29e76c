/**
 * Reading Kafka's JSON message specs (JSON with // comments) into a model the emitters walk:
 * version ranges parsed and intersected with the message's valid versions, types resolved to
 * primitives, arrays and structs (inline and common structs), names camel-cased.
 */
import { camel, intersect, MAX_VERSION } from './common.mjs';

/** Removes // comments outside strings (the specs are JSON with line comments). */
function stripComments(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** "0+", "3-7", "5", "none" -> [min, max] or null. */
function parseVersions(text, where) {
  if (text === undefined) return undefined;
  const s = String(text).trim();
  if (s === 'none') return null;
  let m;
  if ((m = /^(\d+)\+$/.exec(s))) return [Number(m[1]), MAX_VERSION];
  if ((m = /^(\d+)-(\d+)$/.exec(s))) return [Number(m[1]), Number(m[2])];
  if ((m = /^(\d+)$/.exec(s))) return [Number(m[1]), Number(m[1])];
  throw new Error(`${where}: bad version range ${JSON.stringify(text)}`);
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

/**
 * A message's model: its structs (the message itself first), each field typed as
 * { kind: 'primitive', primitive } | { kind: 'array', element } | { kind: 'struct', struct }.
 */
function buildModel(spec, file) {
  const valid = parseVersions(spec.validVersions, file);
  const flexibleRaw = parseVersions(spec.flexibleVersions ?? 'none', file);
  const flexible = intersect(flexibleRaw, valid);
  const structs = new Map(); // JSON type name -> struct
  const pending = [];
  const prefix = spec.name;
  const declare = (jsonName, fields, where) => {
    if (structs.has(jsonName)) {
      if (fields) throw new Error(`${where}: struct ${jsonName} is defined twice`);
      return structs.get(jsonName);
    }
    const struct = { jsonName, tsName: prefix + jsonName, fields: null, raw: fields, where };
    structs.set(jsonName, struct);
    if (fields) pending.push(struct);
    return struct;
  };
  for (const common of spec.commonStructs ?? []) declare(common.name, common.fields, `${file}:${common.name}`);
  const top = { jsonName: spec.name, tsName: spec.name, fields: null, raw: spec.fields ?? [], where: file, top: true };
  pending.unshift(top);

  const parseType = (type, field, where) => {
    if (type.startsWith('[]')) {
      const element = parseType(type.slice(2), field, where);
      return { kind: 'array', element };
    }
    if (PRIMITIVES.has(type)) return { kind: 'primitive', primitive: type };
    if (!/^[A-Z]/.test(type)) throw new Error(`${where}: unknown type ${type}`);
    return { kind: 'struct', struct: declare(type, field.fields, where) };
  };

  const parseField = (f, where) => {
    const at = `${where}.${f.name}`;
    const versions = intersect(parseVersions(f.versions, at), valid);
    const tagged = f.taggedVersions === undefined ? null : intersect(parseVersions(f.taggedVersions, at), valid);
    if (tagged && versions && (tagged[0] !== versions[0] || tagged[1] !== versions[1])) {
      throw new Error(`${at}: taggedVersions ${f.taggedVersions} differ from versions ${f.versions} (unsupported)`);
    }
    const type = parseType(f.type.trim(), f, at);
    return {
      name: f.name,
      prop: camel(f.name),
      jsonType: f.type.trim(),
      type,
      versions,
      nullable: f.nullableVersions === undefined ? null : intersect(parseVersions(f.nullableVersions, at), versions),
      tagged,
      tag: f.tag === undefined ? undefined : Number(f.tag),
      ignorable: f.ignorable === true,
      flexibleOverride: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, at),
      rawDefault: f.default,
      about: f.about ?? '',
      where: at,
    };
  };

  const ordered = [];
  while (pending.length > 0) {
    const struct = pending.shift();
    struct.fields = struct.raw.map((f) => parseField(f, struct.top ? file : `${file}:${struct.jsonName}`));
    ordered.push(struct);
  }
  for (const s of structs.values()) {
    if (!s.fields) throw new Error(`${s.where}: struct ${s.jsonName} is referenced but never defined`);
  }
  return { spec, file, valid, flexible, flexibleRaw, top, structs: ordered, sharedDefaults: new Map() };
}

const MESSAGE_TYPES = ['request', 'response', 'header', 'data'];

/** One spec file's text -> its model; throws on an unknown message type or a malformed spec. */
export function parseMessageSpec(text, file) {
  const spec = JSON.parse(stripComments(text));
  if (!MESSAGE_TYPES.includes(spec.type)) throw new Error(`${file}: unknown message type ${spec.type}`);
  return buildModel(spec, file);
}
