// The in-browser audit's worker pool: ballots checked in chunks by one Web Worker per core,
// answers returned in the jobs' order (audit/engine.js's `checkBallots`).
import { checkInline } from './ballots.js';

export const WORKER_URL = '/static/worker/js/audit/worker.js';
const CHUNK = 16;

/** How many workers: one per logical core the browser reports, 2 to 8. */
export function workerCount() {
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 2;
  return Math.min(8, Math.max(2, cores));
}

/**
 * Check `jobs` with `n` workers; `progress(done)` after every chunk. Falls back to checking
 * inline (slower, same answers) where workers cannot start.
 */
export async function checkWithWorkers(jobs, progress = () => {}, n = workerCount()) {
  if (typeof Worker === 'undefined') return checkInline(jobs, progress);
  const answers = new Array(jobs.length);
  const workers = Array.from({ length: Math.min(n, Math.ceil(jobs.length / CHUNK)) }, () => new Worker(WORKER_URL, { type: 'module' }));
  let next = 0;
  let done = 0;
  try {
    await Promise.all(workers.map((worker) => new Promise((resolve, reject) => {
      const send = () => {
        if (next >= jobs.length) {
          resolve();
          return;
        }
        const start = next;
        next = Math.min(jobs.length, next + CHUNK);
        worker.postMessage({ id: start, jobs: jobs.slice(start, next) });
      };
      worker.onmessage = (event) => {
        const { id, answers: chunk, error } = event.data;
        if (error) {
          reject(new Error(error));
          return;
        }
        chunk.forEach((answer, i) => { answers[id + i] = answer; });
        done += chunk.length;
        progress(done);
        send();
      };
      worker.onerror = (event) => {
        event.preventDefault?.();
        reject(new Error(`an audit worker failed: ${event.message || 'it could not start'}`));
      };
      send();
    })));
  } finally {
    for (const worker of workers) worker.terminate();
  }
  return answers;
}
