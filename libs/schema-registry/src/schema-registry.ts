/**
 * The schema registry of one node: reads answered from its RegistryState, which follows
 * `_schemas` (SchemaLog); writes handed to a RegistryWriter (this node's LocalRegistryWriter when
 * it is the writer, else one that forwards to the writer). The methods follow Confluent Schema
 * Registry's REST API one to one (the HTTP face only translates), including its errors.
 *
 * Reading the log: `open()` replays it from the start; `catchUp()` applies whatever was appended
 * since (the local writer calls it after each append; a node that is not the writer calls it when
 * the log grows, or before answering a read that must see a write it knows of). Catch-ups never
 * overlap; a record that does not decode is skipped and logged. `rebuild()` starts over from an
 * empty state (a cluster node that stopped being the writer may have applied records of its log
 * end that the new writer's log does not have). `fresh()` answers a read from the state, and when
 * it finds nothing (a subject, version or id another node has just written), catches up first and
 * answers again: Confluent's clients register on one node and fetch by id on another.
 * `caughtUp()` catches up first and then answers as fresh() does: for reads whose answer a write
 * elsewhere can change without making it a not-found (configs, modes, subject and version lists,
 * `latest`), so a client that wrote on one node reads its write on any other. When that catch-up
 * fails (the log's leader is unreachable) the read is answered from what this node has read: a
 * registry stays readable while its writer moves, as Confluent's followers do.
 */
import type { Logger } from '@spool/common';
import { compatibilityMessages } from './compatibility.js';
import type { ParsedSchema } from './parsed-schema.js';
import { RegistryState } from './registry-state.js';
import { LocalRegistryWriter, effectiveMode, subjectNotFound, type RegisterOptions, type RegistryWriter } from './registry-writer.js';
import { parseSchema } from './schema-parser.js';
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits } from './schema-limits.js';
import { SchemaRegistryError } from './schema-registry.error.js';
import type { SchemaLog } from './schema-log.js';
import { decodeSchemasTopicRecord } from './schemas-topic.codec.js';
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  type CompatibilityLevel,
  type Mode,
  type SchemaInput,
  type SchemaVersionView,
  type StoredSchema,
  type SubjectVersion,
} from './schema-types.js';

/** A version as a client names it: a number, or the latest. */
export type VersionSpec = number | 'latest';

export interface SchemaRegistryOptions {
  readonly log: SchemaLog;
  readonly logger: Logger;
  readonly limits?: SchemaLimits;
  /** The writer; by default this node writes (LocalRegistryWriter over `log`). */
  readonly writer?: (registry: SchemaRegistry) => RegistryWriter;
}

const READ_BYTES = 1024 * 1024;
const SETTLE_LIMIT_MS = 5_000;
const SETTLE_RETRY_MS = 100;
const MAX_SUBJECT_LENGTH = 255;

/** Reads that may be answered after a catch-up (something another node wrote may not be here yet). */
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['SUBJECT_NOT_FOUND', 'VERSION_NOT_FOUND', 'SCHEMA_NOT_FOUND']);

export class SchemaRegistry {
  private current: RegistryState;
  readonly writer: RegistryWriter;
  readonly limits: SchemaLimits;
  private reading: Promise<void> = Promise.resolve();
  private opened: Promise<void> | undefined;

  constructor(private readonly options: SchemaRegistryOptions) {
    this.limits = options.limits ?? DEFAULT_SCHEMA_LIMITS;
    this.current = new RegistryState(this.limits);
    this.writer = options.writer?.(this) ?? new LocalRegistryWriter(this, options.log);
  }

  /** What `_schemas` says, as far as this node has read it (replaced by rebuild()). */
  get state(): RegistryState {
    return this.current;
  }

  /** Creates `_schemas` if needed and applies it from the start. Later calls share the first; a failed one is tried again by the next. */
  open(): Promise<void> {
    const opening = (this.opened ??= this.options.log.open().then(() => this.catchUp()));
    opening.catch(() => {
      if (this.opened === opening) this.opened = undefined;
    });
    return opening;
  }

  /** Drops the state and reads the log again from its start (serialized with catch-ups). */
  rebuild(): Promise<void> {
    const run = this.reading.then(() => {
      this.current = new RegistryState(this.limits);
      return this.readToEnd();
    });
    this.reading = run.catch(() => undefined);
    return run;
  }

  /**
   * `read()`'s answer; if it throws a not-found error, the answer after catching up with the log
   * (see the top of the file). A failed catch-up is thrown instead (retriable: the log's leader
   * is unreachable), never a stale not-found.
   */
  async fresh<T>(read: () => T): Promise<T> {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof SchemaRegistryError) || !NOT_FOUND_CODES.has(err.code)) throw err;
    }
    await this.settle();
    return read();
  }

  /** `read()`'s answer after catching up with the log's committed end as of the call (see the top of the file). */
  async caughtUp<T>(read: () => T): Promise<T> {
    try {
      await this.catchUp();
    } catch (err) {
      this.options.logger.debug({ err }, 'answering a schema registry read from this node\'s state: catching up with _schemas failed');
    }
    return this.fresh(read);
  }

  /**
   * catchUp(), with failed attempts tried again for up to SETTLE_LIMIT_MS (in a cluster the log's
   * leader may be moving, or this node may not know yet of a topic another node just created).
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    for (;;) {
      try {
        return await this.catchUp();
      } catch (err) {
        if (Date.now() + SETTLE_RETRY_MS > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_MS));
      }
    }
  }

  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  /** Applies records up to the log's end as of the call. Calls are serialized. */
  catchUp(): Promise<void> {
    const run = this.reading.then(() => this.readToEnd());
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async readToEnd(): Promise<void> {
    const log = this.options.log;
    const end = await log.endOffset();
    while (this.state.nextOffset < end) {
      const { records, nextOffset } = await log.read(this.state.nextOffset, READ_BYTES);
      for (const record of records) {
        if (record.offset < this.state.nextOffset) continue;
        if (record.key !== null) {
          try {
            this.state.apply(decodeSchemasTopicRecord(record.key, record.value));
          } catch (err) {
            this.options.logger.warn({ offset: record.offset, err }, 'skipping a _schemas record that does not decode');
          }
        }
        this.state.nextOffset = record.offset + 1;
      }
      if (nextOffset <= this.state.nextOffset && records.length === 0) break;
      this.state.nextOffset = Math.max(this.state.nextOffset, nextOffset);
    }
  }

  parse(input: SchemaInput, normalize: boolean): ParsedSchema {
    return parseSchema(input, (subject, version) => this.state.schemaOfVersion(subject, version), this.limits, normalize);
  }

  // ---- reads ----

  schemaById(id: number): StoredSchema {
    const stored = this.state.schema(id);
    if (stored === undefined) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema ${id} not found`, { id });
    return stored;
  }

  /** The parsed schema of `id` (the JSON bridge's way in). */
  parsedById(id: number): ParsedSchema {
    this.schemaById(id);
    try {
      return this.state.parsedSchema(id);
    } catch (err) {
      throw new SchemaRegistryError('INVALID_SCHEMA', `stored schema ${id} no longer parses: ${(err as Error).message}`, { id });
    }
  }

  versionsOfId(id: number, includeDeleted: boolean): SubjectVersion[] {
    this.schemaById(id);
    return this.state.versionsOfId(id).filter((v) => includeDeleted || !v.deleted);
  }

  subjects(includeDeleted: boolean, prefix = ''): string[] {
    return this.state.subjectNames(includeDeleted).filter((s) => s.startsWith(prefix));
  }

  versions(subject: string, includeDeleted: boolean): number[] {
    const versions = this.state.versions(subject, includeDeleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  version(subject: string, spec: VersionSpec, includeDeleted = false): SchemaVersionView {
    const entry = this.resolveVersion(subject, spec, includeDeleted);
    const stored = this.state.schema(entry.id)!;
    return { subject, version: entry.version, id: entry.id, schemaType: stored.schemaType, schema: stored.schema, references: stored.references, deleted: entry.deleted };
  }

  /** The subject's latest live version's schema, parsed, with its id (what produce validates against). */
  latest(subject: string): { id: number; version: number; parsed: ParsedSchema } {
    const view = this.version(subject, 'latest');
    return { id: view.id, version: view.version, parsed: this.parsedById(view.id) };
  }

  private resolveVersion(subject: string, spec: VersionSpec, includeDeleted: boolean): SubjectVersion {
    const all = this.state.versions(subject, true);
    if (all.length === 0) throw subjectNotFound(subject);
    if (spec === 'latest') {
      const candidates = all.filter((v) => includeDeleted || !v.deleted);
      if (candidates.length === 0) throw new SchemaRegistryError('VERSION_NOT_FOUND', 'Version latest not found.', { subject });
      return candidates[candidates.length - 1];
    }
    const entry = this.state.version(subject, spec);
    if (entry === undefined || (entry.deleted && !includeDeleted)) throw new SchemaRegistryError('VERSION_NOT_FOUND', `Version ${spec} not found.`, { subject, version: spec });
    return entry;
  }

  /** The version of `subject` holding `input` (POST /subjects/{subject}). */
  lookup(subject: string, input: SchemaInput, normalize: boolean, includeDeleted: boolean): SchemaVersionView {
    if (!this.state.hasSubject(subject)) throw subjectNotFound(subject);
    const parsed = this.parse(input, normalize);
    const id = this.state.idOfSchema(parsed, input.references);
    const entry = this.state
      .versions(subject, includeDeleted)
      .filter((v) => v.id === id)
      .pop();
    if (id === undefined || entry === undefined) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'Schema not found', { subject });
    return this.version(subject, entry.version, true);
  }

  referencedBy(subject: string, spec: VersionSpec): number[] {
    const entry = this.resolveVersion(subject, spec, true);
    return this.state.referencedBy(subject, entry.version);
  }

  config(subject: string | null, defaultToGlobal: boolean): CompatibilityLevel {
    const own = this.state.config(subject);
    if (own !== undefined) return own;
    if (subject !== null && !defaultToGlobal) {
      throw new SchemaRegistryError('SUBJECT_COMPATIBILITY_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level compatibility configured`);
    }
    return this.state.config(null) ?? DEFAULT_COMPATIBILITY;
  }

  mode(subject: string | null, defaultToGlobal: boolean): Mode {
    if (subject === null) return this.state.mode(null) ?? DEFAULT_MODE;
    if (this.state.mode(subject) === undefined && !defaultToGlobal) {
      throw new SchemaRegistryError('SUBJECT_MODE_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level mode configured`);
    }
    return effectiveMode(this.state, subject);
  }

  /**
   * POST /compatibility/subjects/{subject}/versions[/{version}]: against one version with the
   * level's direction, or (spec null) as a registration would be checked (the latest version, or
   * every version for a transitive level).
   */
  testCompatibility(subject: string, spec: VersionSpec | null, input: SchemaInput, normalize: boolean): { compatible: boolean; messages: string[] } {
    const parsed = this.parse(input, normalize);
    const level = this.config(subject, true);
    const live = this.state.versions(subject, false);
    const previous = spec === null || (spec === 'latest' && live.length === 0) ? live : [this.resolveVersion(subject, spec, false)];
    const effective = spec === null ? level : (level.replace('_TRANSITIVE', '') as CompatibilityLevel);
    const messages = compatibilityMessages(effective, parsed, previous.map((v) => ({ version: v.version, parsed: this.state.parsedSchema(v.id) })));
    return { compatible: messages.length === 0, messages };
  }

  // ---- writes (through the writer) ----

  register(subject: string, input: SchemaInput, options: RegisterOptions): Promise<{ id: number; version: number }> {
    checkSubject(subject);
    return this.writer.register(subject, input, options);
  }

  deleteVersion(subject: string, spec: VersionSpec, permanent: boolean): Promise<number> {
    const version = spec === 'latest' ? this.resolveVersion(subject, 'latest', permanent).version : spec;
    return this.writer.deleteVersion(subject, version, permanent);
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.writer.deleteSubject(subject, permanent);
  }

  setConfig(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    if (subject !== null) checkSubject(subject);
    return this.writer.setConfig(subject, level);
  }

  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.writer.deleteConfig(subject);
  }

  setMode(subject: string | null, mode: Mode, force: boolean): Promise<Mode> {
    if (subject !== null) checkSubject(subject);
    return this.writer.setMode(subject, mode, force);
  }

  deleteMode(subject: string | null): Promise<Mode> {
    return this.writer.deleteMode(subject);
  }
}

function checkSubject(subject: string): void {
  if (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f]/.test(subject)) {
    throw new SchemaRegistryError('INVALID_SUBJECT', `invalid subject ${JSON.stringify(subject)}: 1 to ${MAX_SUBJECT_LENGTH} characters, no control characters`, { subject });
  }
}
