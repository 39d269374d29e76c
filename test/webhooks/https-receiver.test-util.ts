/**
 * A real HTTPS webhook receiver on 127.0.0.1 for the tests: a self-signed certificate made for
 * the run by openssl (CN and subjectAltName 127.0.0.1 and localhost; the broker trusts it
 * through its CA setting), and a handler that verifies every request's Standard Webhooks
 * signature with the `standardwebhooks` package (written by others, so it judges our signing)
 * before the test's `respond` decides the answer. A request whose signature does not verify is
 * counted in `badSignatures` and answered 401; the tests expect none.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

export interface ReceivedMessage {
  readonly webhookId: string;
  readonly timestamp: number;
  readonly body: { subscription: string; topic: string; partition: number; records: Array<{ topic: string; partition: number; offset: number; key: unknown; value: unknown; headers: Record<string, string | null> }> };
  readonly raw: string;
  readonly receivedAt: number;
  readonly path: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

export type Responder = (message: ReceivedMessage, attempt: number) => Reply;

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/** A self-signed certificate for 127.0.0.1, localhost and `dnsNames`, made with openssl in a temp dir. */
export function selfSignedCertificate(dnsNames: readonly string[] = []): TlsMaterial {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-tls-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', `subjectAltName=IP:127.0.0.1,DNS:localhost${dnsNames.map((n) => `,DNS:${n}`).join('')}`], { stdio: 'ignore' });
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class HttpsReceiver {
  readonly messages: ReceivedMessage[] = [];
  /** Attempts per webhook-id so far. */
  readonly attempts = new Map<string, number>();
  badSignatures = 0;
  respond: Responder = () => ({ status: 204 });
  private webhook: Webhook | null;
  /** Verifiers of paths whose secret differs from the default (one per subscription). */
  private readonly bySecretPath = new Map<string, Webhook>();
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  private constructor(
    private readonly server: https.Server,
    secret: string | null,
    readonly tls: TlsMaterial,
  ) {
    this.webhook = secret === null ? null : new Webhook(secret);
  }

  /**
   * Verifies requests to `pathname` with `secret` (the broker generates a subscription's secret
   * when it is created, after its URL is known). Requests to a path without a secret yet are
   * answered 503 (the broker retries them) and are neither counted nor delivered.
   */
  useSecret(pathname: string, secret: string): void {
    this.bySecretPath.set(pathname, new Webhook(secret));
  }

  static async start(secret: string | null, tls: TlsMaterial = selfSignedCertificate()): Promise<HttpsReceiver> {
    const server = https.createServer({ key: tls.key, cert: tls.cert, keepAliveTimeout: 5_000 });
    const receiver = new HttpsReceiver(server, secret, tls);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
        const verifier = receiver.bySecretPath.get(req.url ?? '') ?? receiver.webhook;
        if (verifier === null) {
          res.writeHead(503).end('no secret yet');
          return;
        }
        try {
          verifier.verify(raw, headers);
        } catch {
          receiver.badSignatures++;
          res.writeHead(401).end('bad signature');
          return;
        }
        const message: ReceivedMessage = { webhookId: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), body: JSON.parse(raw), raw, receivedAt: Date.now(), path: req.url ?? '' };
        const attempt = (receiver.attempts.get(message.webhookId) ?? 0) + 1;
        receiver.attempts.set(message.webhookId, attempt);
        const reply = receiver.respond(message, attempt);
        const answer = (): void => {
          if (reply.status >= 200 && reply.status < 300) receiver.delivered(message);
          res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
        };
        if (reply.delayMs !== undefined && reply.delayMs > 0) setTimeout(answer, reply.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(pathname = '/hook'): string {
    return `https://127.0.0.1:${this.port}${pathname}`;
  }

  /** Resolves once `check()` holds (checked after every delivered message); rejects after `limitMs` with `what()`. */
  waitFor(check: () => boolean, what: () => string, limitMs = 30_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`not within ${limitMs} ms: ${what()}`));
      }, limitMs);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Offsets acknowledged (2xx) per partition, in arrival order (duplicates kept). */
  deliveredOffsets(partition = 0, topic?: string): number[] {
    return this.messages
      .flatMap((m) => m.body.records)
      .filter((r) => r.partition === partition && (topic === undefined || r.topic === topic))
      .map((r) => r.offset);
  }

  private delivered(message: ReceivedMessage): void {
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve();
      }
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
