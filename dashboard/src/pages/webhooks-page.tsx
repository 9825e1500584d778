/**
 * Webhook subscriptions (a tenant: its own) and, for the one picked, its recent deliveries
 * with their outcomes, each with a Redeliver button; a disabled subscription shows why
 * and can be re-enabled. Polled every 5 s.
 */
import type { WebhookDeliveryView } from '../../../src/client/index.js';
import { shortId, time } from '../components/format.js';
import { ErrorNote, Notice } from '../components/notice.js';
import { useAction } from '../hooks/use-action.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';

function DeliveryRow({ delivery, onRedeliver }: { delivery: WebhookDeliveryView; onRedeliver: () => void }) {
  return (
    <tr data-delivery-id={delivery.id} data-status={delivery.status}>
      <td>
        <code title={delivery.id}>{shortId(delivery.id)}</code>
      </td>
      <td>{delivery.event}</td>
      <td>{delivery.jobId ? <a href={links.job(delivery.jobId)}>{shortId(delivery.jobId)}</a> : '—'}</td>
      <td>
        <span className={`badge delivery-${delivery.status}`}>{delivery.status}</span>
      </td>
      <td>{delivery.attempts}</td>
      <td>{delivery.responseCode ?? (delivery.error ? 'error' : '—')}</td>
      <td>{delivery.durationMs === null ? '—' : `${delivery.durationMs} ms`}</td>
      <td>{delivery.nextAttemptAt ? time(delivery.nextAttemptAt) : '—'}</td>
      <td className="small muted" title={delivery.response ?? delivery.error ?? ''}>
        {(delivery.error ?? delivery.response ?? '').slice(0, 60)}
      </td>
      <td>
        <button type="button" onClick={onRedeliver} aria-label={`Redeliver ${delivery.id}`}>
          Redeliver
        </button>
      </td>
    </tr>
  );
}

export function WebhooksPage({ id }: { id: string | null }) {
  const { client } = useSession();
  const subs = usePoll(() => client.listWebhooks(), 5_000, [client]);
  const selected = id ?? subs.data?.items[0]?.id ?? null;
  const deliveries = usePoll(
    () => (selected ? client.webhookDeliveries(selected, { limit: 50 }) : Promise.resolve(null)),
    5_000,
    [client, selected],
  );
  const { notice, failure, act } = useAction(() => {
    subs.reload();
    deliveries.reload();
  });

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <ErrorNote error={subs.error ?? failure} />
      <Notice text={notice} />
      {subs.data && subs.data.items.length === 0 ? (
        <p className="muted">
          No subscription yet: <code>POST /api/v1/webhooks</code> (docs/WEBHOOKS.md).
        </p>
      ) : null}
      <div className="table-wrap">
        <table aria-label="Subscriptions">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Events</th>
              <th scope="col">Queues</th>
              <th scope="col">Owner</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {subs.data?.items.map((sub) => (
              <tr key={sub.id} data-webhook-id={sub.id} aria-selected={sub.id === selected}>
                <th scope="row">
                  <a href={links.webhooks(sub.id)}>{sub.url ?? sub.email}</a>
                  {sub.url && sub.email ? <div className="small muted">{sub.email}</div> : null}
                </th>
                <td>{sub.events.join(', ')}</td>
                <td>{sub.queues?.join(', ') ?? 'all'}</td>
                <td>{sub.allOwners ? 'every owner' : sub.owner}</td>
                <td>
                  {sub.enabled ? (
                    <span className="badge delivery-delivered">enabled</span>
                  ) : (
                    <>
                      <span className="badge delivery-failed">disabled</span>
                      <div className="small muted">{sub.disabledReason}</div>
                    </>
                  )}
                </td>
                <td>
                  {sub.enabled ? null : (
                    <button
                      type="button"
                      onClick={() => act(() => client.updateWebhook(sub.id, { enabled: true }), 'Re-enabled')}
                    >
                      Re-enable
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected ? (
        <>
          <h2 id="deliveries-title">Recent deliveries</h2>
          <ErrorNote error={deliveries.error} />
          {deliveries.data && deliveries.data.items.length === 0 ? (
            <p className="muted">No delivery yet.</p>
          ) : null}
          <div className="table-wrap">
            <table aria-labelledby="deliveries-title">
              <thead>
                <tr>
                  <th scope="col">Message</th>
                  <th scope="col">Event</th>
                  <th scope="col">Job</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Response</th>
                  <th scope="col">Took</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Last answer</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data?.items.map((delivery) => (
                  <DeliveryRow
                    key={delivery.id}
                    delivery={delivery}
                    onRedeliver={() =>
                      act(
                        () => client.redeliverWebhook(selected, delivery.id),
                        `Redelivering ${shortId(delivery.id)}`,
                      )
                    }
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
