/**
 * Prometheus metrics of the controller (Kafka's ControllerStats), read at scrape time from the
 * etcd cluster metadata's counters: they sum every controller session this broker held since it
 * started (zero on a broker that never was the controller, and on a single node). Summing them over
 * every broker's /metrics gives the cluster's totals.
 *
 *   spool_unclean_leader_elections_total    an out-of-sync replica was elected (KIP-704 RECOVERING):
 *                                           records acknowledged by the old ISR may be lost; alert on it
 *   spool_leader_elections_total{type}      clean (from the ISR), unclean, preferred (rebalance or ElectLeaders)
 *   spool_offline_partitions_taken_total    a partition's leader became none (no eligible ISR member)
 */
import type { EtcdClusterMetadata } from '@spool/cluster';
import { Counter, type Registry } from 'prom-client';

export function registerClusterMetrics(registry: Registry, etcd: () => EtcdClusterMetadata | null): void {
  const counters = () => etcd()?.controllerCounters() ?? null;
  new Counter({
    name: 'spool_unclean_leader_elections_total',
    help: 'Unclean leader elections written by this broker as controller: an out-of-sync replica now leads and records acknowledged by the old ISR may be lost.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters()?.uncleanLeaderElections ?? 0);
    },
  });
  new Counter({
    name: 'spool_leader_elections_total',
    help: 'Leader elections written by this broker as controller, by type (clean: from the ISR; unclean; preferred: back to the preferred replica).',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      const c = counters();
      this.inc({ type: 'clean' }, c?.cleanLeaderElections ?? 0);
      this.inc({ type: 'unclean' }, c?.uncleanLeaderElections ?? 0);
      this.inc({ type: 'preferred' }, c?.preferredLeaderElections ?? 0);
    },
  });
  new Counter({
    name: 'spool_offline_partitions_taken_total',
    help: 'Partitions this broker as controller left without a leader (no eligible in-sync replica).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters()?.partitionsTakenOffline ?? 0);
    },
  });
}
