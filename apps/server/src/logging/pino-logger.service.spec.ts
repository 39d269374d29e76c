import { Writable } from 'node:stream';
import { createRootLogger } from './create-root-logger.js';
import { PinoLoggerService } from './pino-logger.service.js';

function capture(level: 'info' | 'debug' = 'info'): { service: PinoLoggerService; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const service = new PinoLoggerService(createRootLogger(level, sink));
  return { service, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('PinoLoggerService', () => {
  it('writes Nest messages as JSON lines with level names and the Nest context', () => {
    const { service, lines } = capture();
    service.log('hello', 'MyService');
    service.warn('careful');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'hello', context: 'MyService', component: 'nest', service: 'spool' }),
      expect.objectContaining({ level: 'warn', msg: 'careful', component: 'nest' }),
    ]);
  });

  it('keeps the stack of error(message, stack, context)', () => {
    const { service, lines } = capture();
    service.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    expect(lines()[0]).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at x', context: 'ExceptionsHandler' });
  });

  it('serialises an Error passed as the message', () => {
    const { service, lines } = capture();
    service.error(new Error('disk full'));
    expect(lines()[0]).toMatchObject({ level: 'error', msg: 'disk full', err: expect.objectContaining({ message: 'disk full' }) });
  });

  it("demotes Nest's start-up chatter to debug", () => {
    const { service, lines } = capture('info');
    service.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines()).toEqual([]);
  });
});
