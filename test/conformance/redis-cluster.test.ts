import { redisConformance } from './redis-conformance.js';

// The same suites on Redis Cluster: a script that strayed across slots would fail here.
redisConformance('redis cluster', { cluster: true });
