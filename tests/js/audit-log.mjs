// Run the browser's auditor (ballot/web/static/js/audit/) on an exported log from Node and
// print its report as JSON: the tests compare it with `ballot audit`'s on the same log.
//
//   node tests/js/audit-log.mjs LOG... [--receipt FILE]... [--checkpoint-key KEY] [--allow-incomplete]
//
// One JSON report per line, one per LOG, in order (many logs in one process: the tests audit
// dozens of rewritten logs). A ballot's checks are a pure function of its job (context, ballot,
// signature, enrolled key: checkBallotJob), and most rewrites leave the ballots as they are, so
// the answers are kept across the logs of one process, keyed by the whole job: each distinct
// ballot is still checked by the browser's own code, once.
import { readFileSync } from 'node:fs';
import { Auditor } from '../../ballot/web/static/js/audit/engine.js';
import { checkBallotJob } from '../../ballot/web/static/js/audit/ballots.js';
import { b64d } from '../../ballot/web/static/js/crypto/index.js';

const args = process.argv.slice(2);
const receipts = [];
let key = null;
let allowIncomplete = false;
const logs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--receipt') receipts.push(JSON.parse(readFileSync(args[++i], 'utf8')));
  else if (args[i] === '--checkpoint-key') key = b64d(args[++i], 32, 'checkpoint key');
  else if (args[i] === '--allow-incomplete') allowIncomplete = true;
  else logs.push(args[i]);
}
const answers = new Map();
async function checkKept(jobs, progress = () => {}) {
  const out = jobs.map((job) => {
    const key = JSON.stringify(job);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = checkBallotJob(job);
      answers.set(key, answer);
    }
    return { ...answer };
  });
  progress(out.length);
  return out;
}

for (const log of logs) {
  const auditor = new Auditor({ checkpointKey: key, signedReceipts: receipts, allowIncomplete });
  const started = Date.now();
  for (const line of readFileSync(log, 'utf8').split('\n')) if (line !== '') auditor.feedLine(line);
  const report = await auditor.finish(checkKept);
  report.wall_ms = Date.now() - started;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
