/** The `jobgate` command. Every subcommand but `serve` talks to a server over HTTP (the client SDK). */

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { artifactsCommand, schedulesCommand, webhooksCommand } from './feature-commands.js';
import { jobActionCommands } from './job-action-commands.js';
import { jobsCommand, submitCommand } from './job-commands.js';
import { keysCommand } from './keys-command.js';
import { queueCommands } from './queue-commands.js';
import { serveCommand } from './serve-command.js';
import { statusCommand } from './status-command.js';
import { workerCommand } from './worker-command.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const program = new Command()
  .name('jobgate')
  .description('A capacity-managed job queue for expensive work')
  .version(version, '-V, --version');

program.addCommand(serveCommand());
program.addCommand(submitCommand());
program.addCommand(jobsCommand());
for (const command of jobActionCommands()) program.addCommand(command);
for (const command of queueCommands()) program.addCommand(command);
program.addCommand(schedulesCommand());
program.addCommand(webhooksCommand());
program.addCommand(artifactsCommand());
program.addCommand(keysCommand());
program.addCommand(statusCommand());
program.addCommand(workerCommand());

/**
 * A usage error is one line naming the command and where its help is, then exit 2;
 * commander's own exits (help, version) keep their code. addCommand does not pass these
 * settings down, so every command gets them.
 */
function oneLineErrors(command: Command): void {
  const path: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) path.unshift(at.name());
  const name = path.join(' ');
  command.exitOverride().configureOutput({
    outputError: (text, write) =>
      write(`${name}: ${text.trim().replace(/^error: /, '')} (see '${name} --help')\n`),
  });
  for (const sub of command.commands) oneLineErrors(sub);
}
oneLineErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    // An unexpected failure: one line (the stack with JOBGATE_DEBUG=1).
    const text = process.env.JOBGATE_DEBUG ? String((error as Error).stack) : (error as Error).message;
    process.stderr.write(`jobgate: ${text}\n`);
    process.exitCode = EXIT.failure;
  }
}
