#!/usr/bin/env node
// Cost of the browser ballot module in Node: encrypt + prove, and verify, for 2, 3 and 5
// options (medians in milliseconds, fresh CSPRNG randomness, election key table warm).
//
// Output (one JSON object on stdout, read by `ballot bench crypto`):
//   {"node_encrypt_ms": {"2": …, "3": …, "5": …}, "node_verify_ms": {…},
//    "node_first_encrypt_ms": …, "node_version": "v20…"}  (first: includes building key tables)
// Usage: node scripts/bench_node.mjs [--repeat N]

import {
  BallotContext,
  baseMulSecret,
  encryptBallot,
  randomScalar,
  verifyBallot,
} from '../ballot/web/static/js/crypto/index.js';

const OPTION_COUNTS = [2, 3, 5];

function parseRepeat(argv) {
  const i = argv.indexOf('--repeat');
  const n = i >= 0 ? Number(argv[i + 1]) : 30;
  if (!Number.isInteger(n) || n < 1) throw new Error('--repeat expects a positive integer');
  return n;
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeMs(fn, repeat) {
  fn(); // warm-up (JIT, tables)
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return Math.round(median(samples) * 1000) / 1000;
}

const repeat = parseRepeat(process.argv.slice(2));
const key = baseMulSecret(randomScalar());

const tableStart = performance.now();
const first = new BallotContext({ sessionId: 'bench', roundNumber: 1, electionKey: key, delegationId: 'delegation', options: ['a', 'b'] });
encryptBallot(first, 0); // builds the election key's table and G's
const tableMs = Math.round((performance.now() - tableStart) * 1000) / 1000;

const encrypt = {};
const verify = {};
for (const n of OPTION_COUNTS) {
  const ctx = new BallotContext({
    sessionId: 'bench',
    roundNumber: 1,
    electionKey: key,
    delegationId: 'delegation',
    options: Array.from({ length: n }, (_, i) => `option ${i}`),
  });
  const ballot = encryptBallot(ctx, n - 1);
  encrypt[String(n)] = timeMs(() => encryptBallot(ctx, 0), repeat);
  verify[String(n)] = timeMs(() => verifyBallot(ctx, ballot), repeat);
}

process.stdout.write(
  `${JSON.stringify({
    node_encrypt_ms: encrypt,
    node_verify_ms: verify,
    node_first_encrypt_ms: tableMs,
    node_version: process.version,
  })}\n`,
);
