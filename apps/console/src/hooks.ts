/** Small hooks the pages share: hash routing, polling the API, counters turned into rates. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The route after "#": "/topics/page-views" -> ["topics", "page-views"] (segments URI-decoded). */
export function useRoute(): string[] {
  const read = (): string[] => location.hash.replace(/^#\/?/, '').split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Load again now (after a change the page made). */
  reload: () => void;
}

/**
 * Calls `load` now and every `intervalMs` (the views are live: lag and offsets move), keeping
 * the last good answer while a later call fails. A slow answer never overlaps the next call.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        const value = await load();
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(err as Error);
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload };
}

/**
 * Rates from monotonic counters: each call with a new sample returns per-second rates against
 * the previous sample of the same key (undefined until two samples exist, or after a counter went
 * backwards, i.e. the broker restarted).
 */
export function useRates(): (key: string, counters: Record<string, number>) => Record<string, number | undefined> {
  const previous = useRef(new Map<string, { at: number; counters: Record<string, number> }>());
  return useCallback((key, counters) => {
    const now = performance.now();
    const before = previous.current.get(key);
    previous.current.set(key, { at: now, counters });
    const rates: Record<string, number | undefined> = {};
    for (const [name, value] of Object.entries(counters)) {
      const old = before?.counters[name];
      const seconds = before === undefined ? 0 : (now - before.at) / 1000;
      rates[name] = old === undefined || seconds <= 0 || value < old ? undefined : (value - old) / seconds;
    }
    return rates;
  }, []);
}

/** A bounded time series for a chart: [times (s), ...series], newest last; null where a value is unknown. */
export function useSeries(names: string[], maxPoints = 60): { data: Array<Array<number | null>>; push: (values: Array<number | undefined>) => void } {
  const [data, setData] = useState<Array<Array<number | null>>>(() => [[], ...names.map(() => [])]);
  const push = useCallback(
    (values: Array<number | undefined>) =>
      setData((old) => {
        const next = old.map((column) => column.slice(-(maxPoints - 1)));
        next[0]!.push(Date.now() / 1000);
        // null is uPlot's gap (no rate yet, or a counter reset); NaN would break its scales.
        values.forEach((v, i) => next[i + 1]!.push(v ?? null));
        return next;
      }),
    [maxPoints],
  );
  return { data, push };
}
