/**
 * The SDKs' import graphs, followed from their entry points through every relative
 * import (type-only ones too): the client imports nothing outside src/client and no
 * package or Node module (it runs in browsers); the worker SDK reaches no server-side
 * module (store, engine, http, cli, pool) and no package such as better-sqlite3 or
 * fastify, so a worker host needs neither.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const specifierPattern =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Graph {
  /** Files reached, relative to the repository root. */
  files: Set<string>;
  /** Bare specifiers (packages, node: modules) with the file that imports each. */
  external: Map<string, string>;
}

function importGraph(entry: string): Graph {
  const graph: Graph = { files: new Set(), external: new Map() };
  const pending = [resolve(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const name = relative(root, file);
    if (graph.files.has(name)) continue;
    graph.files.add(name);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(specifierPattern)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith('.')) {
        graph.external.set(specifier, name);
        continue;
      }
      pending.push(join(dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  }
  return graph;
}

describe('SDK import graphs', () => {
  it('the client (jobgate/client) imports only files of src/client and nothing external', () => {
    const graph = importGraph('src/client/index.ts');
    expect(graph.files.size).toBeGreaterThan(2);
    for (const file of graph.files) expect(file.startsWith(join('src', 'client'))).toBe(true);
    expect([...graph.external.keys()]).toEqual([]);
  });

  it('the worker SDK (jobgate/worker) reaches no server-side module and no package', () => {
    const graph = importGraph('src/worker/remote/index.ts');
    expect(graph.files).toContain(join('src', 'worker', 'queue-worker.ts'));
    // With the separator: 'src/cli' must not match 'src/client' (the server-free SDK types it may use).
    const serverSide = ['store', 'engine', 'http', 'cli', 'pool', 'config'].map(
      (dir) => `${join('src', dir)}${sep}`,
    );
    for (const file of graph.files) {
      for (const dir of serverSide) expect(file.startsWith(dir), `${file} is server-side`).toBe(false);
    }
    for (const [specifier, importer] of graph.external)
      expect(specifier.startsWith('node:'), `${importer} imports ${specifier}`).toBe(true);
  });

  it('package.json exports both SDKs from dist', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
    };
    expect(pkg.exports['./client']).toBe('./dist/client/index.js');
    expect(pkg.exports['./worker']).toBe('./dist/worker/remote/index.js');
  });
});
