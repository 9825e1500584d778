/**
 * `redis+cluster://[user:password@]host:port[,host:port…][/]`: the seed nodes of a Redis
 * Cluster (the client learns the rest from them) and the credentials every node shares.
 * A cluster has one database, so a path is ignored.
 */
export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
}

export const CLUSTER_SCHEME = 'redis+cluster://';

export function parseClusterUrl(url: string): ClusterUrl {
  if (!url.startsWith(CLUSTER_SCHEME)) throw new Error(`Not a ${CLUSTER_SCHEME} URL: ${url}`);
  const rest = url.slice(CLUSTER_SCHEME.length).split('/')[0]!;
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const nodes = (at >= 0 ? rest.slice(at + 1) : rest)
    .split(',')
    .filter((part) => part.length > 0)
    .map((part) => {
      const colon = part.lastIndexOf(':');
      const host = colon >= 0 ? part.slice(0, colon) : part;
      const port = colon >= 0 ? Number(part.slice(colon + 1)) : 6379;
      if (!host || !Number.isInteger(port) || port <= 0 || port > 65_535)
        throw new Error(`Bad Redis Cluster node "${part}" in ${CLUSTER_SCHEME} URL`);
      return { host, port };
    });
  if (nodes.length === 0) throw new Error(`A ${CLUSTER_SCHEME} URL needs at least one host:port`);
  const colon = auth.indexOf(':');
  const username = colon >= 0 ? auth.slice(0, colon) : auth;
  const password = colon >= 0 ? auth.slice(colon + 1) : undefined;
  return {
    nodes,
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
  };
}
