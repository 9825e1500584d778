import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.js';

interface ServeOptions {
  port: string;
  host: string;
  db: string;
  demo: boolean;
  config?: string;
  store?: string;
  leaseMs: string;
  graceMs: string;
  logLevel: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the Jobgate server')
    .option('-p, --port <port>', 'port to listen on (env PORT)', process.env.PORT ?? '8080')
    .option('--host <host>', 'address to bind (env HOST)', process.env.HOST ?? '127.0.0.1')
    .option(
      '--db <file>',
      'SQLite database file (env JOBGATE_DB)',
      process.env.JOBGATE_DB ?? './data/jobgate.db',
    )
    .option(
      '--store <url>',
      'redis://host:port/db or redis+cluster://host:port,host:port for the Redis store (env JOBGATE_STORE); default: the SQLite file',
      process.env.JOBGATE_STORE,
    )
    .option('--config <file>', 'configuration file (default ./jobgate.config.json when present)')
    .option('--demo', 'register the demo queue and its in-process handler (dev mode)', false)
    .option('--lease-ms <ms>', 'lease length before an unheartbeated job is reaped', '30000')
    .option('--grace-ms <ms>', 'shutdown wait for running jobs', '10000')
    .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info')
    .action(async (opts: ServeOptions) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(opts.config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`jobgate: invalid configuration: ${error.message}\n`);
        process.exit(2);
      }
      // Loaded here, not at the top: other commands (`jobgate worker` on a worker host) need no store or HTTP server.
      const [{ startServer }, { isRedisUrl }, { redactUrl }] = await Promise.all([
        import('./server.js'),
        import('./create-store.js'),
        import('./redact-url.js'),
      ]);
      const server = await startServer({
        port: Number(opts.port),
        host: opts.host,
        db: opts.db,
        storeUrl: opts.store,
        demo: opts.demo,
        config,
        adminKey: process.env.JOBGATE_ADMIN_KEY || undefined,
        logger: { level: opts.logLevel },
        engine: { leaseMs: Number(opts.leaseMs) },
        graceMs: Number(opts.graceMs),
        metricsToken: process.env.JOBGATE_METRICS_TOKEN || undefined,
      });
      const storeName = isRedisUrl(opts.store) ? `redis ${redactUrl(opts.store)}` : `sqlite ${opts.db}`;
      process.stdout.write(
        `Jobgate listening on ${server.url} (store: ${storeName}${opts.demo ? ', demo queue on' : ''})\n`,
      );
      if (server.generatedAdminKey) {
        process.stdout.write(
          `Dev admin key (set JOBGATE_ADMIN_KEY to choose your own): ${server.generatedAdminKey}\n`,
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
    });
}
