/**
 * A virtualized table body: of thousands of rows (a topic's 10,000 partitions), only those in
 * the scrolled window (plus a margin) are in the DOM; spacer rows above and below keep the
 * scrollbar true to the whole list. Rows have a fixed height (ROW_PX, set in styles.css), which is
 * what makes the window a simple division. The scroll box is a focusable, labelled region so the
 * keyboard can scroll it (arrows, Page Up/Down); rows carry aria-rowindex and the table
 * aria-rowcount, so assistive technology announces "row 5,001 of 10,000".
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export const ROW_PX = 30;
const MARGIN_ROWS = 10;

export function VirtualTable<T>({ label, rows, header, columns, renderRow, heightPx = 420 }: {
  label: string;
  rows: readonly T[];
  header: ComponentChildren;
  columns: number;
  renderRow: (row: T, index: number) => ComponentChildren;
  heightPx?: number;
}) {
  const [scrollTop, setScrollTop] = useState(0);
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - MARGIN_ROWS);
  const last = Math.min(rows.length, Math.ceil((scrollTop + heightPx) / ROW_PX) + MARGIN_ROWS);
  return (
    <div class="virtual" role="region" aria-label={`${label} (scrollable)`} tabIndex={0} style={{ maxHeight: `${heightPx}px` }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <table aria-label={label} aria-rowcount={rows.length + 1}>
        <thead>{header}</thead>
        <tbody>
          {first > 0 && (
            <tr aria-hidden="true" class="spacer">
              <td colSpan={columns} style={{ height: `${first * ROW_PX}px` }} />
            </tr>
          )}
          {rows.slice(first, last).map((row, i) => renderRow(row, first + i))}
          {last < rows.length && (
            <tr aria-hidden="true" class="spacer">
              <td colSpan={columns} style={{ height: `${(rows.length - last) * ROW_PX}px` }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
