import { Command } from 'commander';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';

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
      .description('Create a key; it is printed once')
      .requiredOption('--owner <owner>', 'tenant id the key acts for')
      .option('--role <role>', 'admin, tenant or worker', 'tenant')
      .option('--tier <tier>', 'tier from the configuration', 'free')
      .option('--name <name>', 'a label')
      .action((opts: ConnectionOptions & { owner: string; role: string; tier: string; name?: string }) =>
        guarded(async () => {
          const created = await client(opts).request<{ key: string; record: KeyRecordView }>(
            'POST',
            '/api/v1/keys',
            {
              owner: opts.owner,
              role: opts.role,
              tier: opts.tier,
              name: opts.name,
            },
          );
          process.stdout.write(`${created.key}\n`);
          process.stderr.write(
            `created ${created.record.id} (${created.record.role}, tier ${created.record.tier}) — store the key now, it is not shown again\n`,
          );
        }),
      ),
  );
  keys.addCommand(
    withConnection(new Command('list'))
      .description('List keys')
      .action((opts: ConnectionOptions) =>
        guarded(async () => {
          const { items } = await client(opts).request<{ items: KeyRecordView[] }>('GET', '/api/v1/keys');
          for (const k of items) {
            process.stdout.write(
              `${[k.id, k.owner, k.role, k.tier, k.name ?? '-', k.revokedAt ? `revoked ${k.revokedAt}` : 'active'].join('  ')}\n`,
            );
          }
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
