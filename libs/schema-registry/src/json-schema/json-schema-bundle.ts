/**
 * A registered JSON Schema made self-contained for the AsyncAPI document and typed SDKs: every
 * `$ref` to another document (a schema reference by its name, or a document's `$id`, with or
 * without a fragment) is rewritten to point into `$defs` of the result, where a copy of that
 * document is placed (once, whatever the number of references to it; documents that reference
 * each other or themselves work). References inside a copied document are rewritten the same way,
 * its own `#...` references to point at its copy. Every copy and the root lose `$id` (a nested `$id`
 * would change what `#` means under it) and `$schema` (the AsyncAPI document has one dialect; a
 * draft 7 schema's keywords read the same there, except `items` as an array, which 2020-12 calls
 * prefixItems), and `true` / `false` become `{}` / `{"not": {}}`.
 */

type Json = Record<string, unknown>;

function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function bundleJsonSchema(root: unknown, documents: ReadonlyMap<string, unknown>): Json {
  const rootId = isObject(root) && typeof root.$id === 'string' ? root.$id : undefined;
  const keys = new Map<unknown, string>(); // document -> its key in $defs
  const defs: Json = {};
  const taken = new Set(isObject(root) && isObject(root.$defs) ? Object.keys(root.$defs) : []);

  const keyOf = (name: string, document: unknown): string => {
    const known = keys.get(document);
    if (known !== undefined) return known;
    let key = name;
    for (let n = 2; taken.has(key); n++) key = `${name}~${n}`;
    taken.add(key);
    keys.set(document, key);
    defs[key] = {}; // placeholder first: a document that references itself finds it
    defs[key] = rewrite(stripIdentity(document), `#/$defs/${pointerToken(key)}`);
    return key;
  };

  /** `schema` with internal references under `self` and external ones into $defs. */
  const rewrite = (schema: unknown, self: string): unknown => {
    if (Array.isArray(schema)) return schema.map((s) => rewrite(s, self));
    if (!isObject(schema)) return schema;
    const out: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      out[key] = key === '$ref' && typeof value === 'string' ? target(value, self) : rewrite(value, self);
    }
    return out;
  };

  const target = (ref: string, self: string): string => {
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    if (base === '') return `${self}${fragment}`;
    if (base === rootId) return `#${fragment}`;
    const document = documents.get(base);
    if (document === undefined) return ref; // parsing resolved every reference: nothing else is left
    return `#/$defs/${pointerToken(keyOf(base, document))}${fragment}`;
  };

  if (root === true || root === undefined) return {};
  if (root === false) return { not: {} };
  if (!isObject(root)) return {};
  const { $id: _id, $schema: _schema, ...rest } = root;
  void _id;
  void _schema;
  const bundled = rewrite(rest, '#') as Json;
  if (Object.keys(defs).length === 0) return bundled;
  return { ...bundled, $defs: { ...(isObject(bundled.$defs) ? bundled.$defs : {}), ...defs } };
}

function stripIdentity(document: unknown): unknown {
  if (document === true) return {};
  if (document === false) return { not: {} };
  if (!isObject(document)) return document;
  const { $id: _id, $schema: _schema, ...rest } = document;
  void _id;
  void _schema;
  return rest;
}
