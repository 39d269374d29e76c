import { serializeProduceResults } from './produce-response.js';

describe('serializeProduceResults', () => {
  it('equals JSON.stringify of { results } for successes, errors and acks=none results', () => {
    const results = [
      { partition: 0, offset: 0, timestamp: 1767225600000 },
      { partition: 2, offset: 9007199254740991, timestamp: 0 },
      { partition: 1, error: { code: 'KAFKA_STORAGE_ERROR', message: 'disk "full"', retriable: true } },
      { partition: 3 },
    ];
    for (const slice of [[], results.slice(0, 1), results]) {
      expect(JSON.parse(serializeProduceResults(slice))).toEqual({ results: slice });
      expect(serializeProduceResults(slice)).toBe(JSON.stringify({ results: slice }));
    }
  });
});
