import { dueRecords, scheduledAt } from '../../bench/suite/rate.js';
import { recordsPerBatch, sentAtOf, stampedValue } from '../../bench/suite/records.js';
import { metricSummary, ratioSummary, type CaseResult } from '../../bench/suite/results.js';

const result = (rates: Array<number | null>): CaseResult => ({
  id: 'x',
  workload: 'produce',
  system: 's',
  valueBytes: 100,
  samples: rates.map((r) => (r === null ? null : { recordsPerSec: r })),
  errors: [],
  skipped: null,
});

describe('open-loop schedule', () => {
  it('is due what the elapsed time allows at the rate, never more than the total', () => {
    expect(dueRecords(0, 1000, 0, 100)).toBe(0);
    expect(dueRecords(10.5, 1000, 0, 100)).toBe(10);
    expect(dueRecords(10.5, 1000, 8, 100)).toBe(2);
    expect(dueRecords(500, 1000, 90, 100)).toBe(10);
    expect(dueRecords(5, 1000, 9, 100)).toBe(0); // ahead of schedule: nothing
  });

  it('spaces scheduled times 1/rate apart', () => {
    expect(scheduledAt(100, 50_000, 0)).toBe(100);
    expect(scheduledAt(100, 50_000, 5)).toBeCloseTo(100.1);
  });
});

describe('records', () => {
  it('stamps a value of exactly the asked size and reads the stamp back', () => {
    const text = stampedValue(1767225600123.456, 100);
    expect(Buffer.byteLength(text)).toBe(100);
    expect(sentAtOf(JSON.parse(text) as string)).toBe(1767225600123.456);
  });

  it('keeps a batch under 512 KiB', () => {
    expect(recordsPerBatch(100)).toBe(1000);
    expect(recordsPerBatch(1024) * 1024).toBeLessThan(512 * 1024);
  });
});

describe('summaries over rounds', () => {
  it('takes the median, min and max of the rounds that measured', () => {
    expect(metricSummary(result([3, null, 1, 2]), 'recordsPerSec')).toEqual({ median: 2, min: 1, max: 3, runs: 3 });
    expect(metricSummary(result([null]), 'recordsPerSec')).toBeNull();
  });

  it('takes ratios round by round, only where both sides measured', () => {
    const r = ratioSummary(result([10, 30, 40, null]), result([5, null, 10, 1]), 'recordsPerSec');
    expect(r).toEqual({ median: 3, min: 2, max: 4, runs: 2 });
  });
});
