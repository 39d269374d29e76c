/**
 * The client matrix's plumbing: a test broker whose Kafka clients all come through a recording
 * proxy (kafka-capture-proxy.ts), and runners for the clients nobody here wrote, each in its own
 * process:
 *   - @confluentinc/kafka-javascript (librdkafka 2.15), built by scripts/setup.sh into
 *     test/clients/node_modules, driven by test/clients/kafka-javascript-client.mjs;
 *   - Python confluent_kafka (Debian's python3-confluent-kafka, librdkafka 2.0.2) under
 *     /usr/bin/python3, driven by test/clients/confluent-kafka-python-client.py;
 *   - kcat (Debian, librdkafka 2.0.2).
 * Both scripts take the same commands and print one JSON line; `ScriptClient.run` parses it and
 * fails with the client's stderr when the command fails. A missing client fails the test and says
 * how to get it (tests never skip silently).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeKafkaRequestFrame } from '@spool/protocol';
import { BrokerEndpoint } from '../broker-endpoint.js';
import { GOLDEN_DIR, KafkaCaptureProxy, type GoldenFixture } from './kafka-capture-proxy.js';
import { startKafkaTestBroker, type KafkaTestBroker, type KafkaTestBrokerOptions } from './kafka.test-util.js';

const run = promisify(execFile);

export const CLIENTS_DIR = fileURLToPath(new URL('../../../../../test/clients/', import.meta.url));
/** Set to 1 to (re)write libs/protocol/src/kafka/golden/*.json from what the clients send. */
export const CAPTURE_GOLDEN = process.env.SPOOL_CAPTURE_GOLDEN === '1';

export interface MatrixBroker {
  readonly broker: KafkaTestBroker;
  readonly proxy: KafkaCaptureProxy;
  /** host:port of the proxy: what clients are given. */
  readonly bootstrap: string;
  close(): Promise<void>;
}

/** A test broker that advertises the proxy's port, so every connection a client opens is recorded. */
export async function startMatrixBroker(opts: KafkaTestBrokerOptions = {}): Promise<MatrixBroker> {
  const broker = await startKafkaTestBroker(opts);
  const proxy = await KafkaCaptureProxy.start(broker.kafkaPort);
  broker.app.get(BrokerEndpoint, { strict: false }).port = proxy.port;
  return {
    broker,
    proxy,
    bootstrap: `127.0.0.1:${proxy.port}`,
    close: async () => {
      await proxy.close();
      await broker.close();
    },
  };
}

/** Every recorded request decodes with Spool's codecs; returns the (apiKey, version) pairs seen, as "Name vN". */
export function decodeAllRecorded(proxy: KafkaCaptureProxy): string[] {
  const seen = new Set<string>();
  for (const request of proxy.requests) {
    try {
      const { api, header } = decodeKafkaRequestFrame(request.frame);
      seen.add(`${api.name} v${header.requestApiVersion}`);
    } catch (err) {
      throw new Error(`a request the client sent does not decode (apiKey ${request.apiKey} v${request.apiVersion}, ${request.frame.toString('hex')}): ${(err as Error).message}`);
    }
  }
  return [...seen].sort();
}

/**
 * The requests in `seen` ("Name vN", as decodeAllRecorded gives them) that the client's golden
 * fixture (GOLDEN_DIR/<file>.json) has no bytes for: a client that starts sending a new API or
 * version fails its matrix test until the fixtures are refreshed (SPOOL_CAPTURE_GOLDEN=1), so
 * every request each client sends stays decoded in kafka-golden-requests.spec.ts.
 */
export function missingFromGolden(file: string, seen: readonly string[]): string[] {
  const fixture = JSON.parse(readFileSync(path.join(GOLDEN_DIR, `${file}.json`), 'utf8')) as GoldenFixture;
  const kept = new Set(fixture.requests.map((r) => `${r.api} v${r.apiVersion}`));
  return seen.filter((s) => !kept.has(s));
}

export interface ScriptClient {
  readonly name: string;
  run<T = Record<string, unknown>>(bootstrap: string, command: string, args?: object): Promise<T>;
}

function scriptClient(name: string, file: string, argv0: string, missing: () => string | null): ScriptClient {
  return {
    name,
    async run<T>(bootstrap: string, command: string, args: object = {}): Promise<T> {
      const problem = missing();
      if (problem !== null) throw new Error(problem);
      try {
        const { stdout } = await run(argv0, [file, bootstrap, command, JSON.stringify(args)], { timeout: 150_000, maxBuffer: 64 << 20, cwd: CLIENTS_DIR });
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`${name} ${command} failed: ${e.stderr?.trim() || e.message}`);
      }
    },
  };
}

/** @confluentinc/kafka-javascript under this Node. */
export const kafkaJavascript: ScriptClient = scriptClient('@confluentinc/kafka-javascript', `${CLIENTS_DIR}kafka-javascript-client.mjs`, process.execPath, () =>
  existsSync(`${CLIENTS_DIR}node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node`)
    ? null
    : '@confluentinc/kafka-javascript is not built: run scripts/setup.sh (it builds test/clients with CKJS_LINKING=dynamic)',
);

/** Python confluent_kafka under Debian's /usr/bin/python3 (the pyenv python3 on PATH lacks it). */
export const confluentKafkaPython: ScriptClient = scriptClient('confluent_kafka (Python)', `${CLIENTS_DIR}confluent-kafka-python-client.py`, '/usr/bin/python3', () =>
  existsSync('/usr/lib/python3/dist-packages/confluent_kafka') ? null : 'python3-confluent-kafka is not installed: run scripts/setup.sh',
);
