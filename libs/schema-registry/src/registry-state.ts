/**
 * The registry's in-memory state: what `_schemas` says, applied record by record in offset order
 * (schemas-topic.codec.ts). Every node holds one and serves reads from it; only the writer
 * (registry-writer.ts) decides what to append. Applying is deterministic, so every node that has
 * read to the same offset holds the same state.
 *
 * - schemas by id: an id exists while some subject version (soft-deleted or not) uses it;
 * - subjects: versions by number, each with its id and deleted flag;
 * - configs and modes per subject, and the global ones under the key null;
 * - maxId: the highest id ever seen (SCHEMA records and SPOOL_MAX_ID), never lowered.
 *
 * Parsed schemas are cached by id (parsing Protobuf or compiling a JSON schema costs
 * milliseconds); the cache is dropped for an id once no version uses it.
 */
import type { ParsedSchema } from './parsed-schema.js';
import { parseSchema } from './schema-parser.js';
import type { SchemaLimits } from './schema-limits.js';
import type { SchemasTopicRecord } from './schemas-topic.codec.js';
import type { CompatibilityLevel, Mode, StoredSchema, SubjectVersion } from './schema-types.js';

export class RegistryState {
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly subjects = new Map<string, Map<number, SubjectVersion>>();
  private readonly configs = new Map<string | null, CompatibilityLevel>();
  private readonly modes = new Map<string | null, Mode>();
  private readonly parsed = new Map<number, ParsedSchema>();
  /** Ids by type and fingerprint with references, filled lazily (see idOfSchema). */
  private fingerprints: Map<string, number> | null = null;
  private maxIdSeen = 0;
  /** The offset of the next record to apply. */
  nextOffset = 0;

  constructor(private readonly limits: SchemaLimits) {}

  apply(record: SchemasTopicRecord): void {
    switch (record.keytype) {
      case 'SCHEMA':
        return this.applySchema(record.subject, record.version, record.value);
      case 'CONFIG':
        if (record.value === null) this.configs.delete(record.subject);
        else this.configs.set(record.subject, record.value.compatibilityLevel);
        return;
      case 'MODE':
        if (record.value === null) this.modes.delete(record.subject);
        else this.modes.set(record.subject, record.value.mode);
        return;
      case 'DELETE_SUBJECT':
        for (const [version, entry] of this.subjects.get(record.subject) ?? []) {
          if (version <= record.version) this.subjects.get(record.subject)!.set(version, { ...entry, deleted: true });
        }
        return;
      case 'CLEAR_SUBJECT':
        for (const [version, entry] of this.subjects.get(record.subject) ?? []) if (entry.deleted) this.removeVersion(record.subject, version);
        return;
      case 'SPOOL_MAX_ID':
        this.maxIdSeen = Math.max(this.maxIdSeen, record.maxId);
        return;
      case 'NOOP':
        return;
    }
  }

  private applySchema(subject: string, version: number, value: Extract<SchemasTopicRecord, { keytype: 'SCHEMA' }>['value']): void {
    if (value === null) return this.removeVersion(subject, version);
    this.maxIdSeen = Math.max(this.maxIdSeen, value.id);
    const previous = this.subjects.get(subject)?.get(version);
    if (previous !== undefined && previous.id !== value.id) this.removeVersion(subject, version);
    if (!this.schemas.has(value.id)) {
      this.schemas.set(value.id, { id: value.id, schemaType: value.schemaType, schema: value.schema, references: value.references });
      this.fingerprints = null;
    }
    let versions = this.subjects.get(subject);
    if (versions === undefined) {
      versions = new Map();
      this.subjects.set(subject, versions);
    }
    versions.set(version, { subject, version, id: value.id, deleted: value.deleted });
  }

  private removeVersion(subject: string, version: number): void {
    const versions = this.subjects.get(subject);
    const entry = versions?.get(version);
    if (versions === undefined || entry === undefined) return;
    versions.delete(version);
    if (versions.size === 0) this.subjects.delete(subject);
    if (!this.idInUse(entry.id)) {
      this.schemas.delete(entry.id);
      this.parsed.delete(entry.id);
      this.fingerprints = null;
    }
  }

  private idInUse(id: number): boolean {
    for (const versions of this.subjects.values()) for (const entry of versions.values()) if (entry.id === id) return true;
    return false;
  }

  get maxId(): number {
    return this.maxIdSeen;
  }

  schema(id: number): StoredSchema | undefined {
    return this.schemas.get(id);
  }

  /** Every id, ascending. */
  ids(): number[] {
    return [...this.schemas.keys()].sort((a, b) => a - b);
  }

  /** The parsed form of stored schema `id` (cached). */
  parsedSchema(id: number): ParsedSchema {
    let parsed = this.parsed.get(id);
    if (parsed === undefined) {
      const stored = this.schemas.get(id);
      if (stored === undefined) throw new Error(`no schema with id ${id}`);
      parsed = parseSchema(stored, (subject, version) => this.schemaOfVersion(subject, version), this.limits);
      this.parsed.set(id, parsed);
    }
    return parsed;
  }

  /** The schema of a subject version that exists (soft-deleted ones included), for reference lookups. */
  schemaOfVersion(subject: string, version: number): StoredSchema | undefined {
    const entry = this.subjects.get(subject)?.get(version);
    return entry === undefined ? undefined : this.schemas.get(entry.id);
  }

  /** Subject names, sorted. */
  subjectNames(includeDeleted: boolean): string[] {
    return [...this.subjects.entries()].filter(([, versions]) => includeDeleted || [...versions.values()].some((v) => !v.deleted)).map(([name]) => name).sort();
  }

  hasSubject(subject: string): boolean {
    return this.subjects.has(subject);
  }

  /** A subject's versions ascending, soft-deleted ones only when asked. */
  versions(subject: string, includeDeleted: boolean): SubjectVersion[] {
    const versions = this.subjects.get(subject);
    if (versions === undefined) return [];
    return [...versions.values()].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  version(subject: string, version: number): SubjectVersion | undefined {
    return this.subjects.get(subject)?.get(version);
  }

  /** Every subject version using `id`. */
  versionsOfId(id: number): SubjectVersion[] {
    const out: SubjectVersion[] = [];
    for (const versions of this.subjects.values()) for (const entry of versions.values()) if (entry.id === id) out.push(entry);
    return out.sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  /** Ids of schemas that reference `subject` `version`. */
  referencedBy(subject: string, version: number): number[] {
    const out: number[] = [];
    for (const schema of this.schemas.values()) if (schema.references.some((r) => r.subject === subject && r.version === version)) out.push(schema.id);
    return out.sort((a, b) => a - b);
  }

  /** The id of a stored schema that is the same schema as `parsed` with `references`, if any. */
  idOfSchema(parsed: ParsedSchema, references: StoredSchema['references']): number | undefined {
    if (this.fingerprints === null) {
      this.fingerprints = new Map();
      for (const stored of this.schemas.values()) {
        let fingerprint: string;
        try {
          fingerprint = this.parsedSchema(stored.id).fingerprint;
        } catch {
          continue; // a stored schema that no longer parses (a reference was removed) matches nothing
        }
        const key = fingerprintKey(stored.schemaType, fingerprint, stored.references);
        if (!this.fingerprints.has(key)) this.fingerprints.set(key, stored.id);
      }
    }
    return this.fingerprints.get(fingerprintKey(parsed.schemaType, parsed.fingerprint, references));
  }

  config(subject: string | null): CompatibilityLevel | undefined {
    return this.configs.get(subject);
  }

  mode(subject: string | null): Mode | undefined {
    return this.modes.get(subject);
  }
}

function fingerprintKey(type: string, fingerprint: string, references: StoredSchema['references']): string {
  return `${type}\u0000${fingerprint}\u0000${JSON.stringify(references.map((r) => [r.name, r.subject, r.version]))}`;
}
