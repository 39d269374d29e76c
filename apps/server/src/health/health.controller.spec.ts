import type { FastifyReply } from 'fastify';
import { BrokerState } from './broker-state.js';
import { HealthController } from './health.controller.js';

function fakeReply(): { reply: FastifyReply; status: () => number | undefined } {
  let status: number | undefined;
  const reply = { code: (code: number) => ((status = code), reply) } as unknown as FastifyReply;
  return { reply, status: () => status };
}

describe('HealthController', () => {
  it('is live in every phase and ready only between start-up and shutdown', () => {
    const state = new BrokerState();
    const controller = new HealthController(state);
    const probe = () => {
      const { reply, status } = fakeReply();
      const body = controller.ready(reply);
      return { status: status(), body, live: controller.health() };
    };

    expect(probe()).toEqual({ status: 503, body: { status: 'starting' }, live: { status: 'ok' } });
    expect(state.markReady()).toBe(true);
    expect(probe()).toEqual({ status: 200, body: { status: 'ready' }, live: { status: 'ok' } });
    state.markStopping();
    expect(probe()).toEqual({ status: 503, body: { status: 'stopping' }, live: { status: 'ok' } });
  });

  it('never turns ready again once stopping (a signal during start-up wins)', () => {
    const state = new BrokerState();
    state.markStopping();
    expect(state.markReady()).toBe(false);
    expect(state.phase).toBe('stopping');
  });
});
