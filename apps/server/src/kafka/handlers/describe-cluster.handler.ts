/**
 * DescribeCluster (apiKey 60): the cluster id, the controller and the brokers, from the same
 * BrokerEndpoint.brokers() list Metadata answers with (cluster mode: etcd's cluster id, live brokers, elected controller). v1's endpointType asks for brokers (1) or
 * controllers (2); this listener is a broker endpoint, so 2 is MISMATCHED_ENDPOINT_TYPE and any
 * other value UNSUPPORTED_ENDPOINT_TYPE, as Kafka's brokers answer.
 */
import { KafkaApiKey, KafkaErrorCode, type DescribeClusterRequest, type DescribeClusterResponse } from '@spool/protocol';
import type { BrokerEndpoint } from '../broker-endpoint.js';
import type { KafkaApiHandler } from '../kafka-handler.js';
import { SPOOL_CLUSTER_ID } from './metadata.handler.js';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;
/** Kafka's "authorized operations not requested" marker. */
const OPERATIONS_UNKNOWN = -2147483648;

export class DescribeClusterHandler implements KafkaApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  readonly apiKey = KafkaApiKey.DescribeCluster;

  constructor(private readonly endpoint: BrokerEndpoint) {}

  handle(request: DescribeClusterRequest): DescribeClusterResponse {
    const base = { throttleTimeMs: 0, endpointType: ENDPOINT_BROKERS, clusterId: this.endpoint.clusterId ?? SPOOL_CLUSTER_ID, clusterAuthorizedOperations: OPERATIONS_UNKNOWN };
    // v0 has no endpointType: its default (brokers) applies.
    if (request.endpointType !== ENDPOINT_BROKERS) {
      const mismatched = request.endpointType === ENDPOINT_CONTROLLERS;
      return {
        ...base,
        errorCode: mismatched ? KafkaErrorCode.MISMATCHED_ENDPOINT_TYPE : KafkaErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: mismatched ? 'this is a broker endpoint; ask it for brokers (endpointType 1)' : `unknown endpointType ${request.endpointType}`,
        controllerId: -1,
        brokers: [],
      };
    }
    return {
      ...base,
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      controllerId: this.endpoint.controllerId,
      brokers: this.endpoint.brokers().map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    };
  }
}
