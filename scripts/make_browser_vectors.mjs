#!/usr/bin/env node
// Browser → Python: ballots made by the browser module (ballot/web/static/js/crypto/) with fresh
// CSPRNG randomness, a fresh election key and a fresh Ed25519 delegation key, for Python's
// verifier to check (tests/crypto/test_crossvectors.py).
//
// Output: one JSON document (stdout, or --out PATH), format_version 1:
//   valid          1..8-option ballots (random choice): context and its bytes, ballot bytes and
//                  JSON, signing message, signature, tracking hash and code
//   invalid        tampered / malformed ballots with the error code the browser's verifier
//                  reports (Python must report the same)
//   bad_signatures signatures Python must refuse
//   deterministic  ballots made with seededScalars(seed): Python must produce the same bytes
// The election secret key is included (a throwaway test key) so that Python can check the
// plaintexts. Usage: node scripts/make_browser_vectors.mjs [--out PATH]
// The committed snapshot is made with --out tests/vectors/browser/ballots.json; the Python test
// checks it and a fresh run (every run differs: fresh keys and nonces).

import { writeFileSync } from 'node:fs';
import * as C from '../ballot/web/static/js/crypto/index.js';

const hex = C.toHex;
const OPTION_NAMES = ['Ana Ruiz', 'Bao Chen', 'Chidi Okafor', 'Dana Novák', 'Émile Durand', 'Fatima Zahra', '王小明'];

function contextJSON(ctx) {
  return {
    session_id: ctx.sessionId,
    round_number: ctx.roundNumber,
    election_key: hex(C.enc(ctx.electionKey)),
    delegation_id: ctx.delegationId,
    options: [...ctx.options],
    encoded: hex(ctx.encode()),
  };
}

/** The code the browser's decoder + verifier reports for a wire form, or null if valid. */
function browserVerdict(ctx, form) {
  try {
    const ballot = form instanceof Uint8Array ? C.ballotFromBytes(form) : C.ballotFromJSON(form);
    C.verifyBallot(ctx, ballot);
    return null;
  } catch (e) {
    if (!(e instanceof C.CryptoError)) throw e;
    return e.code;
  }
}

function replaceAt(bytes, offset, replacement) {
  const out = Uint8Array.from(bytes);
  out.set(replacement, offset);
  return out;
}

/** 32 bytes little-endian of a non-negative integer below 2^256 (may exceed L, on purpose). */
function le32(value) {
  return Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
}

function randomInt(n) {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0] % n;
}

function main(argv) {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : null;

  const secretKey = C.randomScalar();
  const electionKey = C.baseMulSecret(secretKey);
  const seed = C.generateSigningKey();
  const publicKey = C.publicKeyFromSeed(seed);
  const session = `council-${hex(globalThis.crypto.getRandomValues(new Uint8Array(4)))}/session-1`;
  const makeContext = (n, changes = {}) =>
    new C.BallotContext({
      sessionId: session,
      roundNumber: 1 + randomInt(20),
      electionKey,
      delegationId: 'delegation:FR',
      options: [...OPTION_NAMES.slice(0, n - 1), 'blank'],
      ...changes,
    });

  const valid = [];
  for (let n = 1; n <= 8; n++) {
    const ctx = makeContext(n, { roundNumber: n });
    const choice = randomInt(n);
    const ballot = C.encryptBallot(ctx, choice);
    C.verifyBallot(ctx, ballot);
    const signature = C.signBallot(ctx, ballot, seed);
    C.verifyBallotSignature(ctx, ballot, publicKey, signature);
    valid.push({
      context: contextJSON(ctx),
      choice,
      ballot_bytes: hex(C.ballotToBytes(ballot)),
      ballot_json: C.ballotToJSON(ballot),
      signing_message: hex(C.signingMessage(ctx, ballot)),
      signature: hex(signature),
      tracking_hash: hex(C.trackingHash(ctx, ballot, signature)),
      tracking_code: C.trackingCode(ctx, ballot, signature),
    });
  }

  // Tampered and malformed 3-option ballots, with the browser's verdict.
  const ctx3 = makeContext(3, { roundNumber: 4 });
  const ballot3 = C.encryptBallot(ctx3, randomInt(3));
  const raw = C.ballotToBytes(ballot3);
  const json = C.ballotToJSON(ballot3);
  const plusG = (offset) => C.encodePoint(C.decodePoint(raw.subarray(offset, offset + 32), { allowIdentity: true }).add(C.G));
  const plusOne = (offset) => C.encodeScalar(C.addScalars(C.decodeScalar(raw.subarray(offset, offset + 32)), 1n));
  const cases = [
    ['option 0 alpha + G', ctx3, replaceAt(raw, 4, plusG(4))],
    ['option 2 beta + G', ctx3, replaceAt(raw, 4 + 2 * 192 + 32, plusG(4 + 2 * 192 + 32))],
    ['option 1 v0 + 1', ctx3, replaceAt(raw, 4 + 192 + 128, plusOne(4 + 192 + 128))],
    ['sum response + 1', ctx3, replaceAt(raw, raw.length - 32, plusOne(raw.length - 32))],
    ['cast by another delegation', ctx3.with({ delegationId: 'delegation:ES' }), raw],
    ['replayed in another round', ctx3.with({ roundNumber: 5 }), raw],
    ['options re-ordered', ctx3.with({ options: [ctx3.options[1], ctx3.options[0], ctx3.options[2]] }), raw],
    ['round has four options', ctx3.with({ options: [...ctx3.options, 'Zoe Park'] }), raw],
    ['identity alpha', ctx3, replaceAt(raw, 4, new Uint8Array(32))],
    ['proof scalar equal to L', ctx3, replaceAt(raw, 4 + 64, le32(C.L))],
    ['truncated', ctx3, raw.subarray(0, raw.length - 1)],
    ['JSON with an unknown key', ctx3, { ...json, extra: true }],
    ['JSON proof with padding', ctx3, { ...json, sum_proof: { ...json.sum_proof, response: `${json.sum_proof.response}=` } }],
  ];
  const invalid = cases.map(([name, ctx, form]) => {
    const code = browserVerdict(ctx, form);
    if (code === null) throw new Error(`the browser accepted the invalid case "${name}"`);
    const entry = { name, context: contextJSON(ctx) };
    if (form instanceof Uint8Array) entry.ballot_bytes = hex(form);
    else entry.ballot_json = form;
    entry.expected_error = code;
    return entry;
  });

  const message = C.signingMessage(ctx3, ballot3);
  const signature = C.signBallot(ctx3, ballot3, seed);
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]);
  const malleated = C.concatBytes(signature.subarray(0, 32), le32(s + C.L));
  const otherKey = C.publicKeyFromSeed(C.generateSigningKey());
  const badSignatures = [
    { name: 'another key', public_key: hex(otherKey), message: hex(message), signature: hex(signature) },
    { name: 'S + L', public_key: hex(publicKey), message: hex(message), signature: hex(malleated) },
    { name: 'another ballot', public_key: hex(publicKey), message: hex(C.signingMessage(ctx3, C.encryptBallot(ctx3, 0))), signature: hex(signature) },
  ];
  for (const b of badSignatures) {
    let refused = false;
    try {
      C.verifySignature(C.fromHex(b.public_key), C.fromHex(b.message), C.fromHex(b.signature));
    } catch (e) {
      refused = e.code === 'signature_invalid';
    }
    if (!refused) throw new Error(`the browser accepted the bad signature "${b.name}"`);
  }

  const deterministic = [2, 4, 6].map((n) => {
    const rngSeed = `browser/vectors/${n}`;
    const ctx = makeContext(n, { roundNumber: 7, delegationId: `delegation:Ünïcode-${n}` });
    const choice = n - 1;
    return {
      seed_ascii: rngSeed,
      context: contextJSON(ctx),
      choice,
      ballot_bytes: hex(C.ballotToBytes(C.encryptBallot(ctx, choice, C.seededScalars(rngSeed)))),
    };
  });

  const doc = {
    format_version: 1,
    description: 'ballots made by the browser module with fresh randomness, for the Python verifier',
    generator: 'scripts/make_browser_vectors.mjs',
    node_version: process.version,
    election: { secret_key: hex(C.encodeScalar(secretKey)), election_key: hex(C.enc(electionKey)) },
    signing_public_key: hex(publicKey),
    valid,
    invalid,
    bad_signatures: badSignatures,
    deterministic,
  };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

main(process.argv.slice(2));
