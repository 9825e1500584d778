/** The example config's pool points at a handlers module that loads and serves its queue. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHandlers } from '../../src/cli/worker-command.js';
import { poolSettings } from '../../src/cli/worker-plane.js';
import { validateConfig } from '../../src/config/load-config.js';

describe('jobgate.config.example.json pools', () => {
  it('validates, and each pool’s handlers module exports a handler for its queue', async () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../jobgate.config.example.json', import.meta.url), 'utf8'),
    );
    const pools = poolSettings(validateConfig(raw, 'example'));
    expect(Object.keys(pools).length).toBeGreaterThan(0);
    for (const [queue, settings] of Object.entries(pools)) {
      const handlers = await loadHandlers(settings.handlers!);
      expect(typeof handlers[queue]).toBe('function');
    }
  });
});
