/**
 * The console's only way to the broker: the generated SDK (sdk/, from docs/openapi.json) over the
 * public HTTP API, @spool/client for the WebSocket face, and the public /metrics and /readyz
 * endpoints. No private routes: what the console shows, any API user can get.
 */
import { spoolClient } from '../../../sdk/src/index.js';
import { SpoolClient } from '../../../client/src/index.js';
import { currentToken, noteUnauthorized, authorized, onAuthChange } from './auth.js';

/**
 * The broker that served this page. The credential is added per request (not once at creation),
 * so a login or logout applies to the next call without rebuilding anything.
 */
export const http = spoolClient(location.origin, {
  fetch: (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const token = currentToken();
    if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`);
    return fetch(request).then(watch401);
  },
});

function watch401(res: Response): Response {
  if (res.status === 401) noteUnauthorized();
  return res;
}

/** An error answer of the API, with its stable code (INVALID_CONFIG, NON_EMPTY_GROUP, ...). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface SdkResult<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/** The data of an SDK call, or an ApiError carrying the error envelope's code and message. */
export async function call<T>(pending: Promise<SdkResult<T>>): Promise<T> {
  let result: SdkResult<T>;
  try {
    result = await pending;
  } catch (err) {
    throw new ApiError('NETWORK', `the broker did not answer: ${(err as Error).message}`, 0);
  }
  const status = result.response?.status ?? 0;
  if (result.error !== undefined || status >= 400) {
    const body = result.error as { error?: { code?: string; message?: string } } | undefined;
    throw new ApiError(body?.error?.code ?? `HTTP_${status}`, body?.error?.message ?? `HTTP ${status}`, status);
  }
  return result.data as T;
}

/** One WebSocket connection for the page's live views (opened on first use, reconnects itself). */
let streaming: SpoolClient | undefined;
export function streamingClient(): SpoolClient {
  // The token is asked for at each connect: a login after a 4401 close reconnects with the new one.
  streaming ??= new SpoolClient({ url: location.origin, ...(currentToken() !== undefined && { token: () => currentToken() ?? '' }) });
  return streaming;
}

// A new credential (or none) gets a new connection: the old one was authenticated as someone else.
onAuthChange(() => {
  streaming?.close();
  streaming = undefined;
});

/** GET a text endpoint of the broker (/metrics needs the credential when authentication is on; /readyz is open). */
export async function getText(path: string): Promise<{ status: number; text: string }> {
  const res = watch401(await fetch(path, { cache: 'no-store', headers: authorized(undefined) }));
  return { status: res.status, text: await res.text() };
}

/**
 * Prometheus text exposition -> sum of every sample per metric name (labels summed away: the
 * overview shows broker totals). Comment and blank lines are skipped.
 */
export function parseMetrics(text: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    totals.set(match[1]!, (totals.get(match[1]!) ?? 0) + value);
  }
  return totals;
}
