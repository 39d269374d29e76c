/**
 * HTTP requests from this broker to another broker's HTTP port: the group admin routes and the
 * schema registry's writes are answered on one node (the coordinator, the writer) and forwarded
 * there by the others.
 *
 * Why not the global fetch: when the HTTP port speaks TLS, the peers' certificates chain to the
 * cluster's own CA (SPOOL_INTER_BROKER_TLS_CA_FILE), which is usually private, and a peer may
 * require a client certificate (SPOOL_TLS_CLIENT_AUTH=required). Node's fetch trusts only the
 * system's CAs and presents no certificate, so every forward of a TLS cluster with a private CA
 * failed its handshake. This client verifies the peer against the inter-broker CA and the host it
 * advertises (its subjectAltName), and presents this broker's certificate, as the Kafka-protocol
 * client between brokers does (libs/broker-client BrokerTlsOptions).
 *
 * Errors keep the shape callers know from fetch: a connection that failed carries the socket error
 * as `cause` (`cause.code` ECONNREFUSED: nothing reached the peer), a request over its time is an
 * Error named `TimeoutError`.
 */
import http from 'node:http';
import https from 'node:https';
import type { BrokerTlsOptions } from '@spool/broker-client';

export interface PeerHttpRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface PeerHttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly text: string;
}

export class PeerHttpClient {
  private readonly agent: http.Agent;
  readonly scheme: 'http' | 'https';

  /**
   * `secure`: the peers' HTTP ports speak TLS (this broker's does: they share the settings);
   * `tls`: the inter-broker CA and this broker's certificate (cluster mode with TLS always has
   * them; without, the system's CAs are trusted and no certificate is presented).
   */
  constructor(secure: boolean, tls: BrokerTlsOptions | null = null) {
    this.scheme = secure ? 'https' : 'http';
    this.agent = !secure
      ? new http.Agent({ keepAlive: true })
      : new https.Agent({ keepAlive: true, rejectUnauthorized: true, ...(tls !== null && { ca: tls.ca }), ...(tls?.cert !== undefined && { cert: tls.cert, key: tls.key }) });
  }

  request(url: string, init: PeerHttpRequest): Promise<PeerHttpResponse> {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    if (target.protocol !== `${this.scheme}:`) {
      return Promise.reject(new Error(`${target.protocol} peer URL on a ${this.scheme} peer client: ${url}`));
    }
    const headers: Record<string, string> = { ...init.headers };
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise<PeerHttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const req = transport.request(target, { method: init.method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => fail(new Error(`reading the answer of ${url}: ${err.message}`, { cause: err })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      const timer = setTimeout(() => {
        const err = new Error(`${init.method} ${url} took longer than ${init.timeoutMs} ms`);
        err.name = 'TimeoutError';
        fail(err);
        req.destroy(err);
      }, init.timeoutMs);
      req.on('error', (err) => fail(new Error(`${init.method} ${url} failed: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
