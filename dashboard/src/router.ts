/**
 * Hash routing (#/jobs/…): the server serves one index.html at `/` and never needs to
 * know the dashboard's paths. Filters live in the hash's query so a view can be linked.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'overview' }
  | { page: 'queue'; queue: string }
  | { page: 'jobs'; query: URLSearchParams }
  | { page: 'job'; id: string }
  | { page: 'tenants' }
  | { page: 'keys' }
  | { page: 'webhooks'; id: string | null }
  | { page: 'schedules' }
  | { page: 'missing'; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 0) return { page: 'overview' };
  if (first === 'queues' && second && parts.length === 2) return { page: 'queue', queue: second };
  if (first === 'jobs' && parts.length === 1) return { page: 'jobs', query: new URLSearchParams(search) };
  if (first === 'jobs' && second && parts.length === 2) return { page: 'job', id: second };
  if (first === 'tenants' && parts.length === 1) return { page: 'tenants' };
  if (first === 'keys' && parts.length === 1) return { page: 'keys' };
  if (first === 'schedules' && parts.length === 1) return { page: 'schedules' };
  if (first === 'webhooks' && parts.length <= 2) return { page: 'webhooks', id: second ?? null };
  return { page: 'missing', path };
}

export const links = {
  overview: () => '#/',
  queue: (queue: string) => `#/queues/${encodeURIComponent(queue)}`,
  jobs: (query?: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
    const qs = params.toString();
    return `#/jobs${qs ? `?${qs}` : ''}`;
  },
  job: (id: string) => `#/jobs/${encodeURIComponent(id)}`,
  tenants: () => '#/tenants',
  keys: () => '#/keys',
  schedules: () => '#/schedules',
  webhooks: (id?: string) => (id ? `#/webhooks/${encodeURIComponent(id)}` : '#/webhooks'),
};

export function navigate(href: string): void {
  window.location.hash = href.replace(/^#/, '');
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
