import { describe, expect, it } from 'vitest';
import { parseClusterUrl } from '../../src/store/redis/cluster-url.js';

describe('parseClusterUrl', () => {
  it('reads every seed node and defaults the port', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.5:7000,10.0.0.6,node-3:7002/')).toEqual({
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: '10.0.0.6', port: 6379 },
        { host: 'node-3', port: 7002 },
      ],
    });
  });

  it('ignores a database path and reads shared credentials', () => {
    expect(parseClusterUrl('redis+cluster://app:p%40ss@h1:7000,h2:7001/0')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
    });
    expect(parseClusterUrl('redis+cluster://:secret@h1:7000').password).toBe('secret');
  });

  it('refuses a URL without nodes or with a bad port', () => {
    expect(() => parseClusterUrl('redis+cluster://')).toThrow(/at least one host:port/);
    expect(() => parseClusterUrl('redis+cluster://h1:99999')).toThrow(/Bad Redis Cluster node/);
    expect(() => parseClusterUrl('redis://h1:7000')).toThrow(/Not a redis\+cluster/);
  });
});
