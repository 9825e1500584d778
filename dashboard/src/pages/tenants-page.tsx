/** Every tenant (admin): jobs by state, today's usage against its quota, rate-limit refusals, tiers. Polled every 10 s. */
import { count, time } from '../components/format.js';
import { ErrorNote } from '../components/notice.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';

export function TenantsPage() {
  const { client } = useSession();
  const tenants = usePoll(() => client.tenants(), 10_000, [client]);
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <ErrorNote error={tenants.error} />
      {tenants.data && tenants.data.items.length === 0 ? (
        <p className="muted">No tenant yet: create a key.</p>
      ) : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Tier</th>
              <th scope="col">Running</th>
              <th scope="col">Queued</th>
              <th scope="col">Scheduled</th>
              <th scope="col">Jobs today</th>
              <th scope="col">Rate-limited today</th>
              <th scope="col">Keys</th>
            </tr>
          </thead>
          <tbody>
            {tenants.data?.items.map((tenant) => {
              const capped = tenant.countsCapped ? '+' : '';
              return (
                <tr key={tenant.owner} data-owner={tenant.owner}>
                  <th scope="row">
                    <a href={links.jobs({ owner: tenant.owner })}>{tenant.owner}</a>
                  </th>
                  <td>{tenant.tiers.join(', ') || '—'}</td>
                  <td>
                    <a href={links.jobs({ owner: tenant.owner, status: 'running' })}>
                      {count(tenant.running)}
                    </a>
                  </td>
                  <td>
                    <a href={links.jobs({ owner: tenant.owner, status: 'queued' })}>
                      {count(tenant.queued)}
                      {capped}
                    </a>
                  </td>
                  <td>
                    {count(tenant.scheduled)}
                    {capped}
                  </td>
                  <td className="usage-cell">
                    {tenant.dailyLimit === null ? (
                      <span>{count(tenant.usage.jobsUsed)} (no limit)</span>
                    ) : (
                      <>
                        <meter
                          min={0}
                          max={Math.max(1, tenant.dailyLimit)}
                          value={tenant.usage.jobsUsed}
                          aria-label={`Daily jobs used by ${tenant.owner}`}
                        />{' '}
                        {count(tenant.usage.jobsUsed)} / {count(tenant.dailyLimit)}
                      </>
                    )}
                    <div className="muted small">resets {time(tenant.usage.dailyLimitResetsAt)}</div>
                  </td>
                  <td>{count(tenant.rateLimitedToday)}</td>
                  <td>{tenant.activeKeys}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Rate-limit refusals are this server’s count since the quota day began. A “+” means the count stopped
        at its cap.
      </p>
    </section>
  );
}
