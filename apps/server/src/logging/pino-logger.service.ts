/**
 * Nest's LoggerService over pino, so Nest's own messages (module wiring, exception handler)
 * come out as the same JSON lines as everything else.
 *
 * Nest's calling convention: `log(message, context?)`, `error(message, stack?, context?)`, with
 * the context string always last when present. Nest's start-up chatter (one line per module and
 * route) is demoted to debug so that info shows what an operator needs.
 */
import type { LoggerService } from '@nestjs/common';
import type { RootLogger } from './create-root-logger.js';

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: RootLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = { component: 'nest' };
    if (context !== undefined) fields.context = context;
    if (level === 'info' && context !== undefined && BOOT_CHATTER.has(context)) level = 'debug';

    // error(message, stack, context): a leftover string is the stack of the error being reported.
    for (const param of rest) {
      if (param instanceof Error) fields.err = param;
      else if (typeof param === 'string') fields.stack = param;
      else if (param !== undefined) fields.details = param;
    }

    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
