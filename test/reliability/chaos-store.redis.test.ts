import { chaosSuite } from './chaos/chaos-suite.js';

// Redis itself killed and stopped, apart from the worker and server faults (chaos.redis.test.ts) so both files run in parallel.
chaosSuite('redis', ['store-kill', 'store-stop']);
