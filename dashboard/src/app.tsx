/**
 * The shell: sign-in gate, header (navigation, live-stream state, theme, sign out)
 * and the page the URL hash names. One LiveEvents socket per signed-in session.
 */
import { useEffect, useMemo, useState } from 'react';
import { LiveEvents, type LiveState } from '../../src/client/index.js';
import { useTheme } from './hooks/use-theme.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { KeysPage } from './pages/keys-page.js';
import { LoginPage } from './pages/login-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { QueuePage } from './pages/queue-page.js';
import { SchedulesPage } from './pages/schedules-page.js';
import { TenantsPage } from './pages/tenants-page.js';
import { WebhooksPage } from './pages/webhooks-page.js';
import { links, type Route, useRoute } from './router.js';
import { clientFor, identify, type Role, storedKey, storeKey } from './session.js';
import { SessionContext, type SessionValue } from './session-context.js';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; error?: string }
  | { state: 'signed-in'; key: string; role: Role };

export function App() {
  const { theme, toggle } = useTheme();
  const [auth, setAuth] = useState<Auth>(() =>
    storedKey() ? { state: 'checking' } : { state: 'signed-out' },
  );

  useEffect(() => {
    if (auth.state !== 'checking') return;
    const key = storedKey();
    if (!key) return setAuth({ state: 'signed-out' });
    let cancelled = false;
    identify(clientFor(key)).then((result) => {
      if (cancelled) return;
      if ('error' in result) {
        storeKey(null);
        setAuth({ state: 'signed-out', error: result.error });
      } else setAuth({ state: 'signed-in', key, role: result.role });
    });
    return () => {
      cancelled = true;
    };
  }, [auth]);

  const signIn = async (key: string): Promise<string | null> => {
    const result = await identify(clientFor(key));
    if ('error' in result) return result.error;
    storeKey(key);
    setAuth({ state: 'signed-in', key, role: result.role });
    return null;
  };
  const signOut = () => {
    storeKey(null);
    setAuth({ state: 'signed-out' });
  };

  if (auth.state === 'checking') return <p className="loading-screen">Signing in…</p>;
  if (auth.state === 'signed-out')
    return <LoginPage onSignIn={signIn} initialError={auth.error} theme={theme} onToggleTheme={toggle} />;
  return (
    <SignedIn apiKey={auth.key} role={auth.role} theme={theme} onToggleTheme={toggle} onSignOut={signOut} />
  );
}

function SignedIn({
  apiKey,
  role,
  theme,
  onToggleTheme,
  onSignOut,
}: {
  apiKey: string;
  role: Role;
  theme: string;
  onToggleTheme: () => void;
  onSignOut: () => void;
}) {
  const route = useRoute();
  const [liveState, setLiveState] = useState<LiveState>('connecting');
  const session = useMemo<SessionValue>(() => {
    const client = clientFor(apiKey);
    const live = new LiveEvents({ url: client.liveUrl(), onState: setLiveState });
    return { client, live, role };
  }, [apiKey, role]);
  useEffect(() => () => session.live.close(), [session]);

  const nav: Array<[string, string, Route['page'][]]> = [
    ['Overview', links.overview(), ['overview', 'queue']],
    ['Jobs', links.jobs(), ['jobs', 'job']],
    ['Schedules', links.schedules(), ['schedules']],
    ['Webhooks', links.webhooks(), ['webhooks']],
    ...(role === 'admin'
      ? ([
          ['Tenants', links.tenants(), ['tenants']],
          ['Keys', links.keys(), ['keys']],
        ] as Array<[string, string, Route['page'][]]>)
      : []),
  ];

  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={links.overview()}>
          Jobgate
        </a>
        <nav aria-label="Main">
          <ul>
            {nav.map(([label, href, pages]) => (
              <li key={label}>
                <a href={href} aria-current={pages.includes(route.page) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-tools">
          <span className={`live live-${liveState}`} role="status" title="Live event stream">
            <span className="live-dot" aria-hidden="true" />
            {liveState === 'open' ? 'Live' : liveState === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
          <span className="role-tag">{role === 'admin' ? 'admin' : 'tenant'}</span>
          <button
            type="button"
            onClick={onToggleTheme}
            aria-pressed={theme === 'dark'}
            aria-label="Dark theme"
            title="Toggle dark theme"
          >
            {theme === 'dark' ? '☾' : '☀'}
          </button>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} theme={theme} />
      </main>
    </SessionContext.Provider>
  );
}

function Page({ route, theme }: { route: Route; theme: string }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage theme={theme} />;
    case 'queue':
      return <QueuePage key={route.queue} queue={route.queue} />;
    case 'jobs':
      return <JobsPage query={route.query} />;
    case 'job':
      return <JobPage key={route.id} id={route.id} />;
    case 'tenants':
      return <TenantsPage />;
    case 'keys':
      return <KeysPage />;
    case 'schedules':
      return <SchedulesPage />;
    case 'webhooks':
      return <WebhooksPage id={route.id} />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing at <code>{route.path}</code>. <a href={links.overview()}>Back to the overview</a>.
          </p>
        </section>
      );
  }
}
