/**
 * Runs one external program for a workload and ties it to the job's AbortSignal: a
 * cancel or a timeout kills the program at once (SIGKILL, so it cannot linger past the
 * job), not just the bookkeeping. Resolves with its stdout; rejects with its stderr's
 * tail when it exits non-zero, or with the abort reason.
 */
import { spawn } from 'node:child_process';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ signal: AbortSignal, onStdout?: (text: string) => void, onSpawn?: (pid: number) => void }} options
 * @returns {Promise<string>}
 */
export function runChild(command, args, { signal, onStdout, onSpawn }) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error(`aborted: ${String(signal.reason)}`));
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.stdout.setEncoding('utf8').on('data', (text) => {
      if (stdout.length < 1_000_000) stdout += text;
      onStdout?.(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text) => {
      stderr = (stderr + text).slice(-2_000);
    });
    child.once('error', (error) => {
      signal.removeEventListener('abort', kill);
      reject(error);
    });
    child.once('close', (code) => {
      signal.removeEventListener('abort', kill);
      if (signal.aborted) reject(new Error(`aborted: ${String(signal.reason)}`));
      else if (code === 0) resolve(stdout);
      else reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
    });
  });
}
