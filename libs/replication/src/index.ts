// Replication's broker side (issue 12): the leader's follower tracking, ISR, high watermark and
// acks=all; the follower's fetchers. The storage side is in @spool/log-engine. See docs/replication.md.
export * from './replication.error.js';
export * from './replication-config.js';
export * from './follower-replica.js';
export * from './isr-state.js';
export * from './delayed-produce.js';
export * from './delayed-delete-records.js';
export * from './leader-partition.js';
export * from './replica-fetcher.js';
export * from './replication-quota.js';
export * from './replica-fetcher-manager.js';
export * from './replica-requests.js';
export * from './replica-manager.js';
