import { escapeXml, renderBarChart, scaler } from '../../bench/suite/render/svg-chart.js';

describe('renderBarChart', () => {
  const spec = {
    title: 'Produce <100 B> & more',
    unit: 'records/s',
    series: ['records/s'],
    rows: [
      { label: 'Spool HTTP', group: '100 B values', values: [600_000], mins: [500_000], maxs: [700_000] },
      { label: 'Redis Streams', group: '100 B values', values: [150_000] },
      { label: 'NATS JetStream', group: '1 KiB values', values: [undefined] },
    ],
  };

  it('draws one bar per measured value, scaled to the largest, with its label and whisker', () => {
    const svg = renderBarChart(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const widths = [...svg.matchAll(/<rect x="260" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2); // the undefined value draws nothing
    expect(widths[0]! / widths[1]!).toBeCloseTo(4, 1);
    expect(svg).toContain('>600,000<');
    expect(svg.match(/class="whisker"/g)).toHaveLength(1); // only the row with min and max
    expect(svg).toContain('>100 B values<');
    expect(svg).toContain('>1 KiB values<');
  });

  it('escapes labels and titles', () => {
    expect(renderBarChart(spec)).toContain('Produce &lt;100 B&gt; &amp; more');
    expect(escapeXml('"a"<b>')).toBe('&quot;a&quot;&lt;b&gt;');
  });

  it('draws a legend for several series and nothing for one', () => {
    const multi = renderBarChart({ ...spec, series: ['p50', 'p99', 'p99.9'], rows: [{ label: 'x', values: [1, 5, 9] }] });
    expect(multi).toContain('>p99.9<');
    expect(renderBarChart(spec)).not.toContain('>records/s</text></svg>');
  });
});

describe('scaler', () => {
  it('maps linearly to [0, 1] of the largest value', () => {
    const x = scaler([10, 40], 'linear');
    expect(x(40)).toBe(1);
    expect(x(10)).toBe(0.25);
    expect(x(80)).toBe(1);
  });

  it('keeps the smallest value visible on a log scale and orders values', () => {
    const x = scaler([1_000, 10_000_000], 'log');
    expect(x(10_000_000)).toBe(1);
    expect(x(1_000)).toBeGreaterThan(0);
    expect(x(1_000)).toBeLessThan(x(100_000));
    expect(x(0)).toBe(0);
  });
});
