/**
 * The dashboard's first load stays small: the JavaScript that index.html loads
 * (its module entry and modulepreloads) is under 250 KB gzipped. Reads the build in
 * dist/dashboard/ (`npm run build`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dashboardDir, requireBuild } from './harness.js';

const firstLoadJsBudgetBytes = 250 * 1024;

function firstLoadAssets(html: string): { js: string[]; css: string[] } {
  const js = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((match) => match[1]!);
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((match) => match[1]!);
  return { js, css };
}

const gzipped = (path: string) => gzipSync(readFileSync(join(dashboardDir, path.replace(/^\//, '')))).length;

describe('dashboard bundle budget', () => {
  it(`loads under ${firstLoadJsBudgetBytes / 1024} KB of gzipped JavaScript first`, () => {
    requireBuild();
    const html = readFileSync(join(dashboardDir, 'index.html'), 'utf8');
    const { js, css } = firstLoadAssets(html);
    expect(js.length).toBeGreaterThan(0);
    for (const path of [...js, ...css]) expect(path).toMatch(/^\/assets\/[\w.-]+-[\w-]{8}\.(js|css)$/);
    const jsBytes = js.reduce((sum, path) => sum + gzipped(path), 0);
    const cssBytes = css.reduce((sum, path) => sum + gzipped(path), 0);
    console.log(
      `dashboard first load: ${(jsBytes / 1024).toFixed(1)} KB JS + ${(cssBytes / 1024).toFixed(1)} KB CSS gzipped`,
    );
    expect(jsBytes).toBeLessThan(firstLoadJsBudgetBytes);
  });
});
