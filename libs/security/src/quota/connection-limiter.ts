/**
 * Connection count limits (the `max_connections` quota) per principal and per tenant, over every
 * face: a Kafka connection, a WebSocket and an SSE stream each hold one lease from
 * authentication to close. Limits resolve like rate quotas (own entity, else the default entity)
 * and are read at acquire time, so a lowered limit refuses new connections and leaves open ones.
 *
 *   const lease = limiter.acquire(identity);   // THROTTLING_QUOTA_EXCEEDED when at the limit
 *   socket.on('close', () => lease.release()); // idempotent
 */
import { SecurityError } from '../security.error.js';
import type { Identity } from '../principal.js';
import type { SecurityCatalog } from '../store/security-catalog.js';

export interface ConnectionLease {
  release(): void;
}

export class ConnectionLimiter {
  private readonly byPrincipal = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();

  constructor(private readonly catalog: SecurityCatalog) {}

  acquire(identity: Identity): ConnectionLease {
    const userLimit = this.limit('user', identity.principalName);
    const tenantLimit = identity.tenant === null ? null : this.limit('tenant', identity.tenant);
    const userCount = this.byPrincipal.get(identity.principalName) ?? 0;
    const tenantCount = identity.tenant === null ? 0 : (this.byTenant.get(identity.tenant) ?? 0);
    if (userLimit !== null && userCount >= userLimit) throw this.refuse('principal', identity.principal, userLimit);
    if (tenantLimit !== null && tenantCount >= tenantLimit) throw this.refuse('tenant', identity.tenant!, tenantLimit);
    this.byPrincipal.set(identity.principalName, userCount + 1);
    if (identity.tenant !== null) this.byTenant.set(identity.tenant, tenantCount + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        decrement(this.byPrincipal, identity.principalName);
        if (identity.tenant !== null) decrement(this.byTenant, identity.tenant);
      },
    };
  }

  connections(entityType: 'user' | 'tenant', name: string): number {
    return (entityType === 'user' ? this.byPrincipal : this.byTenant).get(name) ?? 0;
  }

  private limit(entityType: 'user' | 'tenant', name: string): number | null {
    const own = this.catalog.quota({ entityType, name })?.values.max_connections;
    return own ?? this.catalog.quota({ entityType, name: null })?.values.max_connections ?? null;
  }

  private refuse(kind: string, name: string, limit: number): SecurityError {
    return new SecurityError('THROTTLING_QUOTA_EXCEEDED', `${kind} ${name} is at its limit of ${limit} connections`, 'connection-limit', { kind, name, limit });
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
