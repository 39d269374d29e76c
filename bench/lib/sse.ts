/** Server-Sent Events as the benches read them: a response's text split into events at blank lines. */
import type { IncomingMessage } from 'node:http';

/** Calls `onEvent` with each event of `res` (its lines, without the blank line ending it) as it completes. */
export function onSseEvents(res: IncomingMessage, onEvent: (event: string) => void): void {
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      onEvent(event);
    }
  });
}
