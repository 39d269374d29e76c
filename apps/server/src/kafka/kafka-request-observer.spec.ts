import { KafkaObservers, countErrorCodes } from './kafka-request-observer.js';

describe('countErrorCodes', () => {
  it('counts the top-level code and every nested one (per topic, per partition), as Kafka errorCounts() does', () => {
    const produceResponse = {
      throttleTimeMs: 0,
      responses: [
        { name: 'a', partitionResponses: [{ index: 0, errorCode: 0, recordErrors: [] }, { index: 1, errorCode: 3, recordErrors: [] }] },
        { name: 'b', partitionResponses: [{ index: 0, errorCode: 0, recordErrors: [] }] },
      ],
    };
    expect(countErrorCodes(produceResponse)).toEqual(new Map([[0, 2], [3, 1]]));
    expect(countErrorCodes({ errorCode: 35, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 9 }] })).toEqual(new Map([[35, 1]]));
  });

  it('does not walk record bytes', () => {
    const records = Buffer.alloc(1 << 16);
    const fetchResponse = { errorCode: 0, responses: [{ partitions: [{ errorCode: 1, records: [records, records] }] }] };
    expect(countErrorCodes(fetchResponse)).toEqual(new Map([[0, 1], [1, 1]]));
  });

  it('finds nothing in a response without error codes', () => {
    expect(countErrorCodes({ throttleTimeMs: 0, topics: [] })).toEqual(new Map());
  });
});

describe('KafkaObservers', () => {
  it('delivers events to each observer, and one that throws cannot stop the others', () => {
    const seen: string[] = [];
    const observers = new KafkaObservers([
      { refused: () => { throw new Error('broken observer'); } },
      { refused: (r) => void seen.push(r.reason) },
      {},
    ]);
    expect(() =>
      observers.emit('refused', {
        connection: { connectionId: 1, clientHost: 'h', clientAddress: 'h:1', signal: new AbortController().signal, clientSoftware: { name: null, version: null }, identifyClientSoftware: () => undefined, destroy: () => undefined, closeAfterResponses: () => undefined },
        reason: 'frame_too_large',
        apiKey: null,
        apiName: null,
        apiVersion: null,
        clientId: null,
        detail: 'x',
        closesConnection: true,
      }),
    ).not.toThrow();
    expect(seen).toEqual(['frame_too_large']);
  });
});
