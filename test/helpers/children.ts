/**
 * Child processes owned by a test file: every one is SIGKILLed by `killAll()` (call it
 * in afterEach), so no test leaves a server or worker running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const jobgateBin = join(repoRoot, 'bin', 'jobgate.js');

export interface Spawned {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

export function spawnNode(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

/** Resolves once `pattern` appears in the child's output; fails with the output if it exits first. */
export async function waitForOutput(
  child: Spawned,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = child.output().match(pattern);
    if (match) return match;
    if (child.process.exitCode !== null)
      throw new Error(`child exited (${child.process.exitCode}) before ${pattern}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts `jobgate serve` and resolves with the URL it prints. */
export async function startJobgate(
  args: string[],
  env: Record<string, string> = {},
): Promise<Spawned & { url: string }> {
  const child = spawnNode([jobgateBin, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    PORT: '',
    ...env,
  });
  const [, url] = await waitForOutput(child, /Jobgate listening on (http:\/\/\S+)/);
  return { ...child, url: url! };
}

export async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }),
  );
  children.clear();
}
