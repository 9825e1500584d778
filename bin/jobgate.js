#!/usr/bin/env node
// The CLI runs from dist/ (tsc's output). `npm install` builds it (scripts/prepare.mjs);
// a checkout without it gets one line saying how, not a module-not-found stack.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'jobgate: dist/ is not built; run `npm run build` (or `npm install`) in the jobgate folder\n',
  );
  process.exit(1);
}
await import(main.href);
