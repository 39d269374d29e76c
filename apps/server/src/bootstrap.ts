/**
 * Start-up of a broker node:
 *   1. load and validate the environment; a bad variable prints one line and exits 1; log the
 *      open-file limit (lifecycle/open-file-limit.ts);
 *   2. create the Nest app (Fastify) and install signal handlers;
 *   3. listen: /healthz answers from here on, /readyz says "starting";
 *   4. open the LogManager, recovering every partition (possibly long after a crash), join the
 *      cluster (cluster mode: etcd, docs/cluster.md), then load what lives in internal topics: consumer groups (__consumer_offsets), Idempotency-Keys
 *      (__idempotency_keys) and the schema registry (_schemas), and start push delivery (webhook subscriptions, when SPOOL_REDIS_URL is set);
 *   5. /readyz turns "ready".
 * Any failure after step 1 is logged as one fatal JSON line and exits 1 after a best-effort close.
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { ConfigError, loadBrokerConfig, type BrokerConfig, type LoadedConfig } from './config/index.js';
import { ClusterService } from './cluster/cluster.service.js';
import { ReplicationService } from './replication/replication.service.js';
import { BrokerState } from './health/broker-state.js';
import { GroupCoordinatorService } from './groups/group-coordinator.service.js';
import { TransactionCoordinatorService } from './transactions/transaction-coordinator.service.js';
import { GracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { logOpenFileLimit } from './lifecycle/open-file-limit.js';
import { IdempotencyStore } from './http/idempotency/idempotency.store.js';
import { setupOpenApi } from './http/openapi/openapi.setup.js';
import { fastifyAdapterOptions } from './http/fastify-setup.js';
import { LogEngine } from './log/log-engine.service.js';
import { applyHeapGrowingPercent } from './lifecycle/heap-tuning.js';
import { logListenBacklog } from './lifecycle/listen-backlog.js';
import { createRootLogger, type RootLogger } from './logging/create-root-logger.js';
import { PinoLoggerService } from './logging/pino-logger.service.js';
import { TopicSchemas } from './schemas/topic-schemas.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { isLoopbackHost, tlsServerOptions } from './security/security.options.js';

export async function bootstrap(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { config, warnings } = loadConfigOrExit(env);
  applyHeapGrowingPercent(config.heapGrowingPercent);
  const logger = createRootLogger(config.logLevel);
  installCrashHandlers(logger);
  for (const warning of warnings) logger.warn(warning);
  logger.info(
    { dataDir: config.dataDir, host: config.host, httpPort: config.httpPort, kafkaPort: config.kafkaPort, node: process.version },
    'starting spool broker',
  );
  logOpenFileLimit(logger);
  // Node's default backlog is 511; a storm of connects needs more (lifecycle/listen-backlog.ts).
  const backlog = logListenBacklog(logger, config.httpListenBacklog);
  if (config.security.enabled) {
    const store = config.security.etcd ? { securityStore: `etcd /${config.security.etcd.clusterName}/security/` } : { securityDir: config.security.storeDir };
    const interBroker = config.security.interBroker ? { interBrokerPrincipal: `User:${config.security.interBroker.user}`, interBrokerMechanism: config.security.interBroker.mechanism } : {};
    logger.info({ ...store, ...interBroker, superUsers: config.security.superUsers, jwtIssuers: config.security.jwtIssuers.map((i) => i.issuer) }, 'authentication is on (SPOOL_AUTH=on)');
  } else {
    // Loud on purpose: anyone who can reach the ports may read, write and delete everything.
    logger.warn({ host: config.host }, `AUTHENTICATION IS OFF: every client may read, write and delete every topic${isLoopbackHost(config.host) ? ' (listening on loopback only)' : ' (SPOOL_AUTH=none)'}; set SPOOL_AUTH=on to require credentials (docs/security.md)`);
  }

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), new FastifyAdapter(fastifyAdapterOptions(httpsOptions(config))), {
    logger: new PinoLoggerService(logger),
    abortOnError: false, // throw instead of process.abort(): the catch below logs and exits 1
  });
  setupOpenApi(app);
  const state = app.get(BrokerState);
  const cluster = app.get(ClusterService);
  const shutdown = new GracefulShutdown(app, state, logger, {
    timeoutMs: config.shutdownTimeoutMs,
    drainDelayMs: config.shutdownDrainDelayMs,
    // Half the deadline at most, so the logs still close cleanly if leaderships are slow to move.
    leaveCluster: () => cluster.controlledShutdown(Math.floor(config.shutdownTimeoutMs / 2)),
  });
  shutdown.install();

  try {
    await app.listen({ port: config.httpPort, host: config.host, backlog: backlog.requested });
    logger.info({ url: await app.getUrl() }, 'http listening (liveness up, readiness starting)');
    await startServices(app);
  } catch (err) {
    // A signal during start-up stops it (e.g. while etcd is unreachable): that is a shutdown, not a failure.
    if (state.phase === 'stopping') return shutdown.shutdown('signal during start-up', 0);
    logger.fatal({ err }, 'start-up failed');
    return shutdown.shutdown('start-up failure', 1);
  }
  if (state.markReady()) logger.info('broker ready');
}

/**
 * What start-up does once the HTTP listener is up, in order, before the broker turns ready (also
 * used by tests that run the whole app in their own process).
 */
export async function startServices(app: NestFastifyApplication): Promise<void> {
  await app.get(LogEngine).open();
  await app.get(ClusterService).start(); // cluster mode: reaches etcd (retrying), registers, follows the metadata
  await app.get(ReplicationService).start(); // cluster mode: leads and follows partitions as their states say
  await app.get(GroupCoordinatorService).start(); // replays __consumer_offsets before readiness
  app.get(TransactionCoordinatorService).resume(); // loads __transaction_state in the background if it exists (finishes or times out what a crash left open)
  await app.get(IdempotencyStore).open(); // replays __idempotency_keys before readiness
  await app.get(TopicSchemas).open(); // reads _schemas before readiness
  await app.get(WebhooksService).start(); // push subscriptions deliver from their committed offsets
}

/** HTTPS (and so WSS and SSE over TLS) when SPOOL_TLS_CERT_FILE/KEY_FILE are set. */
function httpsOptions(config: BrokerConfig): { https: ReturnType<typeof tlsServerOptions> } | undefined {
  return config.security.tls === null ? undefined : { https: tlsServerOptions(config.security.tls) };
}

function loadConfigOrExit(env: NodeJS.ProcessEnv): LoadedConfig {
  try {
    return loadBrokerConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Before the logger exists (SPOOL_LOG_LEVEL may be the bad variable): one plain line.
    process.stderr.write(`spool: ${err.message}\n`);
    process.exit(1);
  }
}

/** A bug that escaped every handler leaves state we cannot trust: log it and exit 1 (recovery runs on restart). */
function installCrashHandlers(logger: RootLogger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });
}
