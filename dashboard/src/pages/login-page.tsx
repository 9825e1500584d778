import { type FormEvent, useState } from 'react';

export function LoginPage({
  onSignIn,
  initialError,
  theme,
  onToggleTheme,
}: {
  onSignIn: (key: string) => Promise<string | null>;
  initialError?: string;
  theme: string;
  onToggleTheme: () => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) return setError('Enter an API key.');
    setBusy(true);
    setError(await onSignIn(key.trim()));
    setBusy(false);
  };
  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">Jobgate</h1>
        <p className="muted">
          Sign in with an admin or tenant API key. It is kept for this browser tab only.
        </p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(event) => setKey(event.target.value)}
          placeholder="jg_…"
          aria-describedby={error ? 'login-error' : undefined}
        />
        {error ? (
          <p id="login-error" className="note error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="actions">
          <button
            type="button"
            onClick={onToggleTheme}
            aria-pressed={theme === 'dark'}
            aria-label="Dark theme"
          >
            {theme === 'dark' ? '☾' : '☀'}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
