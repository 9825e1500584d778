import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { EXIT } from './exit-codes.js';
import { logLevels, parsePort, positiveInteger } from './option-values.js';

interface ServeOptions {
  port: number;
  host: string;
  db: string;
  demo: boolean;
  config?: string;
  store?: string;
  storeTimeoutMs?: number;
  leaseMs: number;
  graceMs: number;
  logLevel: string;
}

export function serveCommand(): Command {
  return (
    new Command('serve')
      .description('Run the Jobgate server')
      .addOption(
        new Option('-p, --port <port>', 'port to listen on').env('PORT').default(8080).argParser(parsePort),
      )
      .addOption(new Option('--host <host>', 'address to bind').env('HOST').default('127.0.0.1'))
      .addOption(
        new Option('--db <file>', 'SQLite database file').env('JOBGATE_DB').default('./data/jobgate.db'),
      )
      // Read by commander, so --help names the variable, never a URL's password.
      .addOption(
        new Option(
          '--store <url>',
          'redis://host:port/db or redis+cluster://host:port,host:port for the Redis store; default: the SQLite file',
        ).env('JOBGATE_STORE'),
      )
      .addOption(
        new Option('--store-timeout-ms <ms>', 'longest wait for one Redis reply before answering 503')
          .env('JOBGATE_STORE_TIMEOUT_MS')
          .argParser(positiveInteger),
      )
      .option('--config <file>', 'configuration file (default ./jobgate.config.json when present)')
      .option('--demo', 'register the demo queue and its in-process handler (dev mode)', false)
      .option(
        '--lease-ms <ms>',
        'lease length before an unheartbeated job is reaped',
        positiveInteger,
        30_000,
      )
      .option('--grace-ms <ms>', 'shutdown wait for running jobs', positiveInteger, 10_000)
      .addOption(
        new Option('--log-level <level>', 'log level').env('LOG_LEVEL').default('info').choices(logLevels),
      )
      .action(async (opts: ServeOptions) => {
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig(opts.config);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          process.stderr.write(`jobgate: invalid configuration: ${error.message}\n`);
          process.exit(EXIT.usage);
        }
        // Loaded here, not at the top: other commands (`jobgate worker` on a worker host) need no store or HTTP server.
        const [{ startServer }, { isRedisUrl }, { redactUrl }] = await Promise.all([
          import('./server.js'),
          import('./create-store.js'),
          import('./redact-url.js'),
        ]);
        const server = await startServer({
          port: opts.port,
          host: opts.host,
          db: opts.db,
          storeUrl: opts.store,
          storeTimeoutMs: opts.storeTimeoutMs,
          demo: opts.demo,
          workloads: opts.demo,
          config,
          adminKey: process.env.JOBGATE_ADMIN_KEY || undefined,
          logger: { level: opts.logLevel },
          engine: { leaseMs: opts.leaseMs },
          graceMs: opts.graceMs,
          metricsToken: process.env.JOBGATE_METRICS_TOKEN || undefined,
        }).catch((error: unknown) => {
          const { line, code } = startFailure(error as NodeJS.ErrnoException, opts);
          process.stderr.write(`jobgate serve: ${line}\n`);
          process.exit(code);
        });
        // Production without JOBGATE_ADMIN_KEY: only an admin key already in the store gives
        // anyone admin access; with none, refuse rather than run a server nobody can manage.
        if (process.env.NODE_ENV === 'production' && !process.env.JOBGATE_ADMIN_KEY) {
          const refuse = async (ready: boolean) => {
            if (!ready || (await server.keys.list()).some((key) => key.role === 'admin' && !key.revokedAt))
              return;
            const where = isRedisUrl(opts.store) ? `--store ${redactUrl(opts.store)}` : `--db ${opts.db}`;
            process.stderr.write(
              `jobgate serve: no admin key in production (NODE_ENV=production): set JOBGATE_ADMIN_KEY, or create one with \`jobgate keys create --admin ${where}\`\n`,
            );
            await server.close();
            process.exit(EXIT.usage);
          };
          if (server.connectedAtOnce) await refuse(await server.storeReady);
          else void server.storeReady.then(refuse);
        }
        const storeName = isRedisUrl(opts.store) ? `redis ${redactUrl(opts.store)}` : `sqlite ${opts.db}`;
        process.stdout.write(
          `Jobgate listening on ${server.url} (store: ${storeName}${opts.demo ? ', demo queue on' : ''})\n`,
        );
        if (server.generatedAdminKey) {
          const saved = saveDevKey(opts.db, server.generatedAdminKey);
          process.stdout.write(
            `Dev admin key (set JOBGATE_ADMIN_KEY to choose your own${saved ? `; also in ${saved}` : ''}): ${server.generatedAdminKey}\n`,
          );
        }
        let signals = 0;
        const shutdown = (signal: string) => {
          signals++;
          if (signals > 1) process.exit(1);
          process.stdout.write(`${signal}: draining (up to ${opts.graceMs} ms)…\n`);
          server.close().then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(`shutdown failed: ${String(error)}\n`);
              process.exit(1);
            },
          );
        };
        process.on('SIGTERM', () => shutdown('SIGTERM'));
        process.on('SIGINT', () => shutdown('SIGINT'));
      })
  );
}

/** Why the server could not start, in one line, and the exit code that says what kind of failure it is. */
function startFailure(error: NodeJS.ErrnoException, opts: ServeOptions): { line: string; code: number } {
  if (error.code === 'EADDRINUSE')
    return {
      line: `${opts.host}:${opts.port} is already in use (EADDRINUSE): stop what listens there or choose another --port`,
      code: EXIT.conflict,
    };
  if (error.code === 'EACCES')
    return {
      line: `not allowed to listen on ${opts.host}:${opts.port} (EACCES): choose a port above 1023`,
      code: EXIT.failure,
    };
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return {
      line: `cannot bind --host ${opts.host} (${error.code}): not an address of this machine`,
      code: EXIT.usage,
    };
  return { line: `cannot start: ${error.message}`, code: EXIT.failure };
}

/**
 * A generated dev key is also written beside the SQLite file (mode 600), so a script or
 * the README's walkthrough can read it (`KEY=$(cat data/dev-admin-key)`). Dev mode only:
 * production never generates a key.
 */
function saveDevKey(db: string, key: string): string | null {
  if (db === ':memory:') return null;
  const file = join(dirname(db), 'dev-admin-key');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return file;
  } catch {
    return null;
  }
}
