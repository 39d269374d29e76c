/**
 * SSE: a topic as an EventSource (`GET /v1/topics/{topic}/events`). The browser's EventSource
 * reconnects by itself and sends Last-Event-ID, which the server turns back into the exact
 * position of every partition; this wrapper only builds the URL and parses the events.
 */
import type { ReadFormatOptions, SpoolRecord } from './types.js';

export interface EventStreamOptions extends ReadFormatOptions {
  readonly from?: 'earliest' | 'latest' | number | { timestamp: number };
  readonly partitions?: number[];
  /** Join this consumer group (positions are committed by the server as it writes). */
  readonly group?: string;
  /**
   * A short-lived token (JWT) for a broker with authentication on, sent as the access_token query
   * parameter (EventSource cannot set headers). When it expires the server ends the stream with an
   * `error` event whose reason is `expired`: open a new stream with a fresh token.
   */
  readonly token?: string;
  readonly onRecord: (record: SpoolRecord & { topic: string; partition: number }, eventId: string) => void;
  /** `topic` comes first: `{ topic, topicId, partitions }` (the topic's Kafka id, new for each incarnation of the name). */
  readonly onControl?: (event: 'topic' | 'assigned' | 'revoked' | 'error', data: unknown) => void;
}

export function eventsUrl(baseUrl: string, topic: string, options: Omit<EventStreamOptions, 'onRecord' | 'onControl'>): string {
  const url = new URL(`/v1/topics/${encodeURIComponent(topic)}/events`, baseUrl);
  const from = options.from;
  if (from !== undefined) url.searchParams.set('from', typeof from === 'object' ? `timestamp:${from.timestamp}` : String(from));
  if (options.partitions) url.searchParams.set('partitions', options.partitions.join(','));
  if (options.keyFormat) url.searchParams.set('keyFormat', options.keyFormat);
  if (options.valueFormat) url.searchParams.set('valueFormat', options.valueFormat);
  if (options.format) url.searchParams.set('format', options.format);
  if (options.group) url.searchParams.set('group', options.group);
  if (options.token) url.searchParams.set('access_token', options.token);
  return url.toString();
}

/** Opens the stream; close the returned EventSource to stop. */
export function openEventStream(baseUrl: string, topic: string, options: EventStreamOptions): EventSource {
  const source = new EventSource(eventsUrl(baseUrl, topic, options));
  source.onmessage = (ev: MessageEvent<string>) => options.onRecord(JSON.parse(ev.data), ev.lastEventId);
  for (const name of ['topic', 'assigned', 'revoked', 'error'] as const) {
    source.addEventListener(name, (ev) => {
      if (ev instanceof MessageEvent) options.onControl?.(name, JSON.parse(ev.data as string));
    });
  }
  return source;
}
