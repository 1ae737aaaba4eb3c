// A Web Worker of the in-browser audit: checks the ballots it is sent (audit/ballots.js) and
// answers in the same order. Loaded from /static/worker/js/audit/worker.js, where the server
// rewrites the @noble/ imports a worker's missing import map cannot resolve (ballot/web).
import { checkBallotJob } from './ballots.js';

self.onmessage = (event) => {
  const { id, jobs } = event.data;
  try {
    self.postMessage({ id, answers: jobs.map(checkBallotJob) });
  } catch (error) {
    self.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
};
