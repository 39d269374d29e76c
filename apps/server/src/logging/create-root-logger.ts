/**
 * The process's one pino instance: JSON lines on stdout, written synchronously so a log line
 * emitted just before process.exit() (fatal boot errors, "shutdown complete") is never lost.
 * Components log through children (`logger.child({ component: 'log-manager' })`); the libs
 * receive such a child as their @spool/common Logger.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/index.js';

export type RootLogger = PinoLogger;

export function createRootLogger(level: LogLevel, destination: NodeJS.WritableStream | number = 1): RootLogger {
  return pino(
    {
      level,
      base: { service: 'spool', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination,
  );
}
