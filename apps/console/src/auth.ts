/**
 * The console's credential: an API key (`spk_...`) or a JWT the user pastes at login, for brokers
 * with authentication on (SPOOL_AUTH=on, docs/security.md). It is kept in sessionStorage: it
 * survives a reload of the tab and is gone when the tab closes, and other tabs and sites never
 * see it. It is sent as `Authorization: Bearer` on every HTTP call (SDK, /metrics) and in the
 * `authenticate` frame of the WebSocket (@spool/client's `token` option). A 401 from any call
 * means the credential is missing, wrong, expired or revoked: listeners (the shell) show the login.
 */
const STORAGE_KEY = 'spool.console.token';

export function currentToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the console still works without authentication
  }
}

const listeners = new Set<() => void>();

/** Called when the token changes or a call was refused with 401. */
export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, token);
  for (const l of listeners) l();
}

let refused = false;
/** True after a 401, until the next login. */
export function wasRefused(): boolean {
  return refused;
}

export function noteUnauthorized(): void {
  if (refused) return;
  refused = true;
  for (const l of listeners) l();
}

export function clearRefused(): void {
  refused = false;
}

/** `init`'s headers with the credential added (when there is one). */
export function authorized(headers: HeadersInit | undefined): Headers {
  const out = new Headers(headers);
  const token = currentToken();
  if (token !== undefined) out.set('authorization', `Bearer ${token}`);
  return out;
}
