/**
 * Kubernetes-style probes.
 *   GET /healthz  200 {status:"ok"} whenever the process serves HTTP (liveness).
 *   GET /readyz   200 {status:"ready"} once every partition is open and recovered;
 *                 503 {status:"starting"} before that, 503 {status:"stopping"} once shutdown began.
 * Neither is cached, and neither touches the disk: a probe must not stall behind a slow fsync.
 */
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BrokerState, type BrokerPhase } from './broker-state.js';
import { PublicRoute } from '../security/http-auth.js';

/** Probes answer without a credential, whether security is on or not. */
@PublicRoute()
@Controller()
export class HealthController {
  constructor(private readonly state: BrokerState) {}

  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  ready(@Res({ passthrough: true }) reply: FastifyReply): { status: BrokerPhase } {
    const status = this.state.phase;
    reply.code(status === 'ready' ? 200 : 503);
    return { status };
  }
}
