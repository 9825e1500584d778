import { chaosSuite } from './chaos/chaos-suite.js';

chaosSuite('redis', ['worker-kill', 'server-kill', 'worker-stop']);
