/**
 * Settings of the Kafka listener, derived from the broker config (kafkaListenerOptionsFrom) or
 * given to KafkaModule.forRoot by tests.
 */
import os from 'node:os';
import type { BrokerConfig } from '../config/index.js';
import { tlsServerOptions } from '../security/security.options.js';

export const KAFKA_LISTENER_OPTIONS = Symbol('KAFKA_LISTENER_OPTIONS');

export interface KafkaListenerOptions {
  /** Port to listen on (0: the OS picks; Metadata then advertises the bound port). */
  readonly port: number;
  /** Address to bind. */
  readonly host: string;
  /** Host this broker advertises in Metadata and FindCoordinator. */
  readonly advertisedHost: string;
  /** Broker id (node 0 on a single node). */
  readonly nodeId: number;
  /** Kafka's socket.request.max.bytes: a larger size prefix closes the connection. SPOOL_SOCKET_REQUEST_MAX_BYTES. */
  readonly maxRequestBytes: number;
  /** Kafka's max.connections: a connection past it is closed as soon as it is accepted. SPOOL_MAX_CONNECTIONS. */
  readonly maxConnections: number;
  /** Kafka's max.connections.per.ip: a connection past it from one address is closed as soon as it is accepted. SPOOL_MAX_CONNECTIONS_PER_IP. */
  readonly maxConnectionsPerIp: number;
  /** Requests read from one connection and not yet answered before reading pauses (backpressure). */
  readonly maxInFlightPerConnection: number;
  /** Bytes queued in a socket's write buffer before reading from it pauses (backpressure). */
  readonly writeHighWaterBytes: number;
  /** Kafka's auto.create.topics.enable (the HTTP API's option; the same topics). */
  readonly autoCreateTopicsEnable: boolean;
  /** Kafka's num.partitions, for auto-created topics and CreateTopics with -1. */
  readonly numPartitions: number;
  /** Longest wait a graceful shutdown gives in-flight requests before closing connections. */
  readonly shutdownGraceMs: number;
  /** A refused request of the same kind from the same client is logged (warn) at most once per this interval. */
  readonly refusalLogIntervalMs: number;
  /** Further broker settings by their Kafka config names, as DescribeConfigs reports them (broker-configs.ts). */
  readonly brokerSettings: Readonly<Record<string, string>>;
  /** TLS on the listener (Kafka's SSL / SASL_SSL), or null: plaintext. */
  readonly tls: TlsServerOptions | null;
}

/** Node's TLS server options (security.options.ts tlsServerOptions). */
export interface TlsServerOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

export const DEFAULT_KAFKA_LISTENER_OPTIONS: KafkaListenerOptions = {
  port: 9092,
  host: '127.0.0.1',
  advertisedHost: '127.0.0.1',
  nodeId: 0,
  maxRequestBytes: 100 * 1024 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerIp: 1_000,
  maxInFlightPerConnection: 64,
  writeHighWaterBytes: 8 * 1024 * 1024,
  autoCreateTopicsEnable: true,
  numPartitions: 1,
  shutdownGraceMs: 5_000,
  refusalLogIntervalMs: 60_000,
  brokerSettings: {},
  tls: null,
};

/** A wildcard bind address cannot be advertised: clients are told the machine's host name instead. */
export function advertisedHostFor(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? os.hostname() : host;
}

export function kafkaListenerOptionsFrom(config: BrokerConfig): KafkaListenerOptions {
  return {
    ...DEFAULT_KAFKA_LISTENER_OPTIONS,
    port: config.kafkaPort,
    host: config.host,
    advertisedHost: config.cluster.advertisedHost,
    nodeId: config.cluster.brokerId,
    maxRequestBytes: config.kafkaLimits.socketRequestMaxBytes,
    maxConnections: config.kafkaLimits.maxConnections,
    maxConnectionsPerIp: config.kafkaLimits.maxConnectionsPerIp,
    autoCreateTopicsEnable: config.http.autoCreateTopicsEnable,
    numPartitions: config.http.numPartitions,
    brokerSettings: brokerSettingsOf(config),
    tls: config.security.tls === null ? null : tlsServerOptions(config.security.tls),
  };
}

/** The server settings that are Kafka broker configs too (the rest come from the listener, log manager and coordinator). */
function brokerSettingsOf(config: BrokerConfig): Record<string, string> {
  const settings: Record<string, string> = {
    'log.cleaner.enable': String(config.cleanerEnabled),
    'max.connections': String(config.kafkaLimits.maxConnections),
    'max.connections.per.ip': String(config.kafkaLimits.maxConnectionsPerIp),
    'connections.max.reauth.ms': String(config.security.connectionsMaxReauthMs ?? 0),
  };
  if (config.retentionCheckIntervalMs !== undefined) settings['log.retention.check.interval.ms'] = String(config.retentionCheckIntervalMs);
  if (config.flushCheckIntervalMs !== undefined) settings['log.flush.scheduler.interval.ms'] = String(config.flushCheckIntervalMs);
  return settings;
}
