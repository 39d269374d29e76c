/**
 * How a record that does not fit its schema is reported by every type's JSON bridge: one
 * INVALID_RECORD error with the first issues in its message and up to 100 `{ path, message }` in
 * `details.issues` (a huge bad record cannot make a huge error).
 */
import type { ValidationIssue } from './parsed-schema.js';
import { SchemaRegistryError } from './schema-registry.error.js';

const MAX_ISSUES = 100;

export function recordInvalid(issues: readonly ValidationIssue[]): SchemaRegistryError {
  const shown = issues.slice(0, 5).map((i) => `${i.path || '(root)'} ${i.message}`).join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new SchemaRegistryError('INVALID_RECORD', `the record does not match the schema: ${shown}${more}`, { issues: issues.slice(0, MAX_ISSUES) });
}
