/** The `jobgate` command. Every subcommand but `serve` talks to a server over HTTP (the client SDK). */
import { Command, InvalidArgumentError } from 'commander';
import { jobsCommand, submitCommand } from './job-commands.js';
import { keysCommand } from './keys-command.js';
import { serveCommand } from './serve-command.js';
import { statusCommand } from './status-command.js';
import { workerCommand } from './worker-command.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be a port number');
  return port;
}

const program = new Command()
  .name('jobgate')
  .description('A capacity-managed job queue for expensive work')
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(submitCommand());
program.addCommand(jobsCommand());
program.addCommand(keysCommand());
program.addCommand(statusCommand());
program.addCommand(workerCommand());

await program.parseAsync(process.argv);
