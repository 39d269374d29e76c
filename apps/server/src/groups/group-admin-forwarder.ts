/**
 * HTTP group admin (`/v1/groups`) on any node of a cluster (docs/cluster.md, "Consumer groups").
 * A group's state and committed offsets live only on its coordinator (the leader of its
 * `__consumer_offsets` partition), so a group route is answered there:
 *
 *   this node coordinates   the handler runs here;
 *   another broker does      the same HTTP request is sent to that broker's HTTP port, with the
 *                            client's Authorization header (the coordinator authenticates and
 *                            authorizes the client again, as the schema registry's forwarded
 *                            writes do) and GROUPS_FORWARDED_BY_HEADER; its answer, success or
 *                            error envelope, becomes this request's;
 *   no `__consumer_offsets`  a describe or delete is GROUP_ID_NOT_FOUND at once (no group exists
 *                            yet; the HTTP API's answer for any unknown group, where Kafka's
 *                            DescribeGroups shows an empty "Dead" group); a commit or reset
 *                            creates the topic in etcd, as Kafka's FindCoordinator does, and goes
 *                            on once the group has a coordinator;
 *   the list                 every live broker lists the groups it coordinates; this node asks
 *                            them all and merges (Kafka's admin ListGroups asks every broker).
 *
 * While the coordinator is unknown, moving or loading (no leader yet, NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS from it, a refused connection) the request is tried again every
 * 200 ms for at most FORWARD_DEADLINE_MS, then answered with the last of those errors
 * (retriable, 503). Nothing else is retried: a forward that timed out may have been applied (a
 * `shiftBy` reset must not be applied twice). A forwarded request is never forwarded again: the
 * node it lands on answers it (NOT_COORDINATOR if it no longer coordinates; the forwarding node
 * retries), so requests never loop while leadership moves.
 */
import { isSpoolError, SpoolError, type Logger, type SpoolErrorCode } from '@spool/common';
import type { FastifyRequest } from 'fastify';
import type { ClusterService } from '../cluster/cluster.service.js';
import type { PeerHttpClient, PeerHttpResponse } from '../cluster/peer-http.js';
import type { ErrorEnvelope } from '../http/errors/error-envelope.filter.js';
import { RelayedHttpError } from '../http/errors/relayed-http.error.js';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets.log.js';
import type { GroupCoordinatorService } from './group-coordinator.service.js';
import type { GroupListingDto } from './groups.dto.js';

/** The header a forwarding node sets (its broker id). */
export const GROUPS_FORWARDED_BY_HEADER = 'spool-groups-forwarded-by';
/** How long a request waits for its group's coordinator (an election takes a session timeout, 2 s by default). */
export const FORWARD_DEADLINE_MS = 30_000;
const RETRY_PAUSE_MS = 200;
/** Answers that say the request was not applied and another try (here or at the new coordinator) may succeed. */
const NOT_APPLIED: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE']);

export interface GroupRouteOptions {
  /** A commit or reset: creates `__consumer_offsets` when the cluster has none (else GROUP_ID_NOT_FOUND). */
  readonly createsOffsetsTopic: boolean;
}

export class GroupAdminForwarder {
  constructor(
    private readonly cluster: ClusterService | undefined,
    private readonly coordinators: GroupCoordinatorService,
    private readonly options: { readonly peers: PeerHttpClient; readonly logger: Logger },
  ) {}

  /** Runs `locally` on the group's coordinator: here, or by forwarding `request` there (see the top of the file). */
  async run<T>(groupId: string, request: FastifyRequest, options: GroupRouteOptions, locally: () => T | Promise<T>): Promise<T> {
    const cluster = this.cluster;
    if (cluster === undefined || cluster.mode !== 'etcd' || forwardedBy(request) !== undefined) return locally();
    return this.retrying(async () => {
      if (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC) === undefined) {
        if (!options.createsOffsetsTopic) {
          throw new SpoolError('GROUP_ID_NOT_FOUND', `group ${JSON.stringify(groupId)} does not exist (no group has been created in this cluster yet)`, { group: groupId });
        }
        await this.coordinators.ensureOffsetsTopic(cluster);
      }
      const coordinator = this.coordinators.coordinatorOf(groupId);
      if (coordinator === null) throw new SpoolError('COORDINATOR_NOT_AVAILABLE', `group ${JSON.stringify(groupId)} has no coordinator right now (its ${CONSUMER_OFFSETS_TOPIC} partition has no leader)`, { group: groupId });
      if (coordinator === cluster.brokerId) return locally();
      return (await this.forward(coordinator, request)) as T;
    });
  }

  /** The groups of the whole cluster: this node's (`locally`) and every other live broker's, merged by group id. */
  async list(request: FastifyRequest, locally: () => GroupListingDto[]): Promise<GroupListingDto[]> {
    const cluster = this.cluster;
    if (cluster === undefined || cluster.mode !== 'etcd' || forwardedBy(request) !== undefined) return locally();
    if (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC) === undefined) return [];
    return this.retrying(async () => {
      const peers = cluster.metadata.brokers().filter((b) => b.brokerId !== cluster.brokerId);
      const answers = await Promise.all([locally(), ...peers.map(async (b) => ((await this.forward(b.brokerId, request)) as { groups: GroupListingDto[] }).groups)]);
      // A group whose partition is moving may briefly be listed by two brokers: once.
      const byId = new Map<string, GroupListingDto>();
      for (const g of answers.flat()) if (!byId.has(g.groupId)) byId.set(g.groupId, g);
      return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    });
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + FORWARD_DEADLINE_MS;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (!isSpoolError(err) || !NOT_APPLIED.has(err.code) || Date.now() + RETRY_PAUSE_MS > deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  /** The request on `brokerId`'s HTTP port: its 2xx body, or its error (NOT_APPLIED codes as SpoolErrors, to retry; the rest relayed). */
  private async forward(brokerId: number, request: FastifyRequest): Promise<unknown> {
    const cluster = this.cluster!;
    const broker = cluster.metadata.broker(brokerId);
    if (broker === undefined) throw new SpoolError('COORDINATOR_NOT_AVAILABLE', `broker ${brokerId} is not registered right now`, { brokerId });
    const url = `${this.options.peers.scheme}://${hostForUrl(broker.host)}:${broker.httpPort}${request.url}`;
    const headers: Record<string, string> = { accept: 'application/json', [GROUPS_FORWARDED_BY_HEADER]: String(cluster.brokerId) };
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string') headers.authorization = authorization;
    const hasBody = request.method !== 'GET' && request.method !== 'DELETE' && request.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';
    let res: PeerHttpResponse;
    try {
      res = await this.options.peers.request(url, { method: request.method, headers, body: hasBody ? JSON.stringify(request.body) : undefined, timeoutMs: cluster.settings.peerRequestTimeoutMs });
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown } }).cause;
      // Nothing reached the broker: safe to try again once the metadata moves on.
      if (cause?.code === 'ECONNREFUSED') throw new SpoolError('COORDINATOR_NOT_AVAILABLE', `broker ${brokerId} (${url}) refused the connection`, { brokerId });
      const timedOut = (err as Error).name === 'TimeoutError';
      this.options.logger.warn({ err, brokerId, url }, 'forwarding a group admin request failed');
      throw new SpoolError(timedOut ? 'REQUEST_TIMED_OUT' : 'NETWORK_EXCEPTION', `forwarding the request to broker ${brokerId}, the group's coordinator, failed: ${(err as Error).message}`, { brokerId });
    }
    let answer: unknown;
    try {
      answer = res.text === '' ? undefined : JSON.parse(res.text);
    } catch {
      throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${brokerId} answered a forwarded group request with HTTP ${res.status} and a body that is not JSON`, { brokerId });
    }
    if (res.ok) return answer;
    const envelope = answer as Partial<ErrorEnvelope> | undefined;
    const error = envelope?.error;
    if (error === undefined || typeof error.code !== 'string') throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${brokerId} answered a forwarded group request with HTTP ${res.status}`, { brokerId });
    if (NOT_APPLIED.has(error.code)) throw new SpoolError(error.code as SpoolErrorCode, error.message, { ...error.details });
    throw new RelayedHttpError(res.status, envelope as ErrorEnvelope);
  }
}

/** The broker id in a forwarded request's header, if any. */
function forwardedBy(request: FastifyRequest): number | undefined {
  const value = request.headers[GROUPS_FORWARDED_BY_HEADER];
  return typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
