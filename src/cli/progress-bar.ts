import type { JobView } from '../client/index.js';

const width = 30;

/** One line: `[#########.........]  45%  running  rendering — Stage 2 of 4`. */
export function progressLine(job: JobView): string {
  const percent = Math.max(0, Math.min(100, job.progress.percent));
  const filled = Math.round((percent / 100) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const stage = job.progress.stage ? `  ${job.progress.stage}` : '';
  const message = job.progress.message ? ` — ${job.progress.message}` : '';
  const error = job.error && job.status !== 'completed' ? `  (${job.error.message})` : '';
  return `${bar} ${String(Math.round(percent)).padStart(3)}%  ${job.status}${stage}${message}${error}`;
}
