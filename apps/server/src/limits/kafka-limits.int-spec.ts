/**
 * The Kafka listener's limits (docs/limits.md) with raw sockets: socket.request.max.bytes (set
 * below its default here), max.connections.per.ip and max.connections (a connection past them is
 * closed before a byte of it is read; the connections already open keep working).
 */
import net from 'node:net';
import { encodeKafkaRequestFrame, KafkaApiKey } from '@spool/protocol';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';

/** A socket that counts response bytes and notices its close. */
class Conn {
  readonly socket: net.Socket;
  received = 0;
  closed = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => (this.received += d.length));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  /** Sends ApiVersions and waits for an answer or the close; true if answered. */
  async answers(correlationId: number): Promise<boolean> {
    const before = this.received;
    if (!this.closed) this.socket.write(apiVersions(correlationId));
    await until(() => this.received > before || this.closed);
    return this.received > before;
  }
}

function apiVersions(correlationId: number): Buffer {
  return encodeKafkaRequestFrame({ requestApiKey: KafkaApiKey.ApiVersions, requestApiVersion: 3, correlationId, clientId: 'limits' }, { clientSoftwareName: 'limits', clientSoftwareVersion: '1' });
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Kafka listener limits', () => {
  let broker: KafkaTestBroker;
  afterEach(async () => {
    await broker?.close();
  });

  it('closes a connection whose request is above socket.request.max.bytes; a request within it is answered', async () => {
    broker = await startKafkaTestBroker({ kafka: { maxRequestBytes: 4096 } });
    const ok = new Conn(broker.kafkaPort);
    expect(await ok.answers(1)).toBe(true);
    const big = new Conn(broker.kafkaPort);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(4097);
    big.socket.write(prefix);
    await until(() => big.closed);
    expect(big.received).toBe(0);
    expect(await ok.answers(2)).toBe(true);
    ok.socket.destroy();
  });

  it('closes connections past max.connections.per.ip at once, and takes new ones when others close', async () => {
    broker = await startKafkaTestBroker({ kafka: { maxConnectionsPerIp: 2 } });
    const open = [new Conn(broker.kafkaPort), new Conn(broker.kafkaPort)];
    for (const [i, c] of open.entries()) expect(await c.answers(i)).toBe(true);
    const third = new Conn(broker.kafkaPort);
    await until(() => third.closed);
    expect(third.received).toBe(0);
    expect(await open[0].answers(10)).toBe(true);
    open[1].socket.destroy();
    // The server counts the close once it sees it: retry until a new connection is answered.
    let replacement = new Conn(broker.kafkaPort);
    for (let attempt = 0; !(await replacement.answers(11)); attempt++) {
      expect(attempt).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 50));
      replacement = new Conn(broker.kafkaPort);
    }
    open[0].socket.destroy();
    replacement.socket.destroy();
  });

  it('closes connections past max.connections', async () => {
    broker = await startKafkaTestBroker({ kafka: { maxConnections: 1 } });
    const first = new Conn(broker.kafkaPort);
    expect(await first.answers(1)).toBe(true);
    const second = new Conn(broker.kafkaPort);
    await until(() => second.closed);
    expect(second.received).toBe(0);
    expect(await first.answers(2)).toBe(true);
    first.socket.destroy();
  });
});
