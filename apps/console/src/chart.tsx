/** A live line chart on uPlot: created once, fed with setData as samples arrive. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const WINDOW_S = 120;
const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea'];

export interface ChartProps {
  title: string;
  /** One label per series (data[1..]). */
  series: string[];
  /** [unix seconds, ...one column per series]. */
  data: Array<Array<number | null>>;
  format?: (value: number) => string;
}

export function Chart({ title, series, data, format }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const value = (_u: uPlot, v: number | null): string => (v === null || Number.isNaN(v) ? '–' : format ? format(v) : String(Math.round(v * 10) / 10));
    plot.current = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height: 180,
        title,
        series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, value }))],
        axes: [{}, { size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (format ? format(t) : String(t))) }],
        // The last WINDOW_S seconds, so a fresh chart is not stretched over years by its first point.
        scales: { x: { time: true, range: (_u: uPlot, _min: number, max: number) => [max - WINDOW_S, max] }, y: { range: (_u: uPlot, min: number, max: number) => [0, Math.max(max, min, 1) * 1.1] } },
      },
      data as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(el.clientWidth, 300), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [title, series.join('\u0000')]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div class="chart" ref={box} role="img" aria-label={`${title} chart`} />;
}
