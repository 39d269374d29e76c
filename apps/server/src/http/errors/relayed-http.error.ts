/**
 * An error answer another broker gave to a request this node forwarded to it (HTTP group admin in
 * cluster mode: groups/group-admin-forwarder.ts): the error envelope filter sends its status and
 * envelope to the client as they came, so the coordinator's error reaches the client unchanged.
 */
import type { ErrorEnvelope } from './error-envelope.filter.js';

export class RelayedHttpError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope,
  ) {
    super(envelope.error.message);
    this.name = 'RelayedHttpError';
  }
}
