import { redisConformance } from './redis-conformance.js';

redisConformance('redis', { cluster: false });
