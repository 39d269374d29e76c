/**
 * The permissions claim of a browser token, turned into TokenGrants (authorizer step 5). The
 * claim (name configurable, default `spool_permissions`) is a JSON object:
 *
 *   { "topics": { "acme.orders": ["produce"], "acme.events.*": ["consume"], "*": ["consume"] },
 *     "groups": { "acme.dashboard-*": ["consume"] } }
 *
 * A pattern is a literal name or a prefix ending in '*' (Kafka's LITERAL / PREFIXED); a bare "*"
 * means every name the token's tenant owns (PREFIXED "acme."; for an operator token, LITERAL "*").
 * Topic verbs: `produce` -> WRITE, `consume` -> READ (DESCRIBE follows from either). Group verb:
 * `consume` -> READ (join, sync, heartbeat, commit and fetch offsets need READ on the group).
 *
 * A tenant token whose pattern reaches outside its prefix is rejected whole (the issuing backend
 * has a bug worth hearing about), as is anything malformed or larger than the bounds below.
 */
import type { TokenGrant } from '../principal.js';
import { authenticationFailed } from '../security.error.js';
import { tenantOwns, tenantPrefix } from '../tenant.js';

export const MAX_TOKEN_GRANTS = 64;
const MAX_PATTERN_LENGTH = 249;
const NAME_CHARS = /^[A-Za-z0-9._-]+$/;

function invalid(why: string) {
  return authenticationFailed('invalid-claims', { why }, `Authentication failed: invalid permissions claim: ${why}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function grantsFromClaim(claim: unknown, tenant: string | null): TokenGrant[] {
  if (claim === undefined || claim === null) return [];
  if (!isPlainObject(claim)) throw invalid('must be an object with "topics" and/or "groups"');
  for (const key of Object.keys(claim)) if (key !== 'topics' && key !== 'groups') throw invalid(`unknown section ${JSON.stringify(key)}`);
  const grants: TokenGrant[] = [];
  const section = (value: unknown, resourceType: 'TOPIC' | 'GROUP') => {
    if (value === undefined) return;
    if (!isPlainObject(value)) throw invalid(`"${resourceType === 'TOPIC' ? 'topics' : 'groups'}" must map patterns to verb lists`);
    for (const [pattern, verbs] of Object.entries(value)) {
      if (!Array.isArray(verbs) || verbs.length === 0 || verbs.length > 2) throw invalid(`verbs for ${JSON.stringify(pattern)} must be a list like ["produce", "consume"]`);
      const scoped = scopePattern(pattern, tenant);
      for (const verb of verbs) {
        if (grants.length >= MAX_TOKEN_GRANTS) throw invalid(`more than ${MAX_TOKEN_GRANTS} grants`);
        if (verb === 'consume') grants.push({ resourceType, ...scoped, operation: 'READ' });
        else if (verb === 'produce' && resourceType === 'TOPIC') grants.push({ resourceType, ...scoped, operation: 'WRITE' });
        else throw invalid(`verb ${JSON.stringify(verb)} is not ${resourceType === 'TOPIC' ? '"produce" or "consume"' : '"consume"'}`);
      }
    }
  };
  section(claim.topics, 'TOPIC');
  section(claim.groups, 'GROUP');
  return grants;
}

function scopePattern(pattern: string, tenant: string | null): Pick<TokenGrant, 'patternType' | 'name'> {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) throw invalid(`pattern length must be 1..${MAX_PATTERN_LENGTH}`);
  if (pattern === '*') return tenant === null ? { patternType: 'LITERAL', name: '*' } : { patternType: 'PREFIXED', name: tenantPrefix(tenant) };
  const prefixed = pattern.endsWith('*');
  const name = prefixed ? pattern.slice(0, -1) : pattern;
  if (!NAME_CHARS.test(name)) throw invalid(`pattern ${JSON.stringify(pattern)} may use letters, digits, ".", "_", "-" and a final "*"`);
  if (tenant !== null) {
    const inside = prefixed ? name.startsWith(tenantPrefix(tenant)) : tenantOwns(tenant, name);
    if (!inside) throw invalid(`pattern ${JSON.stringify(pattern)} is outside tenant ${tenant}'s prefix "${tenantPrefix(tenant)}"`);
  }
  return { patternType: prefixed ? 'PREFIXED' : 'LITERAL', name };
}
