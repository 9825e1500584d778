/** API keys (admin): create one (shown once, with a copy button) and revoke. */
import { type FormEvent, useState } from 'react';
import type { KeyRecordView, KeyRole } from '../../../src/client/index.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { time } from '../components/format.js';
import { ErrorNote, Notice } from '../components/notice.js';
import { usePoll } from '../hooks/use-poll.js';
import { useSession } from '../session-context.js';

export function KeysPage() {
  const { client } = useSession();
  const keys = usePoll(() => client.listKeys(), null, [client]);
  const [created, setCreated] = useState<{ key: string; record: KeyRecordView } | null>(null);
  const [revoking, setRevoking] = useState<KeyRecordView | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const revoke = async () => {
    const key = revoking;
    setRevoking(null);
    if (!key) return;
    try {
      await client.revokeKey(key.id);
      setNotice(`Revoked ${key.id} (${key.owner}).`);
      keys.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const items = (keys.data?.items ?? []).filter((key) => showRevoked || key.revokedAt === null);

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <CreateKeyForm
        onCreated={(answer) => {
          setCreated(answer);
          setNotice(null);
          keys.reload();
        }}
      />
      {created ? (
        <section className="card new-key" aria-label="New key">
          <h2>New key for {created.record.owner}</h2>
          <p>
            Copy it now: <strong>it is shown only once</strong>. Only its hash is stored.
          </p>
          <p className="key-line">
            <code className="secret" data-testid="new-key">
              {created.key}
            </code>
            <CopyButton text={created.key} label="Copy key" />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </section>
      ) : null}
      <Notice text={notice} />
      <ErrorNote error={error ?? keys.error} />
      <label className="inline">
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(event) => setShowRevoked(event.target.checked)}
        />{' '}
        Show revoked keys
      </label>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Owner</th>
              <th scope="col">Role</th>
              <th scope="col">Tier</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {items.map((key) => (
              <tr key={key.id}>
                <td>
                  <code>{key.id}</code>
                  <div className="muted small">jg_{key.prefix}_…</div>
                </td>
                <td>{key.owner}</td>
                <td>{key.role}</td>
                <td>{key.tier}</td>
                <td>{key.name ?? '—'}</td>
                <td>{time(key.createdAt)}</td>
                <td>
                  {key.revokedAt ? (
                    <span className="muted">revoked {time(key.revokedAt)}</span>
                  ) : key.protected ? (
                    <span className="muted" title="The server's pool workers use this key">
                      in use by the server
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => setRevoking(key)}
                      aria-label={`Revoke ${key.id} of ${key.owner}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        danger
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          <code>{revoking?.id}</code> of <strong>{revoking?.owner}</strong> stops working on its next request.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function CreateKeyForm({
  onCreated,
}: {
  onCreated: (answer: { key: string; record: KeyRecordView }) => void;
}) {
  const { client } = useSession();
  const [owner, setOwner] = useState('');
  const [role, setRole] = useState<KeyRole>('tenant');
  const [tier, setTier] = useState('free');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(
        await client.createKey({
          owner: owner.trim(),
          role,
          tier: tier.trim(),
          ...(name.trim() ? { name: name.trim() } : {}),
        }),
      );
      setOwner('');
      setName('');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card key-form" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <div className="fields">
        <label>
          Owner
          <input
            required
            value={owner}
            onChange={(event) => setOwner(event.target.value)}
            placeholder="acme"
          />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as KeyRole)}>
            <option value="tenant">tenant</option>
            <option value="admin">admin</option>
            <option value="worker">worker</option>
          </select>
        </label>
        <label>
          Tier
          <input required value={tier} onChange={(event) => setTier(event.target.value)} />
        </label>
        <label>
          Name (optional)
          <input value={name} onChange={(event) => setName(event.target.value)} />
        </label>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
