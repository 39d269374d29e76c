/**
 * Every live broker's disk use for GET /v1/cluster in cluster mode. A broker knows only its own
 * logs, so the node that answers asks each other live broker's GET /v1/cluster, as Kafka's admin
 * client sends DescribeLogDirs to each broker, and takes that broker's own `logSizeBytes` from
 * the answer. The request carries the client's Authorization header (the peer authenticates the
 * client again, as forwarded group admin requests do) and CLUSTER_FORWARDED_BY_HEADER, with which
 * the peer answers from its own view without asking anyone: a request is never fanned out twice.
 *
 * The peers are asked in parallel, each for at most `timeoutMs`: one that does not answer in time
 * (paused, overloaded, partitioned away while its lease lives) or that answers with an error is
 * reported with a code and a message instead of failing the whole description.
 */
import type { Logger } from '@spool/common';
import type { BrokerRegistration } from '@spool/cluster';
import type { PeerHttpClient, PeerHttpResponse } from '../../cluster/peer-http.js';

/** Set by the node that asks (its broker id): the peer answers for itself only. */
export const CLUSTER_FORWARDED_BY_HEADER = 'spool-cluster-forwarded-by';

export interface PeerLogSizeError {
  /** REQUEST_TIMED_OUT, NETWORK_EXCEPTION, or the code of the peer's error answer. */
  readonly code: string;
  readonly message: string;
}

export type PeerLogSize = { readonly logSizeBytes: number } | { readonly error: PeerLogSizeError };

export class PeerLogSizes {
  constructor(private readonly options: { readonly peers: PeerHttpClient; readonly selfId: () => number; readonly timeoutMs: number; readonly logger: Logger }) {}

  /** Whether a request came from another broker asking for this broker's own figures. */
  static isForwarded(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
    return typeof headers[CLUSTER_FORWARDED_BY_HEADER] === 'string';
  }

  /** Each broker's own disk use, by broker id (brokers without an HTTP address are left out). */
  async ask(brokers: readonly BrokerRegistration[], authorization: string | undefined): Promise<Map<number, PeerLogSize>> {
    const answers = await Promise.all(brokers.map(async (b) => [b.brokerId, await this.askOne(b, authorization)] as const));
    return new Map(answers);
  }

  close(): void {
    this.options.peers.close();
  }

  private async askOne(broker: BrokerRegistration, authorization: string | undefined): Promise<PeerLogSize> {
    const { peers, timeoutMs } = this.options;
    const host = broker.host.includes(':') && !broker.host.startsWith('[') ? `[${broker.host}]` : broker.host;
    const url = `${peers.scheme}://${host}:${broker.httpPort}/v1/cluster`;
    const headers: Record<string, string> = { accept: 'application/json', [CLUSTER_FORWARDED_BY_HEADER]: String(this.options.selfId()) };
    if (authorization !== undefined) headers.authorization = authorization;
    let res: PeerHttpResponse;
    try {
      res = await peers.request(url, { method: 'GET', headers, timeoutMs });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      this.options.logger.debug({ err, brokerId: broker.brokerId, url }, 'asking a broker for its disk use failed');
      return {
        error: timedOut
          ? { code: 'REQUEST_TIMED_OUT', message: `broker ${broker.brokerId} did not answer within ${timeoutMs} ms` }
          : { code: 'NETWORK_EXCEPTION', message: `broker ${broker.brokerId} could not be asked (${url}): ${(err as Error).message}` },
      };
    }
    const status = res.status;
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      return { error: { code: 'UNKNOWN_SERVER_ERROR', message: `broker ${broker.brokerId} answered HTTP ${status} with a body that is not JSON` } };
    }
    if (status >= 200 && status < 300) {
      const listed = (body as null | { brokers?: unknown })?.brokers;
      const own = Array.isArray(listed) ? (listed as Array<{ brokerId?: unknown; logSizeBytes?: unknown } | null>).find((b) => b?.brokerId === broker.brokerId)?.logSizeBytes : undefined;
      if (typeof own === 'number') return { logSizeBytes: own };
      return { error: { code: 'UNKNOWN_SERVER_ERROR', message: `broker ${broker.brokerId} answered without its disk use` } };
    }
    const error = (body as null | { error?: { code?: unknown; message?: unknown } })?.error;
    return {
      error: {
        code: typeof error?.code === 'string' ? error.code : 'UNKNOWN_SERVER_ERROR',
        message: `broker ${broker.brokerId} answered HTTP ${status}${typeof error?.message === 'string' ? `: ${error.message}` : ''}`,
      },
    };
  }
}
