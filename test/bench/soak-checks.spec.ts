import { judgeRssSlope, MIN_SLOPE_SAMPLES, rssSlopeMbPerMin, slopeBetween, warmUpMs, type RssSample } from '../../bench/soak/soak-checks.js';

/** `count` samples a second apart from `fromMs`, RSS `mbAt(atMs)`. */
const samples = (count: number, mbAt: (atMs: number) => number, fromMs = 0): RssSample[] =>
  Array.from({ length: count }, (_, i) => ({ atMs: fromMs + i * 1000, mb: mbAt(fromMs + i * 1000) }));

describe('soak RSS slope', () => {
  it('is the least-squares slope in MB per minute', () => {
    expect(rssSlopeMbPerMin(samples(30, () => 100))).toBeCloseTo(0, 9);
    expect(rssSlopeMbPerMin(samples(30, (t) => 100 + t / 1000))).toBeCloseTo(60, 9); // 1 MB/s
    expect(rssSlopeMbPerMin(samples(30, (t) => 200 - t / 6000))).toBeCloseTo(-10, 9);
    // Noise around a line: alternating +-5 MB around 0.5 MB/s still gives about 30 MB/min.
    const noisy = rssSlopeMbPerMin(samples(60, (t) => 100 + t / 2000 + ((t / 1000) % 2 === 0 ? 5 : -5)));
    expect(noisy).toBeGreaterThan(29);
    expect(noisy).toBeLessThan(31);
  });

  it('is NaN when there is nothing to judge: too few samples, no time span, a sample that is not a number', () => {
    expect(rssSlopeMbPerMin([])).toBeNaN();
    expect(rssSlopeMbPerMin(samples(2, (t) => t))).toBeNaN();
    expect(rssSlopeMbPerMin([1, 2, 3].map((mb) => ({ atMs: 5000, mb })))).toBeNaN();
    expect(rssSlopeMbPerMin([...samples(10, () => 100), { atMs: 11_000, mb: Number.NaN }])).toBeNaN();
  });

  it('leaves a short lifetime half of itself to warm up, and at most 30 s', () => {
    expect(warmUpMs(25_000)).toBe(12_500);
    expect(warmUpMs(90_000)).toBe(30_000);
    expect(warmUpMs(Number.NaN)).toBeNaN();
  });

  it('takes the samples after the warm-up up to the end of the window', () => {
    const figure = slopeBetween(samples(100, (t) => (t <= 30_000 ? 50 + t / 100 : 400)), 30_000, 80_000);
    expect(figure.samples).toBe(50); // 31 s .. 80 s
    expect(figure.slopeMbPerMin).toBeCloseTo(0, 9);
  });

  it('a 2-minute run judges a real number from enough samples (the first lifetime printed NaN with a 30 s warm-up)', () => {
    // The lifetimes of a CI run: ready at 6 s, crashed at 35 s, ready again at 48 s, producers stopped at 121 s.
    const first = samples(29, (t) => 80 + t / 500, 6000);
    const second = samples(73, (t) => 150 + t / 10_000, 48_000);
    const firstFigure = slopeBetween(first, 6000 + warmUpMs(35_000 - 6000), 35_000);
    const secondFigure = slopeBetween(second, 48_000 + warmUpMs(121_000 - 48_000), 121_000);
    expect(firstFigure.slopeMbPerMin).toBeCloseTo(120, 6);
    expect(firstFigure.samples).toBeGreaterThanOrEqual(MIN_SLOPE_SAMPLES);
    expect(secondFigure.slopeMbPerMin).toBeCloseTo(6, 6);
    expect(secondFigure.samples).toBeGreaterThanOrEqual(MIN_SLOPE_SAMPLES);
    expect(judgeRssSlope(secondFigure, 60)).toBeNull();
  });
});

describe('judging the soak RSS slope', () => {
  const figure = (slopeMbPerMin: number, count = 40) => ({ slopeMbPerMin, samples: count, fromMs: 30_000, toMs: 70_000 });

  it('passes a slope at or under the bound', () => {
    expect(judgeRssSlope(figure(-3), 20)).toBeNull();
    expect(judgeRssSlope(figure(20), 20)).toBeNull();
  });

  it('fails a slope over the bound, with the figure', () => {
    expect(judgeRssSlope(figure(20.5), 20)).toMatch(/RSS grew 20\.5 MB\/min after warm-up \(30-70 s, bound 20\)/);
  });

  it('fails what it cannot judge rather than passing it', () => {
    expect(judgeRssSlope(figure(Number.NaN), 20)).toMatch(/not a number/);
    expect(judgeRssSlope(figure(1, MIN_SLOPE_SAMPLES - 1), 20)).toMatch(/only 9 RSS samples/);
    expect(judgeRssSlope(slopeBetween([], 30_000, 70_000), 20)).toMatch(/only 0 RSS samples/);
    expect(judgeRssSlope(figure(1), Number.NaN)).toMatch(/bound is not a number/);
    expect(judgeRssSlope(figure(Number.POSITIVE_INFINITY), 20)).not.toBeNull();
  });
});
