/**
 * Every Redis key Jobgate uses starts with `<prefix>:{<tag>}`. The hash tag puts them
 * all in one Redis Cluster slot, so each Lua script (which builds its keys from this
 * base, passed as KEYS[1]) stays inside one slot. The Lua side (lua/includes/common.lua)
 * names the individual keys; this file names the ones TypeScript reads directly.
 */
export interface RedisKeys {
  base: string;
  job(id: string): string;
  queues: string;
  /** A queue's jobs in one status, by seq; its ZCARD is the status count. */
  statusSet(queue: string, status: string): string;
  queue(queue: string): string;
  usage(owner: string, day: number): string;
  keys: string;
  keyIds: string;
  finished(queue: string): string;
  config: string;
  events: string;
}

export function redisKeys(prefix = 'jg', tag = 'jobgate'): RedisKeys {
  const base = `${prefix}:{${tag}}`;
  return {
    base,
    job: (id) => `${base}:job:${id}`,
    queues: `${base}:queues`,
    statusSet: (queue, status) => `${base}:qs:${queue}:${status}`,
    queue: (queue) => `${base}:q:${queue}`,
    usage: (owner, day) => `${base}:usage:${owner}:${day}`,
    keys: `${base}:keys`,
    keyIds: `${base}:keyids`,
    finished: (queue) => `${base}:fin:${queue}`,
    config: `${base}:config`,
    events: `${base}:events`,
  };
}
