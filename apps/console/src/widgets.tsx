/** Small pieces the pages share. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api.js';

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  const code = error instanceof ApiError ? `${error.code}: ` : '';
  return (
    <p class="error" role="alert">
      {code}
      {error.message}
    </p>
  );
}

export function Card({ label, value, testId }: { label: string; value: ComponentChildren; testId?: string }) {
  return (
    <div class="card">
      <div class="label">{label}</div>
      <div class="value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

/** Rows shown one page at a time: a table of 1,000 topics renders 50 rows, not 1,000. */
export function usePage<T>(rows: readonly T[], pageSize = 50): { visible: readonly T[]; pager: ComponentChildren } {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const current = Math.min(page, pages - 1);
  const visible = rows.slice(current * pageSize, (current + 1) * pageSize);
  const pager =
    pages <= 1 ? null : (
      <div class="pager">
        <button type="button" class="secondary" disabled={current === 0} onClick={() => setPage(current - 1)}>
          Previous
        </button>
        <span>
          Page {current + 1} of {pages} ({rows.length} rows)
        </span>
        <button type="button" class="secondary" disabled={current === pages - 1} onClick={() => setPage(current + 1)}>
          Next
        </button>
      </div>
    );
  return { visible, pager };
}

/** Runs an action, keeping its error (or success note) for display. */
export function useAction(): { busy: boolean; error: Error | undefined; note: string | undefined; run: (action: () => Promise<string | void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [note, setNote] = useState<string | undefined>(undefined);
  const run = async (action: () => Promise<string | void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setNote(undefined);
    try {
      const done = await action();
      if (typeof done === 'string') setNote(done);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, note, run };
}

export function ActionResult({ error, note }: { error: Error | undefined; note: string | undefined }) {
  return (
    <>
      <ErrorNote error={error} />
      {note !== undefined && (
        <p class="ok" role="status">
          {note}
        </p>
      )}
    </>
  );
}
