/**
 * Login for brokers with authentication on: an API key (spk_...) or a JWT, checked with
 * GET /v1/whoami and kept in sessionStorage for this tab only (see auth.ts).
 */
import { useState } from 'preact/hooks';
import { ErrorNote } from '../widgets.js';

export function LoginPage({ error, onSubmit }: { error: Error | undefined; onSubmit: (token: string) => Promise<void> }) {
  const [token, setTokenValue] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>Sign in to Spool</h1>
      <p>This broker requires authentication. Paste an API key or a token (JWT); it is kept for this browser tab only.</p>
      <form
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void onSubmit(token.trim()).finally(() => setBusy(false));
        }}
      >
        <label>
          API key or token
          <input type="password" name="token" autoComplete="off" required value={token} onInput={(e) => setTokenValue(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}
