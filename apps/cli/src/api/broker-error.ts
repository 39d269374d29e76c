/**
 * Turns what the SDK hands back on failure (the broker's error envelope, or the exception fetch
 * threw) into a CliError whose message says what happened and whose hint says what to do.
 * One switch on the broker's stable codes (docs/http-api.md#errors); unknown codes fall back on
 * the HTTP status, so a code added to the broker later still gets a sensible exit status.
 */
import { CliError } from '../cli.error.js';
import { ExitCode } from '../exit-codes.js';

export interface BrokerErrorBody {
  readonly code: string;
  readonly message: string;
  readonly retriable?: boolean;
  readonly details?: Record<string, unknown>;
}

function isErrorBody(v: unknown): v is BrokerErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as BrokerErrorBody).code === 'string' && typeof (v as BrokerErrorBody).message === 'string';
}

/** The envelope's `error`, when `body` is one. */
export function errorBodyOf(body: unknown): BrokerErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const inner = (body as { error?: unknown }).error;
  return isErrorBody(inner) ? inner : undefined;
}

function exitCodeFor(code: string, status: number): ExitCode {
  switch (code) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'UNKNOWN_TOPIC_ID':
    case 'GROUP_ID_NOT_FOUND':
    case 'SUBSCRIPTION_NOT_FOUND':
      return ExitCode.NOT_FOUND;
    case 'TOPIC_ALREADY_EXISTS':
    case 'NON_EMPTY_GROUP':
    case 'SUBSCRIPTION_ALREADY_EXISTS':
    case 'POLICY_VIOLATION':
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'UNKNOWN_MEMBER_ID':
      return ExitCode.CONFLICT;
    case 'INVALID_REQUEST':
    case 'INVALID_RECORD':
    case 'INVALID_CONFIG':
    case 'INVALID_TOPIC_EXCEPTION':
    case 'INVALID_PARTITIONS':
    case 'INVALID_REPLICATION_FACTOR':
    case 'INVALID_REPLICA_ASSIGNMENT':
    case 'INVALID_TIMESTAMP':
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
    case 'REQUEST_TOO_LARGE':
      return ExitCode.USAGE;
    case 'SASL_AUTHENTICATION_FAILED':
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
      return ExitCode.AUTH;
    default:
      if (status === 401 || status === 403) return ExitCode.AUTH;
      if (status === 404) return ExitCode.NOT_FOUND;
      if (status === 409) return ExitCode.CONFLICT;
      if (status === 429 || status === 503 || status === 504) return ExitCode.UNAVAILABLE;
      return ExitCode.ERROR;
  }
}

function hintFor(code: string, status: number, details: Record<string, unknown> | undefined): string | undefined {
  switch (code) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return details?.partition !== undefined ? '`spool topic describe <topic>` lists its partitions' : '`spool topic list` lists the topics';
    case 'GROUP_ID_NOT_FOUND':
      return '`spool group list` lists the groups';
    case 'TOPIC_ALREADY_EXISTS':
      return 'add --if-not-exists to accept an existing topic, or `spool topic describe <topic>` to see it';
    case 'SUBSCRIPTION_NOT_FOUND':
      return '`spool subscription list` lists the subscriptions';
    case 'SUBSCRIPTION_ALREADY_EXISTS':
      return '`spool subscription describe <name>` shows it; delete it first to create it anew';
    case 'WEBHOOKS_NOT_CONFIGURED':
      return 'push subscriptions need Redis: start the broker with SPOOL_REDIS_URL (docs/webhooks.md)';
    case 'NON_EMPTY_GROUP':
      return 'stop the group\'s consumers first: `spool group describe <group>` lists its members';
    case 'OFFSET_OUT_OF_RANGE':
      return '`spool topic describe <topic>` shows each partition\'s logStartOffset and highWatermark';
    case 'SASL_AUTHENTICATION_FAILED':
      return 'give a valid API key or token with SPOOL_TOKEN, --token or a profile (`spool profile set`)';
    case 'NOT_FOUND':
      return 'this broker does not serve that route: it may be older than this CLI';
    default:
      if (status === 401) return 'give a valid API key or token with SPOOL_TOKEN, --token or a profile (`spool profile set`)';
      if (status === 403 && code !== 'POLICY_VIOLATION') return 'the credentials in use are not allowed to do this: ask an admin for an ACL';
      if (status === 429) return 'the broker is throttling this client (quota): retry later';
      if (status >= 500) return 'the broker failed or is not ready: retry, and see its log if it persists';
      return undefined;
  }
}

/** The error for a broker answer that is not a success. */
export function fromBrokerAnswer(status: number, body: unknown): CliError {
  const e = errorBodyOf(body);
  if (e === undefined) {
    const text = typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200);
    return new CliError(`the broker answered HTTP ${status} without an error envelope${text ? `: ${text}` : ''}`, exitCodeFor('', status), hintFor('', status, undefined), `HTTP_${status}`);
  }
  return new CliError(e.message, exitCodeFor(e.code, status), hintFor(e.code, status, e.details), e.code, e.details);
}

/** Node's fetch failure ("fetch failed", with the socket error as cause) in words a user can act on. */
export function fromFetchFailure(err: unknown, url: string): CliError {
  if (err instanceof CliError) return err;
  const name = (err as Error | undefined)?.name;
  if (name === 'TimeoutError') {
    return new CliError(`the broker at ${url} did not answer in time`, ExitCode.UNAVAILABLE, 'is it overloaded? raise --timeout-ms, or check the broker', 'REQUEST_TIMED_OUT');
  }
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  const why =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host'
    : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'the connection was closed'
    : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connection timed out'
    : (cause?.message ?? (err as Error | undefined)?.message ?? String(err));
  return new CliError(
    `cannot reach the broker at ${url}: ${why}`,
    ExitCode.UNAVAILABLE,
    'is it running? Point the CLI at it with --url or SPOOL_URL (default http://127.0.0.1:8080)',
    'BROKER_UNREACHABLE',
    code !== undefined ? { cause: code } : undefined,
  );
}
