// The cluster coordination layer (issue 11): metadata on etcd, registration, controller,
// placement, and the single-node implementation of the same interface. See docs/cluster.md.
export * from './cluster.error.js';
export * from './cluster-config.js';
export * from './cluster-metadata.js';
export * from './etcd-cluster-metadata.js';
export * from './local-cluster-metadata.js';
export * from './metadata-types.js';
export * from './metadata-codec.js';
export { type MetadataView, type ControllerRecord } from './metadata-image.js';
export { MetadataCache, type MetadataCacheOptions } from './metadata-cache.js';
export * from './placement.js';
export * from './partition-change.js';
export * from './topic-admin.js';
export * from './producer-id-blocks.js';
export { BrokerRegistrar, type BrokerSession, type BrokerRegistrarOptions } from './broker-registrar.js';
export { Controller, type ControllerCounters, type ElectionResult, type ElectionType } from './controller/controller.js';
export { ControllerElection } from './controller/controller-election.js';
export { ControllerSession, type SessionEnd, type WriteOutcome } from './controller/controller-session.js';
export { EtcdConnection, EtcdCallError, type EtcdConnectionOptions, type EtcdTlsOptions, type EtcdCompare, type EtcdOp, type EtcdKeyValue, type EtcdTxnResult, type EtcdFailure } from './etcd/etcd-connection.js';
export { LeaseKeeper, type LeaseLoss } from './etcd/lease-keeper.js';
export { PrefixWatcher, type WatchEvent, type WatchHandlers, type PrefixWatcherOptions } from './etcd/prefix-watcher.js';
// Test harnesses (real etcd processes, a cuttable TCP proxy), shared with the server's
// multi-broker tests. Plain Node, no test framework.
export { EtcdProcess, freeLoopbackPort, type EtcdProcessOptions } from './testing/etcd-process.js';
export { TcpProxy } from './testing/tcp-proxy.js';
