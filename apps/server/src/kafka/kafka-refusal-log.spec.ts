import { ManualClock, type Logger } from '@spool/common';
import type { ConnectionInfo } from './kafka-connection.js';
import { KafkaRefusalLog } from './kafka-refusal-log.js';
import type { KafkaRefusal } from './kafka-request-observer.js';

interface Line {
  readonly fields: Record<string, unknown>;
  readonly msg: string | undefined;
}

function capturingLogger(lines: Line[]): Logger {
  const logger: Logger = {
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
    warn: (fields, msg) => void lines.push({ fields: fields as Record<string, unknown>, msg }),
    child: () => logger,
  };
  return logger;
}

function connection(id: number, software = { name: 'librdkafka', version: '2.15.1' }): ConnectionInfo {
  return {
    connectionId: id,
    clientHost: '127.0.0.1',
    clientAddress: `127.0.0.1:${40000 + id}`,
    signal: new AbortController().signal,
    clientSoftware: software,
    identifyClientSoftware: () => undefined,
    destroy: () => undefined,
    closeAfterResponses: () => undefined,
  };
}

function refusal(conn: ConnectionInfo, overrides: Partial<KafkaRefusal> = {}): KafkaRefusal {
  return { connection: conn, reason: 'unsupported_version', apiKey: 3, apiName: 'Metadata', apiVersion: 13, clientId: 'app-1', detail: 'Metadata v13 is not served', closesConnection: true, ...overrides };
}

describe('KafkaRefusalLog', () => {
  it('writes one warn line per key and interval, then says how many were suppressed', () => {
    const lines: Line[] = [];
    const clock = new ManualClock();
    const log = new KafkaRefusalLog(capturingLogger(lines), clock, { intervalMs: 60_000, maxKeys: 10 });
    // A client reconnecting in a loop: a new connection (and port) every time, same client.
    for (let i = 0; i < 50; i++) {
      log.refused(refusal(connection(i)));
      clock.advance(100);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      msg: 'kafka request refused: Metadata v13 is not served',
      fields: {
        reason: 'unsupported_version',
        request: 'Metadata',
        apiKey: 3,
        apiVersion: 13,
        clientId: 'app-1',
        clientSoftwareName: 'librdkafka',
        clientSoftwareVersion: '2.15.1',
        clientAddress: '127.0.0.1:40000',
        connectionId: 0,
        closesConnection: true,
        suppressed: 0,
      },
    });
    clock.advance(60_000);
    log.refused(refusal(connection(99)));
    expect(lines).toHaveLength(2);
    expect(lines[1].fields).toMatchObject({ suppressed: 49, clientAddress: '127.0.0.1:40099' });
  });

  it('keys by reason, API, version, client id and software: each distinct refusal is logged', () => {
    const lines: Line[] = [];
    const log = new KafkaRefusalLog(capturingLogger(lines), new ManualClock(), { intervalMs: 60_000, maxKeys: 10 });
    const conn = connection(1);
    log.refused(refusal(conn));
    log.refused(refusal(conn, { apiVersion: 14 }));
    log.refused(refusal(conn, { clientId: 'app-2' }));
    log.refused(refusal(conn, { reason: 'undecodable' }));
    log.refused(refusal(connection(2, { name: 'librdkafka', version: '2.0.2' })));
    log.refused(refusal(conn));
    expect(lines.map((l) => [l.fields.reason, l.fields.apiVersion, l.fields.clientId, l.fields.clientSoftwareVersion])).toEqual([
      ['unsupported_version', 13, 'app-1', '2.15.1'],
      ['unsupported_version', 14, 'app-1', '2.15.1'],
      ['unsupported_version', 13, 'app-2', '2.15.1'],
      ['undecodable', 13, 'app-1', '2.15.1'],
      ['unsupported_version', 13, 'app-1', '2.0.2'],
    ]);
  });

  it('bounds its memory: past maxKeys, new keys share one overflow key until old ones expire', () => {
    const lines: Line[] = [];
    const clock = new ManualClock();
    const log = new KafkaRefusalLog(capturingLogger(lines), clock, { intervalMs: 1_000, maxKeys: 3 });
    const conn = connection(1);
    for (let i = 0; i < 100; i++) log.refused(refusal(conn, { clientId: `hostile-${i}` }));
    // Three keys of their own, then one overflow line for the other 97.
    expect(lines.map((l) => l.fields.clientId)).toEqual(['hostile-0', 'hostile-1', 'hostile-2', 'hostile-3']);
    expect(lines[3].fields.overflow).toBe(true);
    clock.advance(1_000);
    log.refused(refusal(conn, { clientId: 'late' }));
    expect(lines.at(-1)?.fields).toMatchObject({ clientId: 'late', suppressed: 0 });
    expect(lines.at(-1)?.fields.overflow).toBeUndefined();
  });
});
