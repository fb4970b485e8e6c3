// Body of a sweep worker thread: runs the jobs the main thread posts, one at a time.

import { parentPort } from 'node:worker_threads';
import { executeJob, type SweepJob } from './execute.js';

const port = parentPort;
if (port !== null) {
  port.on('message', (job: SweepJob) => {
    port.postMessage(executeJob(job));
  });
}
