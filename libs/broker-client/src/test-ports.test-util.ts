import { reserveLoopbackPort } from '@spool/common';

/** A loopback port nothing listens on now, reserved against other test runs (@spool/common's loopback-ports.ts says why). */
export function freeLoopbackPort(): Promise<number> {
  return reserveLoopbackPort();
}
