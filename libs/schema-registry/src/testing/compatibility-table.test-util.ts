/**
 * Runs a compatibility table: each row is an (old, new) schema pair with the verdicts Confluent's
 * documentation gives for BACKWARD (the new schema reads old data) and FORWARD (the old schema
 * reads new data). FULL must be their conjunction, NONE always passes, and the transitive levels
 * agree with the plain ones on a two-version history.
 */
import { compatibilityMessages } from '../compatibility.js';
import { DEFAULT_SCHEMA_LIMITS } from '../schema-limits.js';
import { parseSchema } from '../schema-parser.js';
import type { SchemaType } from '../schema-types.js';

export interface CompatibilityRow {
  readonly name: string;
  readonly old: string | object | boolean;
  readonly new: string | object | boolean;
  readonly backward: boolean;
  readonly forward: boolean;
}

function text(schema: string | object | boolean): string {
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}

export function verdicts(schemaType: SchemaType, row: CompatibilityRow): Record<string, boolean> {
  const parse = (schema: string | object | boolean) => parseSchema({ schemaType, schema: text(schema), references: [] }, () => undefined, DEFAULT_SCHEMA_LIMITS);
  const oldParsed = parse(row.old);
  const newParsed = parse(row.new);
  const check = (level: Parameters<typeof compatibilityMessages>[0]): boolean => compatibilityMessages(level, newParsed, [{ version: 1, parsed: oldParsed }]).length === 0;
  return {
    BACKWARD: check('BACKWARD'),
    FORWARD: check('FORWARD'),
    FULL: check('FULL'),
    NONE: check('NONE'),
    BACKWARD_TRANSITIVE: check('BACKWARD_TRANSITIVE'),
    FORWARD_TRANSITIVE: check('FORWARD_TRANSITIVE'),
    FULL_TRANSITIVE: check('FULL_TRANSITIVE'),
  };
}

export function expectedVerdicts(row: CompatibilityRow): Record<string, boolean> {
  const full = row.backward && row.forward;
  return {
    BACKWARD: row.backward,
    FORWARD: row.forward,
    FULL: full,
    NONE: true,
    BACKWARD_TRANSITIVE: row.backward,
    FORWARD_TRANSITIVE: row.forward,
    FULL_TRANSITIVE: full,
  };
}
