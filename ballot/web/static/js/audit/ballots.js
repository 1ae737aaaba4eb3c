// One cast ballot's own checks, as the auditor's workers run them (ballot/audit/casts.py's
// twin): decode every point, verify its proofs, its signature under the delegation's enrolled
// key, and recompute its tracking hash. Pure: a job in, a plain-object answer out, so it runs
// the same in a Web Worker, inline, or in Node.
import {
  BallotContext,
  b64d,
  ballotFromJSON,
  toHex,
  trackingHash,
  verifyBallot,
  verifyBallotSignature,
} from '../crypto/index.js';

/**
 * A job: { sessionId, roundNumber, electionKey (base64url), delegationId, options, ballot
 * (the recorded JSON), signature (base64url), publicKey (base64url) }.
 *
 * The answer: { check, message, signatureValid, trackingHash } — `check` is null for a ballot
 * whose encoding and proofs hold, else `ballot.malformed` or `ballot.proof` (the audit's check
 * names); `signatureValid` says whether the signature verifies (false when it could not be
 * checked); `trackingHash` is the hex tracking hash (null if the ballot could not be decoded).
 */
export function checkBallotJob(job) {
  let ctx;
  let ballot;
  let signature;
  try {
    ctx = new BallotContext({
      sessionId: job.sessionId,
      roundNumber: job.roundNumber,
      electionKey: b64d(job.electionKey, 32, 'election key'),
      delegationId: job.delegationId,
      options: job.options,
    });
    ballot = ballotFromJSON(job.ballot);
    signature = b64d(job.signature, 64, 'signature');
  } catch (e) {
    return answer('ballot.malformed', e, false, null);
  }
  let check = null;
  let failure = null;
  try {
    verifyBallot(ctx, ballot);
  } catch (e) {
    check = e.code === 'ballot_proof_invalid' ? 'ballot.proof' : 'ballot.malformed';
    failure = e;
  }
  let signatureValid = false;
  try {
    verifyBallotSignature(ctx, ballot, b64d(job.publicKey, 32, 'public key'), signature);
    signatureValid = true;
  } catch {
    signatureValid = false;
  }
  return answer(check, failure, signatureValid, toHex(trackingHash(ctx, ballot, signature)));
}

function answer(check, error, signatureValid, hash) {
  return { check, message: error ? String(error.message || error) : '', signatureValid, trackingHash: hash };
}

/** Check jobs one after the other (Node tests, or a browser without workers). */
export async function checkInline(jobs, progress = () => {}) {
  const out = [];
  for (const job of jobs) {
    out.push(checkBallotJob(job));
    if (out.length % 16 === 0) progress(out.length);
  }
  progress(out.length);
  return out;
}
