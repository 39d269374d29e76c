/**
 * Topic configs over Kafka's protocol: DescribeConfigs (apiKey 32) and IncrementalAlterConfigs
 * (44). Resource type 2 (TOPIC) is served from the LogManager (the same configs as the HTTP
 * API's); type 4 (BROKER) describes the broker-level topic defaults, read-only. Other types get
 * INVALID_REQUEST. Every config is reported with its source (topic override or default).
 */
import { SpoolError } from '@spool/common';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '@spool/protocol';
import { LogManager, describeTopicConfig, normalizeTopicConfigs } from '@spool/log-engine';
import type { KafkaApiHandler } from '../kafka-handler.js';
import { CONFIG_SOURCE_DEFAULT, CONFIG_SOURCE_TOPIC, KafkaRefusal, refusalOf } from './topic-admin.handlers.js';

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** Kafka's ConfigType STRING (1); Spool reports every value as its string form. */
const CONFIG_TYPE_STRING = 2;

export class DescribeConfigsHandler implements KafkaApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  readonly apiKey = KafkaApiKey.DescribeConfigs;

  constructor(
    private readonly logManager: LogManager,
    private readonly nodeId: number,
  ) {}

  handle(request: DescribeConfigsRequest): DescribeConfigsResponse {
    const results = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] as DescribeConfigsResponseDescribeConfigsResourceResult[] };
      try {
        const entries = this.entries(resource.resourceType, resource.resourceName);
        const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
        const configs = entries
          .filter((e) => wanted === null || wanted.has(e.name))
          .map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.source !== CONFIG_SOURCE_TOPIC,
            configSource: e.source,
            isSensitive: false,
            synonyms: request.includeSynonyms ? [{ name: e.name, value: e.value, source: e.source }] : [],
            configType: CONFIG_TYPE_STRING,
            documentation: null,
          }));
        return { ...base, configs, errorCode: KafkaErrorCode.NONE, errorMessage: null };
      } catch (err) {
        return { ...base, ...refusalOf(err) };
      }
    });
    return { throttleTimeMs: 0, results };
  }

  private entries(resourceType: number, name: string): { name: string; value: string; source: number; readOnly: boolean }[] {
    if (resourceType === RESOURCE_TOPIC) {
      return this.logManager.describeTopic(name).configEntries.map((e) => ({
        name: e.name,
        value: e.value,
        source: e.source === 'TOPIC' ? CONFIG_SOURCE_TOPIC : CONFIG_SOURCE_DEFAULT,
        readOnly: false,
      }));
    }
    if (resourceType === RESOURCE_BROKER) {
      if (name !== '' && name !== String(this.nodeId)) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `this is broker ${this.nodeId}, not ${name}`);
      return describeTopicConfig({}, this.logManager.defaults).map((e) => ({ name: e.name, value: e.value, source: CONFIG_SOURCE_DEFAULT, readOnly: true }));
    }
    throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `config resource type ${resourceType} is not supported (2 topic, 4 broker)`);
  }
}

/** Kafka's AlterConfigOp types. */
const OP_SET = 0;
const OP_DELETE = 1;

export class IncrementalAlterConfigsHandler implements KafkaApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  readonly apiKey = KafkaApiKey.IncrementalAlterConfigs;

  constructor(private readonly logManager: LogManager) {}

  async handle(request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
    const responses: IncrementalAlterConfigsResponse['responses'] = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        if (resource.resourceType !== RESOURCE_TOPIC) {
          throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, `only topic configs (resource type 2) can be altered, not type ${resource.resourceType}`);
        }
        const changes: Record<string, string | null> = {};
        for (const config of resource.configs) {
          if (config.configOperation === OP_SET) {
            if (config.value === null) throw new SpoolError('INVALID_CONFIG', `SET of ${config.name} needs a value`);
            changes[config.name] = config.value;
          } else if (config.configOperation === OP_DELETE) {
            changes[config.name] = null;
          } else {
            throw new SpoolError('INVALID_CONFIG', `config operation ${config.configOperation} (APPEND/SUBTRACT) is not supported for ${config.name}`);
          }
        }
        if (request.validateOnly) {
          this.logManager.describeTopic(resource.resourceName);
          const set: Record<string, string> = {};
          for (const [k, v] of Object.entries(changes)) if (v !== null) set[k] = v;
          normalizeTopicConfigs(set);
        } else {
          await this.logManager.alterTopicConfigs(resource.resourceName, changes);
        }
        responses.push({ ...base, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ ...base, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  }
}
