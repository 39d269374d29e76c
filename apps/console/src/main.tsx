/**
 * The console's shell: the login (brokers with authentication on), navigation, the hash router,
 * and the page for the current route.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whoAmI, type WhoAmI } from '../../../sdk/src/index.js';
import { ApiError, call, http } from './api.js';
import { clearRefused, currentToken, onAuthChange, setToken, wasRefused } from './auth.js';
import { href, useRoute } from './hooks.js';
import { AclsPage } from './pages/acls-page.js';
import { ApiKeysPage } from './pages/api-keys-page.js';
import { GroupPage } from './pages/group-page.js';
import { GroupsPage } from './pages/groups-page.js';
import { LoginPage } from './pages/login-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ScramUsersPage } from './pages/scram-users-page.js';
import { SubscriptionPage } from './pages/subscription-page.js';
import { SubscriptionsPage } from './pages/subscriptions-page.js';
import { TenantsPage } from './pages/tenants-page.js';
import { TopicPage } from './pages/topic-page.js';
import { TopicsPage } from './pages/topics-page.js';
import './styles.css';

type Session = { state: 'checking' } | { state: 'login'; error?: Error } | { state: 'in'; who: WhoAmI | undefined };

/** Who the credential (or its absence) is, per GET /v1/whoami; a 401 asks for a login. */
async function checkSession(): Promise<Session> {
  try {
    const who = await call(whoAmI({ client: http }));
    clearRefused();
    return { state: 'in', who };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return { state: 'login', ...(currentToken() !== undefined && { error: err }) };
    // Another failure (broker starting, a proxy): show the pages, which show their own errors.
    return { state: 'in', who: undefined };
  }
}

function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  useEffect(() => {
    void checkSession().then(setSession);
    // A 401 on any call (expired or revoked credential) brings the login back.
    return onAuthChange(() => {
      if (wasRefused()) setSession({ state: 'login', error: new ApiError('SASL_AUTHENTICATION_FAILED', 'the broker refused the credential (expired or revoked?): sign in again', 401) });
    });
  }, []);
  const route = useRoute();
  if (session.state === 'checking') return <main aria-busy="true">Connecting…</main>;
  if (session.state === 'login') {
    return (
      <LoginPage
        error={session.error}
        onSubmit={async (token) => {
          setToken(token);
          const next = await checkSession();
          if (next.state === 'login') setToken(undefined);
          setSession(next);
        }}
      />
    );
  }
  const [section = 'overview', name] = route;
  const page =
    section === 'topics' && name !== undefined ? <TopicPage key={name} topic={name} />
    : section === 'topics' ? <TopicsPage />
    : section === 'groups' && name !== undefined ? <GroupPage key={name} groupId={name} />
    : section === 'groups' ? <GroupsPage />
    : section === 'subscriptions' && name !== undefined ? <SubscriptionPage key={name} name={name} />
    : section === 'subscriptions' ? <SubscriptionsPage />
    : section === 'acls' ? <AclsPage />
    : section === 'tenants' ? <TenantsPage />
    : section === 'api-keys' ? <ApiKeysPage />
    : section === 'scram-users' ? <ScramUsersPage />
    : <OverviewPage />;
  const link = (target: string, label: string) => (
    <a href={href(target)} aria-current={section === target ? 'page' : undefined}>
      {label}
    </a>
  );
  const who = session.who;
  return (
    <>
      <header>
        <a class="brand" href={href('overview')}>Spool</a>
        <nav aria-label="Sections">
          {link('overview', 'Overview')}
          {link('topics', 'Topics')}
          {link('groups', 'Consumer groups')}
          {link('subscriptions', 'Subscriptions')}
          {link('acls', 'ACLs')}
          {link('tenants', 'Tenants')}
          {link('api-keys', 'API keys')}
          {link('scram-users', 'SCRAM users')}
        </nav>
        {who?.authenticationEnabled && (
          <div class="session">
            <span data-testid="principal">{who.principal}</span>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setToken(undefined);
                setSession({ state: 'login' });
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
document.body.dataset.ready = 'true';
