/**
 * The example handlers keep one abort listener per job, not one per step: a 20-frame
 * render left 20 on its signal (MaxListenersExceededWarning past 10).
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobHandler } from '../../src/worker/handler.js';

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe.each([
  ['examples/handlers.js', '../../examples/handlers.js', 'render', { frames: 20 }],
  ['test/fixtures/handlers.mjs', '../fixtures/handlers.mjs', 'sleep', { ms: 1 }],
])('%s', (_name, path, queue, payload) => {
  it('leaves no abort listener behind, step after step', async () => {
    process.on('warning', onWarning);
    const handlers = (await import(path)).default as Record<string, JobHandler>;
    const controller = new AbortController();
    const handler = handlers[queue]!;
    const runs = queue === 'render' ? 1 : 20;
    for (let i = 0; i < runs; i++) {
      await handler(
        { id: `j${i}`, queue, payload } as never,
        {
          signal: controller.signal,
          progress: async () => {},
          attempt: 1,
        } as never,
      );
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  }, 15_000);
});
