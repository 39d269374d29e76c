/**
 * Compatibility levels over a subject's history, as Confluent defines them:
 *
 *   BACKWARD   the new schema reads data written with the latest version
 *   FORWARD    the latest version reads data written with the new schema
 *   FULL       both
 *   *_TRANSITIVE  the same against every (non-deleted) version, not just the latest
 *   NONE       no check
 *
 * "Reads" is each type's own rule (ParsedSchema.readerIssues). Messages follow Confluent's
 * verbose form: one per issue, then the version and level it was checked against.
 */
import type { CompatibilityIssue, ParsedSchema } from './parsed-schema.js';
import type { CompatibilityLevel } from './schema-types.js';

export interface PreviousVersion {
  readonly version: number;
  readonly parsed: ParsedSchema;
}

/** Problems that make `candidate` break `level` against `previous` (oldest first); empty when compatible. */
export function compatibilityMessages(level: CompatibilityLevel, candidate: ParsedSchema, previous: readonly PreviousVersion[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? [...previous].reverse() : [previous[previous.length - 1]];
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const old of against) {
    const issues: CompatibilityIssue[] = [];
    if (old.parsed.schemaType !== candidate.schemaType) {
      issues.push({ type: 'SCHEMA_TYPE_CHANGED', path: '', message: `the schema type changed from ${old.parsed.schemaType} to ${candidate.schemaType}` });
    } else {
      if (backward) issues.push(...safely(() => candidate.readerIssues(old.parsed)));
      if (forward) issues.push(...safely(() => old.parsed.readerIssues(candidate)).map((i) => ({ ...i, message: `(read by the old schema) ${i.message}` })));
    }
    if (issues.length > 0) {
      return [
        ...issues.slice(0, 20).map((i) => `{errorType:'${i.type}', description:'${i.message}', path:'${i.path}'}`),
        `{oldSchemaVersion: ${old.version}}`,
        `{compatibility: '${level}'}`,
      ];
    }
  }
  return [];
}

/** A checker that throws (a schema shape it does not model) reports that instead of failing the request. */
function safely(check: () => CompatibilityIssue[]): CompatibilityIssue[] {
  try {
    return check();
  } catch (err) {
    return [{ type: 'COMPATIBILITY_CHECK_FAILED', path: '', message: err instanceof Error ? err.message : String(err) }];
  }
}
