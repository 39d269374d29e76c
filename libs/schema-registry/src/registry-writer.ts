/**
 * Writes to the registry go through one writer, so that ids and versions are handed out once:
 * `RegistryWriter` is that role. `LocalRegistryWriter` is the writer when this node is it (a
 * single node always is; in a cluster, the controller): it checks each command against the state,
 * appends the resulting records to `_schemas` and resolves once its own state has applied them
 * (read-your-writes). A node that is not the writer gives the registry a writer that forwards the
 * commands to the one that is (the same interface); the records reach every node through the
 * replicated topic.
 *
 * Concurrency: commands run one at a time, in arrival order (a promise chain), each against the
 * state as it was after the previous command's records were applied. What a resolved command
 * promises: its records are in `_schemas`, fsynced (the topic's flush policy), and applied here.
 *
 * Ids: a schema already registered anywhere (same type, same fingerprint, same references) keeps
 * its id; a new one gets the highest id ever seen + 1. Versions: the subject's highest version
 * ever (soft-deleted included) + 1.
 */
import { compatibilityMessages } from './compatibility.js';
import type { ParsedSchema } from './parsed-schema.js';
import type { RegistryState } from './registry-state.js';
import { SchemaRegistryError } from './schema-registry.error.js';
import type { SchemaLog } from './schema-log.js';
import { encodeSchemasTopicRecord, type SchemasTopicRecord } from './schemas-topic.codec.js';
import type { CompatibilityLevel, Mode, SchemaInput, SubjectVersion } from './schema-types.js';
import { DEFAULT_COMPATIBILITY, DEFAULT_MODE } from './schema-types.js';

export interface RegisterOptions {
  readonly normalize: boolean;
  /** IMPORT mode: the id (and optionally version) the schema must get. */
  readonly id?: number;
  readonly version?: number;
}

export interface RegistryWriter {
  register(subject: string, input: SchemaInput, options: RegisterOptions): Promise<{ id: number; version: number }>;
  /** Deletes one version (soft, or permanently once soft-deleted); returns its number. */
  deleteVersion(subject: string, version: number, permanent: boolean): Promise<number>;
  /** Deletes every version (soft, or permanently once all are soft-deleted); returns their numbers. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]>;
  /** `subject` null is the global config. */
  setConfig(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel>;
  /** Removes a config; returns what it was. */
  deleteConfig(subject: string | null): Promise<CompatibilityLevel>;
  setMode(subject: string | null, mode: Mode, force: boolean): Promise<Mode>;
  deleteMode(subject: string | null): Promise<Mode>;
}

/** What the local writer needs from the registry it writes for. */
export interface WriterHost {
  readonly state: RegistryState;
  /** Applies everything in the log up to its end (serialized with other readers). */
  catchUp(): Promise<void>;
  /** Parses a client's schema with its references resolved against the state. */
  parse(input: SchemaInput, normalize: boolean): ParsedSchema;
}

export class LocalRegistryWriter implements RegistryWriter {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: WriterHost,
    private readonly log: SchemaLog,
  ) {}

  private run<T>(command: () => { records: SchemasTopicRecord[]; result: T }): Promise<T> {
    const done = this.tail.then(async () => {
      await this.host.catchUp();
      const { records, result } = command();
      if (records.length > 0) {
        await this.log.append(records.map(encodeSchemasTopicRecord));
        await this.host.catchUp();
      }
      return result;
    });
    this.tail = done.catch(() => undefined);
    return done;
  }

  register(subject: string, input: SchemaInput, options: RegisterOptions): Promise<{ id: number; version: number }> {
    return this.run(() => {
      const state = this.host.state;
      const mode = effectiveMode(state, subject);
      if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw notPermitted(`subject ${JSON.stringify(subject)} is in ${mode} mode`);
      if (options.id !== undefined && mode !== 'IMPORT') throw notPermitted(`a schema id can be given only in IMPORT mode; subject ${JSON.stringify(subject)} is in ${mode} mode`);
      if (mode === 'IMPORT' && options.id === undefined) throw notPermitted(`subject ${JSON.stringify(subject)} is in IMPORT mode: a registration must give the schema's id`);
      const parsed = this.host.parse(input, options.normalize);
      const all = state.versions(subject, true);
      const live = all.filter((v) => !v.deleted);
      const existingId = state.idOfSchema(parsed, input.references);
      const same = live.find((v) => v.id === existingId);
      if (same !== undefined && options.id === undefined) return { records: [], result: { id: same.id, version: same.version } };
      if (mode === 'IMPORT') return this.importRecords(subject, input, parsed, options.id!, options.version, existingId, all);
      const level = state.config(subject) ?? state.config(null) ?? DEFAULT_COMPATIBILITY;
      const messages = compatibilityMessages(level, parsed, live.map((v) => ({ version: v.version, parsed: state.parsedSchema(v.id) })));
      if (messages.length > 0) {
        throw new SchemaRegistryError('INCOMPATIBLE_SCHEMA', `Schema being registered is incompatible with an earlier schema for subject ${JSON.stringify(subject)}, details: [${messages.join(', ')}]`, { messages });
      }
      const id = existingId ?? state.maxId + 1;
      const version = (all.length === 0 ? 0 : all[all.length - 1].version) + 1;
      return { records: [schemaRecord(subject, version, id, input, parsed, false)], result: { id, version } };
    });
  }

  private importRecords(subject: string, input: SchemaInput, parsed: ParsedSchema, id: number, wanted: number | undefined, existingId: number | undefined, all: SubjectVersion[]): { records: SchemasTopicRecord[]; result: { id: number; version: number } } {
    const state = this.host.state;
    const holder = state.schema(id);
    if (holder !== undefined && existingId !== id) {
      throw new SchemaRegistryError('ID_DOES_NOT_MATCH', `schema id ${id} is already used by another schema`, { id });
    }
    const version = wanted ?? (all.length === 0 ? 0 : all[all.length - 1].version) + 1;
    const taken = state.version(subject, version);
    if (taken !== undefined && taken.id !== id) {
      throw new SchemaRegistryError('INVALID_VERSION', `version ${version} of subject ${JSON.stringify(subject)} already holds schema id ${taken.id}`);
    }
    return { records: [schemaRecord(subject, version, id, input, parsed, false)], result: { id, version } };
  }

  deleteVersion(subject: string, version: number, permanent: boolean): Promise<number> {
    return this.run(() => {
      const state = this.host.state;
      refuseIfReadOnly(state, subject);
      const entry = existingVersion(state, subject, version);
      const referrers = state.referencedBy(subject, version);
      if (referrers.length > 0) {
        throw new SchemaRegistryError('REFERENCE_EXISTS', `one or more references exist to subject ${JSON.stringify(subject)} version ${version} (schema ids ${referrers.join(', ')})`);
      }
      if (!permanent) {
        if (entry.deleted) throw new SchemaRegistryError('SCHEMA_VERSION_SOFT_DELETED', `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`);
        return { records: [versionRecord(state, entry, true)], result: version };
      }
      if (!entry.deleted) throw new SchemaRegistryError('SCHEMA_VERSION_NOT_SOFT_DELETED', `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`);
      return { records: [...watermark(state, [entry]), { keytype: 'SCHEMA', subject, version, value: null }], result: version };
    });
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.run(() => {
      const state = this.host.state;
      refuseIfReadOnly(state, subject);
      const all = state.versions(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      for (const entry of all) {
        const referrers = state.referencedBy(subject, entry.version);
        if (referrers.length > 0) throw new SchemaRegistryError('REFERENCE_EXISTS', `one or more references exist to subject ${JSON.stringify(subject)} version ${entry.version} (schema ids ${referrers.join(', ')})`);
      }
      const live = all.filter((v) => !v.deleted);
      if (!permanent) {
        if (live.length === 0) throw new SchemaRegistryError('SUBJECT_SOFT_DELETED', `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
        return { records: live.map((entry) => versionRecord(state, entry, true)), result: live.map((v) => v.version) };
      }
      if (live.length > 0) throw new SchemaRegistryError('SUBJECT_NOT_SOFT_DELETED', `Subject '${subject}' was not deleted first before being permanently deleted`);
      const records: SchemasTopicRecord[] = [...watermark(state, all), ...all.map((entry): SchemasTopicRecord => ({ keytype: 'SCHEMA', subject, version: entry.version, value: null }))];
      if (state.config(subject) !== undefined) records.push({ keytype: 'CONFIG', subject, value: null });
      if (state.mode(subject) !== undefined) records.push({ keytype: 'MODE', subject, value: null });
      return { records, result: all.map((v) => v.version) };
    });
  }

  setConfig(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    return this.run(() => {
      if (subject !== null) refuseIfReadOnly(this.host.state, subject);
      return { records: [{ keytype: 'CONFIG', subject, value: { compatibilityLevel: level } }], result: level };
    });
  }

  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.run(() => {
      const current = this.host.state.config(subject);
      if (current === undefined) {
        if (subject === null) return { records: [], result: DEFAULT_COMPATIBILITY };
        throw new SchemaRegistryError('SUBJECT_COMPATIBILITY_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level compatibility configured`);
      }
      return { records: [{ keytype: 'CONFIG', subject, value: null }], result: current };
    });
  }

  setMode(subject: string | null, mode: Mode, force: boolean): Promise<Mode> {
    return this.run(() => {
      const state = this.host.state;
      if (mode === 'IMPORT' && !force) {
        const nonEmpty = subject === null ? state.subjectNames(false).length > 0 : state.versions(subject, false).length > 0;
        if (nonEmpty) throw notPermitted(`cannot import: ${subject === null ? 'the registry' : `subject ${JSON.stringify(subject)}`} is not empty (set force=true to import anyway)`);
      }
      return { records: [{ keytype: 'MODE', subject, value: { mode } }], result: mode };
    });
  }

  deleteMode(subject: string | null): Promise<Mode> {
    return this.run(() => {
      const current = this.host.state.mode(subject);
      if (current === undefined) {
        if (subject === null) return { records: [], result: DEFAULT_MODE };
        throw new SchemaRegistryError('SUBJECT_MODE_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level mode configured`);
      }
      return { records: [{ keytype: 'MODE', subject, value: null }], result: current };
    });
  }
}

export function effectiveMode(state: RegistryState, subject: string): Mode {
  const global = state.mode(null) ?? DEFAULT_MODE;
  if (global === 'READONLY_OVERRIDE') return global;
  return state.mode(subject) ?? global;
}

function refuseIfReadOnly(state: RegistryState, subject: string): void {
  const mode = effectiveMode(state, subject);
  if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw notPermitted(`subject ${JSON.stringify(subject)} is in ${mode} mode`);
}

function notPermitted(message: string): SchemaRegistryError {
  return new SchemaRegistryError('OPERATION_NOT_PERMITTED', message);
}

export function subjectNotFound(subject: string): SchemaRegistryError {
  return new SchemaRegistryError('SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
}

function existingVersion(state: RegistryState, subject: string, version: number): SubjectVersion {
  if (!state.hasSubject(subject)) throw subjectNotFound(subject);
  const entry = state.version(subject, version);
  if (entry === undefined) throw new SchemaRegistryError('VERSION_NOT_FOUND', `Version ${version} not found.`, { subject, version });
  return entry;
}

function schemaRecord(subject: string, version: number, id: number, input: SchemaInput, parsed: ParsedSchema, deleted: boolean): SchemasTopicRecord {
  return { keytype: 'SCHEMA', subject, version, value: { subject, version, id, schemaType: input.schemaType, references: input.references, schema: parsed.canonical, deleted } };
}

function versionRecord(state: RegistryState, entry: SubjectVersion, deleted: boolean): SchemasTopicRecord {
  const stored = state.schema(entry.id)!;
  return {
    keytype: 'SCHEMA',
    subject: entry.subject,
    version: entry.version,
    value: { subject: entry.subject, version: entry.version, id: entry.id, schemaType: stored.schemaType, references: stored.references, schema: stored.schema, deleted },
  };
}

/** Before permanently removing the versions that hold the highest id, record it (see schemas-topic.codec.ts). */
function watermark(state: RegistryState, removed: readonly SubjectVersion[]): SchemasTopicRecord[] {
  return removed.some((v) => v.id === state.maxId) ? [{ keytype: 'SPOOL_MAX_ID', maxId: state.maxId }] : [];
}
