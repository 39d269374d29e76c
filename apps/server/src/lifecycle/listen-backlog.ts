/**
 * The HTTP port's listen backlog (SPOOL_HTTP_LISTEN_BACKLOG), and what the kernel makes of it,
 * logged at start-up. WebSocket and SSE clients connect on the HTTP port, so a storm of connects
 * lands in this queue whenever the event loop is slower to accept than clients are to connect.
 *
 * Linux caps listen(2)'s backlog at net.core.somaxconn without saying so (4096 since kernel 5.4,
 * 128 before). The cap bounds two queues: handshakes completed but not yet accepted (the accept
 * queue) and half-open ones (SYN_RECV). When the accept queue is full the kernel drops new SYNs
 * (the client retries after 1, 3, 7, 15... s: latency, not an error) and the final ACKs of
 * handshakes already answered, which then wait in SYN_RECV although the client believes itself
 * connected and has sent its request. Once more than half the cap is in SYN_RECV, the kernel gives
 * the old ones two SYN-ACK retries instead of five and drops them (net/ipv4/inet_connection_sock.c,
 * reqsk_timer_handler) about 7 s after they arrived; the client's retransmitted request then meets
 * no connection and gets a RST: `read ECONNRESET` before any answer, which is what a storm of 1,000
 * WebSocket connects a second did to a broker held at 4096 (docs/benchmarks.md, "One node under
 * load"). A larger cap keeps the queue from filling: the default asks for 65,535, and the log line
 * says when net.core.somaxconn holds it lower.
 *
 * /proc/sys/net/core/somaxconn is one integer; absent (not Linux, or no /proc), the backlog asked
 * for is reported as is.
 */
import { readFileSync } from 'node:fs';

/** Below this, a burst of a few seconds of connects fills the queue (older kernels default to 128). */
export const RECOMMENDED_SOMAXCONN = 4096;

export interface ListenBacklog {
  /** What the broker passes to listen(2). */
  readonly requested: number;
  /** net.core.somaxconn; null when it cannot be read. */
  readonly somaxconn: number | null;
  /** What the kernel grants: min(requested, somaxconn). */
  readonly effective: number;
}

export function listenBacklog(requested: number, somaxconnText: string | null): ListenBacklog {
  const parsed = somaxconnText === null ? Number.NaN : Number(somaxconnText.trim());
  const somaxconn = Number.isInteger(parsed) && parsed > 0 ? parsed : null;
  return { requested, somaxconn, effective: somaxconn === null ? requested : Math.min(requested, somaxconn) };
}

export function readSomaxconn(): string | null {
  try {
    return readFileSync('/proc/sys/net/core/somaxconn', 'utf8');
  } catch {
    return null;
  }
}

export interface BacklogLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Logs the effective backlog: a warning when net.core.somaxconn holds it below RECOMMENDED_SOMAXCONN. */
export function logListenBacklog(logger: BacklogLogger, requested: number, somaxconnText = readSomaxconn()): ListenBacklog {
  const backlog = listenBacklog(requested, somaxconnText);
  const fields = { httpListenBacklog: backlog.effective, requested: backlog.requested, somaxconn: backlog.somaxconn };
  if (backlog.effective < Math.min(requested, RECOMMENDED_SOMAXCONN)) {
    logger.warn(
      fields,
      `HTTP listen backlog held at ${backlog.effective} by net.core.somaxconn: a burst of WebSocket or SSE connects while the broker is busy overflows it, and clients see connection resets (docs/operations.md); raise net.core.somaxconn`,
    );
  } else {
    logger.info(fields, 'HTTP listen backlog (connections the kernel holds until the broker accepts them)');
  }
  return backlog;
}
