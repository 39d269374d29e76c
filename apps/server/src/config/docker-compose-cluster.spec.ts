/**
 * docker-compose.yml's `cluster` profile (etcd and three brokers, docs/operations.md) cannot be run
 * here (no Docker engine in CI), so this keeps it from rotting silently: it is parsed (anchors and
 * merge keys resolved, as Compose does) and checked against the broker's own configuration loader
 * and against itself:
 *   - every broker's environment loads (loadBrokerConfig: every SPOOL_* name known, every value
 *     valid) in cluster mode, with its own broker id; the ids are unique;
 *   - each broker advertises a host its peers and clients reach: the service name on a Compose
 *     network, a loopback address under host networking (everything shares the host's);
 *   - SPOOL_ETCD_ENDPOINTS point at the etcd service (its advertised client URL under host
 *     networking, its service name otherwise) and every broker depends on etcd;
 *   - no two listeners collide: under host networking every broker's HTTP and Kafka port, etcd's
 *     client and peer ports, and the host ports published by the services `--profile cluster` also
 *     starts (those without a profile) are distinct.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { generateApiKey } from '@spool/security';
import { interpolate } from './docker-files.test-util.js';
import { loadBrokerConfig } from './load-broker-config.js';

interface ComposeService {
  readonly profiles?: string[];
  readonly image?: string;
  readonly network_mode?: string;
  readonly command?: string[] | string;
  readonly depends_on?: string[] | Record<string, unknown>;
  readonly environment?: Record<string, string | number> | string[];
  readonly ports?: (string | number | { published?: string | number })[];
}

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
// YAML 1.1's schema: Compose resolves merge keys (`<<: *cluster-broker`), the 1.2 core schema does not.
const compose = load(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
const inCluster = services.filter(([, s]) => s.profiles?.includes('cluster'));
/** What `docker compose --profile cluster up` starts: the profile's services and those without a profile. */
const startedWithCluster = services.filter(([, s]) => s.profiles === undefined || s.profiles.length === 0 || s.profiles.includes('cluster'));

/** What `docker compose` is run with: the variables the file requires (docker-auth.spec.ts checks that it does). */
const CALLER_ENV = { SPOOL_ADMIN_API_KEY: generateApiKey().apiKey, SPOOL_INTER_BROKER_PASSWORD: 'a shared inter-broker password' };

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  const raw = Array.isArray(env) ? Object.fromEntries(env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])) : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, CALLER_ENV)]));
}

function flagValues(service: ComposeService, flag: string): string[] {
  const command = Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/);
  return command.filter((arg) => arg.startsWith(`--${flag}=`)).flatMap((arg) => arg.slice(flag.length + 3).split(','));
}

const brokers = inCluster.filter(([, s]) => environmentOf(s).SPOOL_BROKER_ID !== undefined);
const etcdEntry = inCluster.find(([name, s]) => name === 'etcd' || (s.image ?? '').includes('etcd'));
const hostNetwork = (s: ComposeService): boolean => s.network_mode === 'host';
const isLoopback = (host: string): boolean => /^127(\.\d{1,3}){3}$/.test(host) || host === 'localhost';

describe('docker-compose.yml cluster profile', () => {
  it('has etcd and at least three brokers', () => {
    expect(etcdEntry).toBeDefined();
    expect(brokers.length).toBeGreaterThanOrEqual(3);
  });

  it.each(brokers)('%s: its environment loads in cluster mode with no unknown variable', (name, service) => {
    const { config, warnings } = loadBrokerConfig(environmentOf(service), '/');
    expect(warnings).toEqual([]);
    expect(config.cluster.etcdEndpoints).not.toBeNull();
    expect(config.cluster.brokerId).toBe(Number(environmentOf(service).SPOOL_BROKER_ID));
    void name;
  });

  it('gives every broker a unique id', () => {
    const ids = brokers.map(([, s]) => Number(environmentOf(s).SPOOL_BROKER_ID));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(brokers)('%s: advertises a host its peers and clients reach', (name, service) => {
    const { config } = loadBrokerConfig(environmentOf(service), '/');
    if (hostNetwork(service)) {
      expect(isLoopback(config.cluster.advertisedHost)).toBe(true);
      // It listens where it advertises (a wildcard or the same address).
      expect(['0.0.0.0', '::', config.cluster.advertisedHost]).toContain(config.host);
    } else {
      expect(config.cluster.advertisedHost).toBe(name);
    }
  });

  it.each(brokers)('%s: SPOOL_ETCD_ENDPOINTS point at the etcd service, which it depends on', (name, service) => {
    const [etcdName, etcd] = etcdEntry!;
    const { config } = loadBrokerConfig(environmentOf(service), '/');
    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    expect(dependsOn).toContain(etcdName);
    const advertised = flagValues(etcd, 'advertise-client-urls').map((u) => new URL(u));
    const listening = flagValues(etcd, 'listen-client-urls').map((u) => new URL(u));
    expect(advertised.length).toBeGreaterThan(0);
    for (const endpoint of config.cluster.etcdEndpoints!.map((u) => new URL(u))) {
      if (hostNetwork(service) && hostNetwork(etcd)) {
        expect(advertised.map((u) => u.host)).toContain(endpoint.host);
        expect(listening.some((u) => u.port === endpoint.port && (u.hostname === endpoint.hostname || u.hostname === '0.0.0.0'))).toBe(true);
      } else {
        expect(endpoint.hostname).toBe(etcdName);
        expect(listening.map((u) => u.port)).toContain(endpoint.port);
      }
    }
    void name;
  });

  it('has no two listeners on one port', () => {
    const taken: string[] = [];
    for (const [name, service] of startedWithCluster) {
      if (hostNetwork(service)) {
        const env = environmentOf(service);
        if (env.SPOOL_BROKER_ID !== undefined) {
          const { config } = loadBrokerConfig(env, '/');
          taken.push(`${config.httpPort} (${name} HTTP)`, `${config.kafkaPort} (${name} Kafka)`);
        }
        for (const flag of ['listen-client-urls', 'listen-peer-urls']) for (const u of flagValues(service, flag)) taken.push(`${new URL(u).port} (${name} ${flag})`);
      }
      for (const port of service.ports ?? []) {
        const published = typeof port === 'object' ? String(port.published) : String(port).split(':').slice(-2)[0];
        taken.push(`${published} (${name} published)`);
      }
    }
    const byPort = new Map<string, string[]>();
    for (const entry of taken) {
      const port = entry.split(' ')[0]!;
      byPort.set(port, [...(byPort.get(port) ?? []), entry]);
    }
    expect([...byPort.values()].filter((uses) => uses.length > 1)).toEqual([]);
    expect(taken.length).toBeGreaterThanOrEqual(brokers.length * 2 + 2);
  });
});
