/**
 * Makes `LogManager` injectable by its class (`constructor(private readonly logManager: LogManager)`),
 * although the real instance only exists once LogEngine.open() has recovered every partition,
 * after the HTTP listener is up (see log-engine.service.ts for why).
 *
 * The injected value is a forwarding view: each property access goes to the open LogManager, or
 * throws SpoolError BROKER_NOT_AVAILABLE (retriable; transports map it to 503 / Kafka's
 * BROKER_NOT_AVAILABLE) while the broker is starting or after it closed its logs. Methods are
 * bound to the real instance, so they behave exactly as on it; `instanceof LogManager` holds.
 */
import type { FactoryProvider } from '@nestjs/common';
import { LogManager } from '@spool/log-engine';
import { LogEngine } from './log-engine.service.js';

/**
 * Looked up on every provider by Nest (lifecycle hooks; `then` when awaiting a factory's result)
 * or by inspection: answered by the view itself, never forwarded, so that neither Nest nor a
 * debugger touches the manager before it is open, and Nest never runs hooks of a LogManager
 * whose lifecycle LogEngine owns.
 */
const NOT_FORWARDED: ReadonlySet<string | symbol> = new Set([
  'then',
  'constructor',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

export function forwardToOpenLogManager(engine: LogEngine): LogManager {
  return new Proxy(Object.create(LogManager.prototype) as LogManager, {
    get(_target, property) {
      if (property === 'constructor') return LogManager;
      if (typeof property === 'symbol' || NOT_FORWARDED.has(property)) return undefined;
      const manager = engine.logManager; // throws BROKER_NOT_AVAILABLE when not open
      const value: unknown = Reflect.get(manager, property, manager);
      return typeof value === 'function' ? value.bind(manager) : value;
    },
    has(_target, property) {
      return Reflect.has(engine.logManager, property);
    },
    set() {
      throw new TypeError('the injected LogManager is read-only');
    },
  });
}

export const logManagerProvider: FactoryProvider<LogManager> = {
  provide: LogManager,
  useFactory: forwardToOpenLogManager,
  inject: [LogEngine],
};
