/**
 * DescribeConfigs entries, as Kafka's broker builds them: the value, where it comes from
 * (ConfigSource), whether it can be changed, its synonyms (the topic override, then the broker
 * config that sets its default, with the broker's value and Kafka's default), its type and doc.
 */
import type { KafkaConfigType, KafkaTopicConfigEntry } from '@spool/log-engine';
import type { DescribeConfigsResponseDescribeConfigsResourceResult as ConfigResult } from '@spool/protocol';
import type { BrokerConfigEntry } from '../broker-configs.js';

/** Kafka's ConfigSource. */
export const CONFIG_SOURCE_TOPIC = 1;
export const CONFIG_SOURCE_STATIC_BROKER = 4;
export const CONFIG_SOURCE_DEFAULT = 5;

/** Kafka's ConfigResource.Type. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;

/** Kafka's DescribeConfigsResponse.ConfigType. */
const CONFIG_TYPE: Readonly<Record<KafkaConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

interface Synonym {
  name: string;
  value: string | null;
  source: number;
}

const TOPIC_SOURCE = { TOPIC: CONFIG_SOURCE_TOPIC, BROKER: CONFIG_SOURCE_STATIC_BROKER, DEFAULT: CONFIG_SOURCE_DEFAULT } as const;

/** A topic config as DescribeConfigs describes it. */
export function topicConfigResult(entry: KafkaTopicConfigEntry, includeSynonyms: boolean, includeDocumentation: boolean): ConfigResult {
  const synonyms: Synonym[] = [];
  if (includeSynonyms) {
    if (entry.source === 'TOPIC') synonyms.push({ name: entry.name, value: entry.value, source: CONFIG_SOURCE_TOPIC });
    const broker = entry.brokerSynonym;
    if (broker === null) {
      if (entry.source !== 'TOPIC') synonyms.push({ name: entry.name, value: entry.value, source: CONFIG_SOURCE_DEFAULT });
    } else {
      if (broker.value !== broker.kafkaDefault) synonyms.push({ name: broker.name, value: broker.value, source: CONFIG_SOURCE_STATIC_BROKER });
      synonyms.push({ name: broker.name, value: broker.kafkaDefault, source: CONFIG_SOURCE_DEFAULT });
    }
  }
  const source = TOPIC_SOURCE[entry.source];
  return {
    name: entry.name,
    value: entry.value,
    readOnly: entry.readOnly,
    isDefault: source === CONFIG_SOURCE_DEFAULT,
    configSource: source,
    isSensitive: false,
    synonyms,
    configType: CONFIG_TYPE[entry.type],
    documentation: includeDocumentation ? entry.doc : null,
  };
}

/** A broker config as DescribeConfigs describes it; every one is read-only. */
export function brokerConfigResult(entry: BrokerConfigEntry, includeSynonyms: boolean, includeDocumentation: boolean): ConfigResult {
  const source = entry.source === 'STATIC' ? CONFIG_SOURCE_STATIC_BROKER : CONFIG_SOURCE_DEFAULT;
  const synonyms: Synonym[] = [];
  if (includeSynonyms) {
    synonyms.push({ name: entry.name, value: entry.value, source });
    if (source === CONFIG_SOURCE_STATIC_BROKER && entry.kafkaDefault !== null) synonyms.push({ name: entry.name, value: entry.kafkaDefault, source: CONFIG_SOURCE_DEFAULT });
  }
  return {
    name: entry.name,
    value: entry.value,
    readOnly: true,
    isDefault: source === CONFIG_SOURCE_DEFAULT,
    configSource: source,
    isSensitive: entry.sensitive,
    synonyms,
    configType: CONFIG_TYPE[entry.type],
    documentation: includeDocumentation ? (source === CONFIG_SOURCE_STATIC_BROKER ? 'Set by Spool at start-up; read-only.' : 'Kafka\'s default; Spool has no dynamic broker configs (read-only).') : null,
  };
}
