/**
 * Configs over Kafka's protocol: DescribeConfigs (apiKey 32), AlterConfigs (33) and
 * IncrementalAlterConfigs (44).
 *
 * - TOPIC (resource type 2): every topic config Kafka 4 defines (describeKafkaTopicConfigs): the
 *   ones Spool applies are alterable, with the same validation as the HTTP config route
 *   (LogManager.alterTopicConfigs: every value checked before anything changes, INVALID_CONFIG
 *   naming the config, value and reason); the others are read-only, accepted only at their
 *   default (docs/topics.md lists them).
 * - BROKER (4): every broker config Kafka 4 defines, with this broker's values (broker-configs.ts),
 *   all read-only: describing works, altering is INVALID_REQUEST (Kafka's answer for configs that
 *   cannot be updated dynamically). The name is this node's id, or '' for the same.
 * - Anything else (BROKER_LOGGER, client metrics, groups): INVALID_REQUEST.
 *
 * AlterConfigs replaces a topic's overrides with the given set (configs left out return to their
 * defaults; a null value is left out), as Kafka's legacy AlterConfigs does. IncrementalAlterConfigs
 * SETs, DELETEs (resets), and APPENDs to / SUBTRACTs from list configs (cleanup.policy).
 * validateOnly checks everything and changes nothing. A resource named twice in one request is
 * INVALID_REQUEST for each occurrence, as in Kafka.
 */
import { SpoolError } from '@spool/common';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult as ConfigResult,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '@spool/protocol';
import { LogManager, describeKafkaTopicConfigs, normalizeTopicConfigs, topicConfigInfo, type TopicDescription } from '@spool/log-engine';
import type { CoordinatorConfig } from '@spool/coordinator';
import type { BrokerEndpoint } from '../broker-endpoint.js';
import { describeBrokerConfigs } from '../broker-configs.js';
import type { KafkaApiHandler } from '../kafka-handler.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';
import { brokerConfigResult, RESOURCE_BROKER, RESOURCE_TOPIC, topicConfigResult } from './config-entries.js';
import { KafkaRefusal, refusalOf, type ClusterTopicAdmin } from './topic-admin.handlers.js';

type BrokerOptions = Pick<KafkaListenerOptions, 'nodeId' | 'host' | 'advertisedHost' | 'numPartitions' | 'autoCreateTopicsEnable' | 'maxRequestBytes' | 'brokerSettings'>;

/** The topic's overrides (configs set on the topic itself), from its description. */
function overridesOf(topic: TopicDescription): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of topic.configEntries) if (e.source === 'TOPIC') out[e.name] = e.value;
  return out;
}

function checkBrokerName(name: string, nodeId: number): void {
  if (name !== '' && name !== String(nodeId)) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `this is broker ${nodeId}, not ${JSON.stringify(name)}`);
}

function unsupportedResource(resourceType: number): KafkaRefusal {
  return new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `config resource type ${resourceType} is not supported (2 topic, 4 broker)`);
}

/** Keys "type/name" named more than once in a request (each occurrence is refused). */
function duplicates(resources: readonly { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const r of resources) {
    const key = `${r.resourceType}/${r.resourceName}`;
    if (seen.has(key)) twice.add(key);
    seen.add(key);
  }
  return twice;
}

export class DescribeConfigsHandler implements KafkaApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  readonly apiKey = KafkaApiKey.DescribeConfigs;

  constructor(
    private readonly logManager: LogManager,
    private readonly endpoint: BrokerEndpoint,
    private readonly options: BrokerOptions,
    private readonly coordinatorConfig: () => CoordinatorConfig | null,
  ) {}

  handle(request: DescribeConfigsRequest): DescribeConfigsResponse {
    const results = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] as ConfigResult[] };
      try {
        const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
        const configs = this.configs(resource.resourceType, resource.resourceName, request.includeSynonyms, request.includeDocumentation).filter((c) => wanted === null || wanted.has(c.name));
        return { ...base, configs, errorCode: KafkaErrorCode.NONE, errorMessage: null };
      } catch (err) {
        return { ...base, ...refusalOf(err) };
      }
    });
    return { throttleTimeMs: 0, results };
  }

  private configs(resourceType: number, name: string, synonyms: boolean, docs: boolean): ConfigResult[] {
    if (resourceType === RESOURCE_TOPIC) {
      const topic = this.logManager.describeTopic(name);
      return describeKafkaTopicConfigs(overridesOf(topic), this.logManager.defaults).map((e) => topicConfigResult(e, synonyms, docs));
    }
    if (resourceType === RESOURCE_BROKER) {
      checkBrokerName(name, this.options.nodeId);
      const entries = describeBrokerConfigs({
        ...this.options,
        port: this.endpoint.port,
        dataDir: this.logManager.dataDir,
        logDirs: this.logManager.logDirs().map((d) => d.path),
        topicDefaults: this.logManager.defaults,
        coordinator: this.coordinatorConfig(),
      });
      return entries.map((e) => brokerConfigResult(e, synonyms, docs));
    }
    throw unsupportedResource(resourceType);
  }
}

/** Kafka's AlterConfigOp types. */
const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

/** Shared by AlterConfigs and IncrementalAlterConfigs: applies (or only validates) topic config changes. */
class TopicConfigWriter {
  constructor(
    private readonly logManager: LogManager,
    private readonly nodeId: number,
    /** Cluster mode: overrides are written to etcd and every broker's copy follows. */
    private readonly cluster: ClusterTopicAdmin | null,
  ) {}

  /** Refuses what cannot be altered at all: a resource named twice, a broker (read-only), other types. */
  checkAlterable(resourceType: number, name: string, repeated: boolean): void {
    if (repeated) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `resource ${resourceType}/${JSON.stringify(name)} appears more than once in the request`);
    if (resourceType === RESOURCE_BROKER) {
      checkBrokerName(name, this.nodeId);
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `broker configs cannot be updated dynamically: Spool reads them from its environment at start-up`);
    }
    if (resourceType !== RESOURCE_TOPIC) throw unsupportedResource(resourceType);
  }

  current(topic: string): Record<string, string> {
    return overridesOf(this.logManager.describeTopic(topic));
  }

  /** `changes`: config -> new override, or null to reset it. */
  async apply(topic: string, changes: Record<string, string | null>, validateOnly: boolean): Promise<void> {
    if (!validateOnly) {
      if (this.cluster?.mode === 'etcd') await this.cluster.alterTopicConfigs(topic, changes);
      else await this.logManager.alterTopicConfigs(topic, changes);
      return;
    }
    const merged = this.current(topic);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    normalizeTopicConfigs(merged, this.logManager.defaults);
  }
}

export class AlterConfigsHandler implements KafkaApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  readonly apiKey = KafkaApiKey.AlterConfigs;
  private readonly writer: TopicConfigWriter;

  constructor(logManager: LogManager, nodeId: number, cluster: ClusterTopicAdmin | null = null) {
    this.writer = new TopicConfigWriter(logManager, nodeId, cluster);
  }

  async handle(request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
    const repeated = duplicates(request.resources);
    const responses: AlterConfigsResponse['responses'] = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        this.writer.checkAlterable(resource.resourceType, resource.resourceName, repeated.has(`${resource.resourceType}/${resource.resourceName}`));
        // The given set replaces the topic's overrides: everything else returns to its default.
        const changes: Record<string, string | null> = {};
        for (const name of Object.keys(this.writer.current(resource.resourceName))) changes[name] = null;
        for (const config of resource.configs) if (config.value !== null) changes[config.name] = config.value;
        await this.writer.apply(resource.resourceName, changes, request.validateOnly);
        responses.push({ ...base, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ ...base, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  }
}

export class IncrementalAlterConfigsHandler implements KafkaApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  readonly apiKey = KafkaApiKey.IncrementalAlterConfigs;
  private readonly writer: TopicConfigWriter;

  constructor(
    private readonly logManager: LogManager,
    nodeId: number,
    cluster: ClusterTopicAdmin | null = null,
  ) {
    this.writer = new TopicConfigWriter(logManager, nodeId, cluster);
  }

  async handle(request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
    const repeated = duplicates(request.resources);
    const responses: IncrementalAlterConfigsResponse['responses'] = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        this.writer.checkAlterable(resource.resourceType, resource.resourceName, repeated.has(`${resource.resourceType}/${resource.resourceName}`));
        await this.writer.apply(resource.resourceName, this.changes(resource.resourceName, resource.configs), request.validateOnly);
        responses.push({ ...base, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ ...base, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  }

  private changes(topic: string, configs: readonly { name: string; configOperation: number; value: string | null }[]): Record<string, string | null> {
    const names = new Set<string>();
    const changes: Record<string, string | null> = {};
    let effective: Record<string, string> | null = null;
    for (const config of configs) {
      if (names.has(config.name)) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `config ${config.name} appears more than once for topic ${topic}`);
      names.add(config.name);
      switch (config.configOperation) {
        case OP_SET:
          if (config.value === null) throw new SpoolError('INVALID_CONFIG', `SET of ${config.name} needs a value`, { config: config.name });
          changes[config.name] = config.value;
          break;
        case OP_DELETE:
          changes[config.name] = null;
          break;
        case OP_APPEND:
        case OP_SUBTRACT: {
          if (topicConfigInfo(config.name)?.type !== 'list') {
            throw new SpoolError('INVALID_CONFIG', `${config.configOperation === OP_APPEND ? 'APPEND' : 'SUBTRACT'} applies to list configs only, not ${config.name}`, { config: config.name });
          }
          effective ??= this.effectiveValues(topic);
          const current = splitList(effective[config.name] ?? '');
          const given = splitList(config.value ?? '');
          const next = config.configOperation === OP_APPEND ? [...current, ...given.filter((v) => !current.includes(v))] : current.filter((v) => !given.includes(v));
          changes[config.name] = next.join(',');
          break;
        }
        default:
          throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `unknown config operation ${config.configOperation} for ${config.name}`);
      }
    }
    return changes;
  }

  private effectiveValues(topic: string): Record<string, string> {
    const described = this.logManager.describeTopic(topic);
    return Object.fromEntries(describeKafkaTopicConfigs(overridesOf(described), this.logManager.defaults).map((e) => [e.name, e.value]));
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
