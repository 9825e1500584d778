/**
 * The real workloads: speech (espeak-ng), image (ImageMagick), video (ffmpeg) and
 * browser-test (Chromium). `jobgate serve --demo` registers those whose programs are
 * installed, as queues of the same names; this module's default export is also a
 * handlers map for `jobgate worker --handlers` and pools (`queues.<name>.pool.handlers`).
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { browserBinary, browserTest } from './browser-test.js';
import { image, imageBinary } from './image.js';
import { speech, speechBinary } from './speech.js';
import { video, videoBinary } from './video.js';

const onPath = (name) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Each workload, the program it needs, the Debian package that has it, and its queue settings. */
export const workloads = [
  {
    queue: 'speech',
    handler: speech,
    present: () => existsSync(speechBinary),
    apt: 'espeak-ng',
    maxWorkers: 4,
  },
  {
    queue: 'image',
    handler: image,
    present: () => existsSync(imageBinary),
    apt: 'imagemagick',
    maxWorkers: 4,
  },
  { queue: 'video', handler: video, present: () => onPath(videoBinary), apt: 'ffmpeg', maxWorkers: 2 },
  {
    queue: 'browser-test',
    handler: browserTest(),
    present: () => existsSync(browserBinary),
    apt: 'chromium',
    maxWorkers: 5,
  },
];

export default Object.fromEntries(workloads.map((w) => [w.queue, w.handler]));
