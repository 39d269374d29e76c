/**
 * Where clients reach this broker over Kafka's protocol: filled in once the listener is bound
 * (the port may be chosen by the OS), read by Metadata and FindCoordinator.
 */
export class BrokerEndpoint {
  port = 0;

  constructor(
    readonly nodeId: number,
    readonly host: string,
  ) {}
}
