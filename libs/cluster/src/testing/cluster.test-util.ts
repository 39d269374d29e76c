/**
 * Helpers for libs/cluster's integration tests: brokers (EtcdClusterMetadata) with test timings
 * on a real etcd, a logger that records what it was told, and waiting for conditions (never a
 * sleep standing in for an event: every wait polls a real condition, with a generous bound for
 * a loaded machine).
 */
import type { Logger } from '@spool/common';
import type { EtcdClusterOptions } from '../cluster-config.js';
import { EtcdClusterMetadata } from '../etcd-cluster-metadata.js';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error' | 'debug';
  readonly msg: string;
  readonly obj: object;
}

/** A Logger that keeps every line (children share the list). */
export function recordingLogger(lines: LogLine[] = [], bindings: object = {}): Logger & { lines: LogLine[] } {
  const log = (level: LogLine['level']) => (obj: object, msg?: string) => lines.push({ level, msg: msg ?? '', obj: { ...bindings, ...obj } });
  return {
    lines,
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    debug: log('debug'),
    child: (more: object) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Test timings: a 1 s session (etcd's minimum with the harness's etcd flags), quick probes. */
export function testNodeOptions(endpoint: string, brokerId: number, overrides: Partial<EtcdClusterOptions> = {}): EtcdClusterOptions {
  return {
    brokerId,
    endpoints: [endpoint],
    clusterName: 'test',
    advertised: { host: '127.0.0.1', kafkaPort: 19000 + brokerId, httpPort: 18000 + brokerId },
    sessionTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    duplicateRegistrationWaitMs: 500,
    watchProgressIntervalMs: 1000,
    controller: { leaderImbalanceCheckIntervalMs: 3_600_000 },
    ...overrides,
  };
}

/** Starts a broker node on `endpoint`. */
export async function startNode(endpoint: string, brokerId: number, overrides: Partial<EtcdClusterOptions> = {}): Promise<EtcdClusterMetadata> {
  const node = new EtcdClusterMetadata(testNodeOptions(endpoint, brokerId, overrides));
  await node.start();
  return node;
}

/** The one node of `nodes` that is the active controller, once exactly one is and its own view shows it. */
export function controllerOf(nodes: readonly EtcdClusterMetadata[]): Promise<EtcdClusterMetadata> {
  return waitFor('exactly one active controller', () => {
    const active = nodes.filter((n) => n.isController());
    return active.length === 1 && active[0]!.controller()?.brokerId === active[0]!.brokerId ? active[0] : undefined;
  });
}
