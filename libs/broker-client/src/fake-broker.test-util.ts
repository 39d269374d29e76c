/**
 * A fake broker for unit tests: a real TCP server on 127.0.0.1 whose every byte the test
 * controls. It decodes request frames with libs/protocol and hands them to the test, which
 * answers (or not) with encoded responses, raw bytes, or by closing the socket. ApiVersions is
 * answered by default from `apis`, as Spool's broker does (v0-3; above that, a v0 answer with
 * UNSUPPORTED_VERSION), unless the test handles it.
 */
import net from 'node:net';
import {
  KafkaApiKey,
  KafkaErrorCode,
  decodeKafkaRequestFrame,
  encodeKafkaResponseFrame,
  fitToVersion,
  getKafkaApi,
  type KafkaRequestFrame,
} from '@spool/protocol';
import { ResponseFrameReader } from './response-frame-reader.js';

export interface FakeRequest<T = unknown> {
  readonly frame: KafkaRequestFrame<T>;
  readonly socket: net.Socket;
  /** Encodes `body` (fitted to the request's version) and writes it. */
  respond(body: object): void;
  /** The encoded response (at `version`, default the request's), not written: for tests that cut or reorder it. */
  encode(body: object, version?: number): Buffer;
}

export type FakeHandler = (request: FakeRequest) => void;

export class FakeBroker {
  readonly requests: FakeRequest[] = [];
  readonly sockets: net.Socket[] = [];
  apis: { apiKey: number; minVersion: number; maxVersion: number }[];
  handler: FakeHandler = () => undefined;
  /** Answer ApiVersions from `apis` (else the handler gets it). */
  autoApiVersions = true;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    apis: { apiKey: number; minVersion: number; maxVersion: number }[],
  ) {
    this.apis = apis;
  }

  static async start(apis: { apiKey: number; minVersion: number; maxVersion: number }[] = DEFAULT_APIS): Promise<FakeBroker> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeBroker(server, (server.address() as net.AddressInfo).port, apis);
    server.on('connection', (socket) => fake.accept(socket));
    return fake;
  }

  /** Requests other than the default-answered ApiVersions. */
  get received(): FakeRequest[] {
    return this.requests.filter((r) => r.frame.header.requestApiKey !== KafkaApiKey.ApiVersions);
  }

  /** Resolves once `predicate` holds (checked after every request and connection). */
  async until(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
    const giveUpAt = Date.now() + limitMs;
    while (!predicate()) {
      if (Date.now() > giveUpAt) throw new Error(`fake broker: gave up waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private accept(socket: net.Socket): void {
    this.sockets.push(socket);
    this.notify();
    const reader = new ResponseFrameReader(64 * 1024 * 1024); // same framing for requests
    socket.on('error', () => undefined);
    socket.on('close', () => this.notify());
    socket.on('data', (chunk: Buffer) => {
      for (const bytes of reader.push(chunk)) {
        const frame = decodeKafkaRequestFrame(bytes);
        const { requestApiKey: apiKey, requestApiVersion: version, correlationId } = frame.header;
        const encode = (body: object, v = version): Buffer => encodeKafkaResponseFrame(apiKey, v, correlationId, fitToVersion(getKafkaApi(apiKey)!.response.schema, body, v));
        const request: FakeRequest = { frame, socket, encode, respond: (body) => socket.write(encode(body)) };
        this.requests.push(request);
        if (apiKey === KafkaApiKey.ApiVersions && this.autoApiVersions) this.answerApiVersions(request, encode);
        else this.handler(request);
        this.notify();
      }
    });
  }

  private answerApiVersions(request: FakeRequest, encode: (body: object, v?: number) => Buffer): void {
    const version = request.frame.header.requestApiVersion;
    const body = { ...getKafkaApi(KafkaApiKey.ApiVersions)!.response.defaults(), apiKeys: this.apis };
    if (version > 3) request.socket.write(encode({ ...body, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION }, 0));
    else request.socket.write(encode(body));
  }
}

export const DEFAULT_APIS = [
  { apiKey: KafkaApiKey.Produce, minVersion: 0, maxVersion: 9 },
  { apiKey: KafkaApiKey.Fetch, minVersion: 4, maxVersion: 12 },
  { apiKey: KafkaApiKey.ListOffsets, minVersion: 1, maxVersion: 6 },
  { apiKey: KafkaApiKey.Metadata, minVersion: 0, maxVersion: 12 },
  { apiKey: KafkaApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
];

/** A Metadata response naming `clusterId`, to tell responses apart. */
export function metadataBody(clusterId: string): object {
  return { ...getKafkaApi(KafkaApiKey.Metadata)!.response.defaults(), clusterId, controllerId: 1 };
}
