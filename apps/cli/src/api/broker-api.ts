/**
 * The CLI's only way to the broker: the SDK generated from docs/openapi.json (sdk/), pointed at
 * the resolved connection, with the token as `Authorization: Bearer` and a bound on every call.
 * `call` turns the SDK's `{ data, error, response }` into the data or a CliError.
 */
import { spoolClient, type Client } from '../../../../sdk/src/index.js';
import type { Connection } from '../connection/connection.js';
import { fromBrokerAnswer, fromFetchFailure } from './broker-error.js';

/** What every SDK call of the CLI gets: the client and an abort signal. */
export interface CallBase {
  readonly client: Client;
  readonly signal: AbortSignal;
}

export interface SdkResult<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response?: Response;
}

export const USER_AGENT = 'spool-cli/0.1.0';

export class BrokerApi {
  readonly client: Client;

  constructor(readonly connection: Connection) {
    this.client = spoolClient(connection.url, { headers: BrokerApi.headers(connection) });
  }

  static headers(connection: Connection): Record<string, string> {
    return { 'user-agent': USER_AGENT, ...(connection.token !== undefined && { authorization: `Bearer ${connection.token}` }) };
  }

  /** Runs one SDK call bounded by `timeoutMs` (default: the connection's) and returns its data. */
  async call<T>(run: (base: CallBase) => Promise<SdkResult<T>>, timeoutMs = this.connection.timeoutMs, signal?: AbortSignal): Promise<T> {
    const bound = AbortSignal.timeout(timeoutMs);
    const base: CallBase = { client: this.client, signal: signal === undefined ? bound : AbortSignal.any([bound, signal]) };
    let result: SdkResult<T>;
    try {
      result = await run(base);
    } catch (err) {
      throw fromFetchFailure(err, this.connection.url);
    }
    if (result.response === undefined) throw fromFetchFailure(result.error, this.connection.url);
    if (!result.response.ok) throw fromBrokerAnswer(result.response.status, result.error);
    return result.data as T;
  }
}
