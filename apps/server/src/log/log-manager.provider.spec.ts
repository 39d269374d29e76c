import { SpoolError } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import type { LogEngine } from './log-engine.service.js';
import { forwardToOpenLogManager } from './log-manager.provider.js';

/** Stands in for an open LogManager: a method that depends on `this`, and a field. */
class FakeManager {
  readonly dataDir = '/data';
  private readonly names = ['orders'];
  listTopics(): string[] {
    return this.names;
  }
}

function engineWith(state: { manager: FakeManager | undefined }): LogEngine {
  return {
    get logManager() {
      if (state.manager === undefined) throw new SpoolError('BROKER_NOT_AVAILABLE', 'not open');
      return state.manager;
    },
  } as unknown as LogEngine;
}

describe('forwardToOpenLogManager', () => {
  it('throws BROKER_NOT_AVAILABLE (retriable) until the engine is open', () => {
    const view = forwardToOpenLogManager(engineWith({ manager: undefined }));
    expect(() => view.listTopics()).toThrow(expect.objectContaining({ code: 'BROKER_NOT_AVAILABLE', retriable: true }));
    expect(view).toBeInstanceOf(LogManager);
  });

  it('forwards to the open manager with methods bound to it', () => {
    const state: { manager: FakeManager | undefined } = { manager: undefined };
    const view = forwardToOpenLogManager(engineWith(state)) as unknown as FakeManager;
    state.manager = new FakeManager();
    const { listTopics } = view; // detached: still bound to the real instance
    expect(listTopics()).toEqual(['orders']);
    expect(view.dataDir).toBe('/data');
    expect(() => ((view as unknown as { dataDir: string }).dataDir = '/elsewhere')).toThrow(TypeError);
  });
});

describe('the LogManager provider as Nest sees it', () => {
  it('is not thenable and exposes no lifecycle hooks, so Nest can register it before the logs open', async () => {
    const view = forwardToOpenLogManager(engineWith({ manager: undefined })) as unknown as Record<string, unknown>;
    expect(view.then).toBeUndefined();
    expect(view.onApplicationShutdown).toBeUndefined();
    expect(view.constructor).toBe(LogManager);
    expect(await Promise.resolve(view)).toBe(view);
  });
});
