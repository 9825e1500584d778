import { Command } from 'commander';
import type { Role } from '../engine/principal.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { EXIT } from './exit-codes.js';
import { print, table } from './table.js';

interface CreateOptions extends ConnectionOptions {
  owner?: string;
  admin?: boolean;
  role?: string;
  tier?: string;
  name?: string;
  db?: string;
  store?: string;
  config?: string;
}

function usage(message: string): void {
  process.stderr.write(`jobgate keys create: ${message} (see 'jobgate keys create --help')\n`);
  process.exitCode = EXIT.usage;
}

interface KeyRecordView {
  id: string;
  prefix: string;
  owner: string;
  role: string;
  tier: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('Manage API keys (needs an admin key)');
  keys.addCommand(
    withConnection(new Command('create'))
      .description(
        'Create a key; it is printed once. With --db or --store it is made in the store directly, no server needed (the first admin key)',
      )
      .option('--owner <owner>', 'tenant id the key acts for (default "admin" with --admin)')
      .option('--admin', 'an admin key (role admin)')
      .option('--role <role>', 'admin, tenant or worker (default tenant)')
      .option('--tier <tier>', 'tier from the configuration (default free; internal for an admin key)')
      .option('--name <name>', 'a label')
      .option('--db <file>', 'make the key in this SQLite file, without a server')
      .option('--store <url>', 'make the key in this Redis store, without a server')
      .option('--config <file>', 'configuration file for the tiers (with --db or --store)')
      .action((opts: CreateOptions) => {
        const role = opts.admin ? 'admin' : (opts.role ?? 'tenant');
        const owner = opts.owner ?? (role === 'admin' ? 'admin' : undefined);
        if (!owner) return usage('--owner is required (the tenant the key acts for)');
        if (!['admin', 'tenant', 'worker'].includes(role))
          return usage(`--role must be admin, tenant or worker`);
        // Loaded only here: the other commands need no store driver.
        if (opts.db !== undefined || opts.store !== undefined)
          return import('./store-key-create.js').then(({ createKeyInStore }) =>
            createKeyInStore({ ...opts, owner, role: role as Role }),
          );
        return guarded(async () => {
          const created = await client(opts).request<{ key: string; record: KeyRecordView }>(
            'POST',
            '/api/v1/keys',
            { owner, role, tier: opts.tier ?? 'free', name: opts.name },
          );
          process.stdout.write(`${created.key}\n`);
          process.stderr.write(
            `created ${created.record.id} (${created.record.role}, tier ${created.record.tier}) — store the key now, it is not shown again\n`,
          );
        });
      }),
  );
  keys.addCommand(
    withConnection(new Command('list'))
      .description('List keys')
      .option('--json', 'print JSON', false)
      .action((opts: ConnectionOptions & { json: boolean }) =>
        guarded(async () => {
          const answer = await client(opts).request<{ items: KeyRecordView[] }>('GET', '/api/v1/keys');
          print(opts.json, answer, () =>
            table(
              ['ID', 'OWNER', 'ROLE', 'TIER', 'NAME', 'STATE'],
              answer.items.map((k) => [
                k.id,
                k.owner,
                k.role,
                k.tier,
                k.name ?? '-',
                k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
              ]),
            ),
          );
        }),
      ),
  );
  keys.addCommand(
    withConnection(new Command('revoke'))
      .description('Revoke a key at once')
      .argument('<id>', 'key id (from keys list)')
      .action((id: string, opts: ConnectionOptions) =>
        guarded(async () => {
          await client(opts).request('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`);
          process.stdout.write(`revoked ${id}\n`);
        }),
      ),
  );
  return keys;
}
