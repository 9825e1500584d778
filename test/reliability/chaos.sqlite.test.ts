import { chaosSuite } from './chaos/chaos-suite.js';

chaosSuite('sqlite');
