export { SpoolClient, Subscription, GroupMembership, toWebSocketUrl, type SpoolClientOptions, type GroupOptions, type SubscribeOptions, type RecordsHandler } from './spool-client.js';
export { openEventStream, eventsUrl, type EventStreamOptions } from './event-stream.js';
export * from './types.js';
