/**
 * Kubernetes-style probes.
 *   GET /healthz  200 {status:"ok"} whenever the process serves HTTP (liveness).
 *   GET /readyz   200 {status:"ready"} once every partition is open and recovered;
 *                 200 {status:"degraded", offlinePartitions:[...]} while some partition logs are
 *                 offline after a storage error (still 200: the broker serves every other
 *                 partition, and taking it out of a load balancer would not bring them back),
 *                 with `offlineLogDirs` when a whole log directory failed (SPOOL_LOG_DIRS);
 *                 503 {status:"starting"} before that, 503 {status:"stopping"} once shutdown began.
 * Neither is cached, and neither touches the disk: a probe must not stall behind a slow fsync.
 */
import { Controller, Get, Header, Optional, Res } from '@nestjs/common';
import type { OfflinePartition } from '@spool/log-engine';
import { LogEngine } from '../log/log-engine.service.js';
import type { FastifyReply } from 'fastify';
import { BrokerState, type BrokerPhase } from './broker-state.js';
import { PublicRoute } from '../security/http-auth.js';

/** Offline partitions listed in a degraded answer at most (the count is always whole). */
const MAX_LISTED = 100;

type ReadinessBody =
  | { status: BrokerPhase }
  | { status: 'degraded'; offlinePartitions: Pick<OfflinePartition, 'topic' | 'partition' | 'reason'>[]; offlineCount: number; offlineLogDirs?: string[] };

/** Probes answer without a credential, whether security is on or not. */
@PublicRoute()
@Controller()
export class HealthController {
  constructor(
    private readonly state: BrokerState,
    @Optional() private readonly engine?: LogEngine,
  ) {}

  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  ready(@Res({ passthrough: true }) reply: FastifyReply): ReadinessBody {
    const status = this.state.phase;
    reply.code(status === 'ready' ? 200 : 503);
    // In memory (no disk access): the storage check (log-manager-storage.ts) keeps the states current.
    const manager = status === 'ready' ? this.engine?.openManager : undefined;
    const offline = manager?.offlinePartitions() ?? [];
    const offlineLogDirs = (manager?.logDirs() ?? []).filter((d) => d.offline !== null).map((d) => d.path);
    if (offline.length === 0 && offlineLogDirs.length === 0) return { status };
    return {
      status: 'degraded',
      offlinePartitions: offline.slice(0, MAX_LISTED).map(({ topic, partition, reason }) => ({ topic, partition, reason })),
      offlineCount: offline.length,
      ...(offlineLogDirs.length > 0 && { offlineLogDirs }),
    };
  }
}
