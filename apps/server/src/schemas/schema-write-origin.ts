/**
 * Who asked for a registry write, carried from the REST handler to the cluster writer
 * (cluster-registry-writer.ts) without threading it through the registry library: the client's
 * Authorization header (a forwarded write is authenticated again by the writer's node, as the
 * client) and whether the request was itself forwarded by another node (then it is never forwarded
 * again: a node that is not the writer answers 50004 and the forwarding node retries).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SchemaWriteOrigin {
  readonly authorization?: string;
  /** The broker id that forwarded this request, when it was forwarded. */
  readonly forwardedBy?: number;
}

/** The header a forwarding node sets (its broker id). */
export const FORWARDED_BY_HEADER = 'spool-schemas-forwarded-by';

const storage = new AsyncLocalStorage<SchemaWriteOrigin>();

/** Runs `write` with `origin` as the current write's origin. */
export function withWriteOrigin<T>(origin: SchemaWriteOrigin, write: () => Promise<T>): Promise<T> {
  return storage.run(origin, write);
}

/** The current write's origin (empty outside a REST request: a write of the broker's own). */
export function currentWriteOrigin(): SchemaWriteOrigin {
  return storage.getStore() ?? {};
}

/** The origin of a request, from its headers. */
export function writeOriginOf(headers: Readonly<Record<string, string | string[] | undefined>>): SchemaWriteOrigin {
  const authorization = headers.authorization;
  const forwarded = headers[FORWARDED_BY_HEADER];
  const forwardedBy = typeof forwarded === 'string' && /^\d{1,10}$/.test(forwarded) ? Number(forwarded) : undefined;
  return { ...(typeof authorization === 'string' && { authorization }), ...(forwardedBy !== undefined && { forwardedBy }) };
}
