/**
 * Every route the app registered, read from Fastify's own route table
 * (`app.printRoutes({ commonPrefix: false })`): a tree whose node labels, joined from the
 * root down, are the paths. Nothing here lists routes by hand, so a new route shows up
 * in the suites that walk this table the moment it is registered.
 */
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** Fastify's pattern: `/api/v1/jobs/:id`. */
  url: string;
}

export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    // Each level of the tree is four characters wide: "│   " or "    ", then "├── " or "└── ".
    const match = /^((?:[│ ] {3})*)(?:[├└]── )?(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) throw new Error(`unexpected route table line: ${line}`);
    const depth = line.startsWith('└── ') || line.startsWith('├── ') ? 1 : match[1]!.length / 4 + 1;
    const label = match[2]!;
    stack.length = depth - 1;
    stack.push(label);
    if (!match[3]) continue;
    const url = stack.join('');
    for (const method of match[3].split(',').map((m) => m.trim())) routes.push({ method, url });
  }
  // The root node prints at depth 0 without a branch mark.
  return routes.map((route) => ({ ...route, url: route.url.replace(/^\/\//, '/') }));
}
