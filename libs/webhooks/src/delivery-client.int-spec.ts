/**
 * The delivery client (undici underneath) against real HTTPS servers on loopback addresses,
 * with a certificate made for the run: what the webhook contract needs of it, whatever client
 * library does the HTTP. The socket goes to the pinned address while Host, SNI and the
 * certificate check use the URL's name; keep-alive connections are never shared between
 * addresses (a name answering a new address after a delivery, DNS rebinding, gets a new
 * connection, and the guard sees that address first); the deadline, the bound on the response
 * body, redirects not followed, the CA setting, and the connect hook that can refuse a socket.
 * Every socket the client opens passes a hook that fails the test outside 127.0.0.0/8.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { selfSignedCertificate, type TlsMaterial } from '../../../test/webhooks/https-receiver.test-util.js';
import { AddressGuard, type ResolvedAddress } from './address-guard.js';
import { attemptDelivery, type DeliveryEndpoint } from './delivery-attempt.js';
import { DeliveryClient, TransportFailure } from './delivery-client.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { generateSecret, secretKey } from './signing.js';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');

interface Seen {
  readonly host: string | undefined;
  readonly servername: string | false | null;
  readonly localAddress: string | undefined;
  readonly url: string | undefined;
  readonly body: string;
}

/** An HTTPS server on one loopback address whose handler the test sets; it counts connections and requests. */
class Server {
  readonly seen: Seen[] = [];
  connections = 0;
  closedConnections = 0;
  handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();

  private constructor(private readonly server: https.Server) {}

  static async start(tls: TlsMaterial, host: string, port = 0): Promise<Server> {
    const server = https.createServer({ key: tls.key, cert: tls.cert, keepAliveTimeout: 10_000 });
    const s = new Server(server);
    server.on('secureConnection', (socket) => {
      s.connections++;
      socket.on('close', () => s.closedConnections++);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const socket = req.socket as TLSSocket;
        s.seen.push({ host: req.headers.host, servername: socket.servername, localAddress: socket.localAddress, url: req.url, body: Buffer.concat(chunks).toString('utf8') });
        s.handle(req, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A name only the stubbed resolvers know (.test is reserved, RFC 2606); the certificate holds it. */
const NAME = 'hooks.spool.test';
const tls = selfSignedCertificate([NAME]); // names: IP 127.0.0.1, DNS localhost, NAME
const servers: Server[] = [];
const clients: DeliveryClient[] = [];
let connects: string[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  connects = [];
});

async function server(host = '127.0.0.1', port = 0): Promise<Server> {
  const s = await Server.start(tls, host, port);
  servers.push(s);
  return s;
}

function client(options: { ca?: string | null; maxResponseBytes?: number; refuse?: string } = {}): DeliveryClient {
  const c = new DeliveryClient({
    ...(options.ca !== null && { ca: options.ca ?? tls.cert }),
    ...(options.maxResponseBytes !== undefined && { maxResponseBytes: options.maxResponseBytes }),
    onConnect: (address) => {
      connects.push(address);
      if (!LOOPBACK.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')) throw new Error(`test refused a connection to ${address}: tests talk to 127.0.0.0/8 only`);
      if (address === options.refuse) throw new Error(`connect hook refused ${address}`);
    },
  });
  clients.push(c);
  return c;
}

function post(c: DeliveryClient, url: string, address: string, timeoutMs = 10_000) {
  return c.send({ url: new URL(url), address: { address, family: 4 }, headers: { 'webhook-id': 'msg-1' }, body: Buffer.from('{"n":1}'), timeoutMs });
}

async function failureOf(p: Promise<unknown>): Promise<TransportFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TransportFailure) return err;
    throw err;
  }
  throw new Error('the request did not fail');
}

describe('DeliveryClient', () => {
  it('connects to the pinned address, with Host, SNI and the certificate check on the URL name; keeps the connection alive', async () => {
    const s = await server('127.0.0.2');
    const c = client();
    for (let i = 0; i < 3; i++) {
      const r = await post(c, `https://localhost:${s.port}/hooks/in?x=${i}`, '127.0.0.2');
      expect(r.status).toBe(204);
      // undici hands a connection its next request one event-loop turn after an answer (a server
      // that said keep-alive may still close): a request sent sooner opens another connection.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(s.seen.map((x) => x.url)).toEqual(['/hooks/in?x=0', '/hooks/in?x=1', '/hooks/in?x=2']);
    expect(s.seen[0]).toMatchObject({ host: `localhost:${s.port}`, servername: 'localhost', localAddress: '127.0.0.2', body: '{"n":1}' });
    expect(s.connections).toBe(1);
    expect(connects).toEqual(['127.0.0.2']);
  });

  it('checks the certificate against the URL host, not the pinned address, and trusts only the configured CA', async () => {
    const s = await server('127.0.0.1');
    // The certificate names 127.0.0.1 and localhost: another name pinned to the same address is refused.
    const wrongName = await failureOf(post(client(), `https://spool-client-test.localhost:${s.port}/`, '127.0.0.1'));
    expect(wrongName.kind).toBe('connection');
    expect(wrongName.message).toMatch(/altnames|certificate/i);
    const untrusted = await failureOf(post(client({ ca: null }), `https://127.0.0.1:${s.port}/`, '127.0.0.1'));
    expect(untrusted.kind).toBe('connection');
    expect(untrusted.message).toMatch(/self[- ]signed|certificate/i);
    expect(s.seen).toHaveLength(0);
    expect((await post(client(), `https://127.0.0.1:${s.port}/`, '127.0.0.1')).status).toBe(204);
  });

  it('answers a redirect as it is (not followed), with Retry-After and the start of the body', async () => {
    const s = await server();
    s.handle = (req, res) => {
      if (req.url === '/moved') res.writeHead(307, { location: '/elsewhere', 'retry-after': '7' }).end('go elsewhere');
      else res.writeHead(204).end();
    };
    const r = await post(client(), `https://127.0.0.1:${s.port}/moved`, '127.0.0.1');
    expect(r).toMatchObject({ status: 307, retryAfter: '7', bodySnippet: 'go elsewhere' });
    expect(s.seen.map((x) => x.url)).toEqual(['/moved']);
  });

  it('reads a response body only up to the limit, then drops the connection', async () => {
    const s = await server();
    s.handle = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1000) + 'y'.repeat(64 * 1024)); // the rest never ends: only the client's abort ends it
    };
    const c = client({ maxResponseBytes: 1024 });
    const r = await post(c, `https://127.0.0.1:${s.port}/`, '127.0.0.1');
    expect(r.status).toBe(500);
    expect(r.bodySnippet).toBe('x'.repeat(512));
    await waitUntil(() => s.closedConnections === 1, () => `connections closed: ${s.closedConnections}`);
    // The next request goes out on a new connection. (undici 7 opens one as soon as it has cut a
    // response short, nodejs/undici#5845, so the new one may already be there: not counted here.)
    s.handle = (_req, res) => res.writeHead(204).end();
    expect((await post(c, `https://127.0.0.1:${s.port}/`, '127.0.0.1')).status).toBe(204);
    expect(s.connections).toBeGreaterThanOrEqual(2);
  });

  it('fails a request with no complete answer by its deadline as a timeout, and a refused connection as a connection failure', async () => {
    const s = await server();
    const c = client();
    // A first request opens the connection, so that the late one is sent at once (a TLS handshake
    // on a loaded machine could take longer than the deadline).
    expect((await post(c, `https://127.0.0.1:${s.port}/`, '127.0.0.1')).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 20));
    s.handle = (_req, res) => res.writeHead(200).write('partial'); // headers and a part of the body, never the end
    const started = performance.now();
    const timeout = await failureOf(post(c, `https://127.0.0.1:${s.port}/`, '127.0.0.1', 500));
    expect(timeout.kind).toBe('timeout');
    expect(timeout.message).toContain('500 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    // The connection that carried it is closed (what the server already sent is not read on).
    await waitUntil(() => s.closedConnections >= 1, () => `connections closed: ${s.closedConnections}`);
    expect(s.seen).toHaveLength(2);

    const port = s.port;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const refused = await failureOf(post(client(), `https://127.0.0.1:${port}/`, '127.0.0.1'));
    expect(refused.kind).toBe('connection');
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it('opens no socket when the connect hook refuses the address', async () => {
    const s = await server();
    const refused = await failureOf(post(client({ refuse: '127.0.0.1' }), `https://127.0.0.1:${s.port}/`, '127.0.0.1'));
    expect(refused.kind).toBe('connection');
    expect(refused.message).toContain('connect hook refused 127.0.0.1');
    expect(s.connections).toBe(0);
  });

  it('never reuses a kept-alive connection for a name that now resolves elsewhere (DNS rebinding); the guard checks each new address first', async () => {
    // Two servers on one port of two loopback addresses: one origin, two places. Loopback stands
    // for "allowed" (127.0.0.2-3) and "refused" (127.0.0.4, outside allowCidrs): tests never leave 127.0.0.0/8.
    const first = await server('127.0.0.2');
    const second = await server('127.0.0.3', first.port);
    const answers = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const asked: string[] = [];
    const guard = new AddressGuard({
      requireHttps: true,
      allowCidrs: ['127.0.0.2/32', '127.0.0.3/32'],
      resolver: async (host): Promise<ResolvedAddress[]> => {
        asked.push(host);
        return [{ address: answers.shift() ?? '127.0.0.4', family: 4 }];
      },
    });
    const c = client();
    const endpoint: DeliveryEndpoint = { url: `https://${NAME}:${first.port}/in`, keys: [secretKey(generateSecret())], timeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY };
    const one = await attemptDelivery(guard, c, endpoint, 'msg-1', Buffer.from('{}'));
    const two = await attemptDelivery(guard, c, endpoint, 'msg-2', Buffer.from('{}'));
    const three = await attemptDelivery(guard, c, endpoint, 'msg-3', Buffer.from('{}'));
    expect([one.status, two.status, three.status]).toEqual([204, 204, null]);
    expect(three.error).toMatch(/ENDPOINT_NOT_ALLOWED: .*127\.0\.0\.4 \(loopback\)/);
    expect(asked).toEqual([NAME, NAME, NAME]);
    // The first connection was still open (kept alive) when the name moved: the second request went to its new address.
    expect(connects).toEqual(['127.0.0.2', '127.0.0.3']);
    expect([first.connections, first.closedConnections, second.connections]).toEqual([1, 0, 1]);
    expect(first.seen.map((x) => [x.host, x.servername])).toEqual([[`${NAME}:${first.port}`, NAME]]);
    expect(second.seen.map((x) => [x.host, x.servername])).toEqual([[`${NAME}:${first.port}`, NAME]]);
  });
});

async function waitUntil(check: () => boolean, what: () => string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
