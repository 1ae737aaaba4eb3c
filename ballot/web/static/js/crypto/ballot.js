// Encrypted ballots (docs/verification-spec.md §7–§8), byte-identical with crypto/ballot.py:
// encrypt with all proofs, verify, binary and JSON forms, signing message, tracking code.
//
// A ballot for options o_0 … o_{n−1} is one ciphertext per option (1 for the choice, 0
// elsewhere), one 0-or-1 proof per option and one proof that the ciphertexts sum to 1, all
// bound to the BallotContext (session, round, election key, delegation, option list).

import { sha256 } from '@noble/hashes/sha2.js';
import { Ciphertext, encrypt, sumCiphertexts } from './elgamal.js';
import { expectList, expectObject, scalarFromJSON, scalarToJSON } from './encoding.js';
import {
  CryptoError,
  POINT_BYTES,
  SCALAR_BYTES,
  addScalars,
  decodePoint,
  domainTag,
  enc,
  frame,
  isBytes,
  isPoint,
  randomScalar,
  u32be,
  utf8,
  withTable,
} from './group.js';
import {
  ChaumPedersenProof,
  DisjunctiveProof,
  proveSumOneUnchecked,
  proveZeroOrOneUnchecked,
  verifySumOne,
  verifyZeroOrOne,
} from './proofs.js';

export const SIGNING_DOMAIN = 'ballot/signing-message';
export const TRACKING_DOMAIN = 'ballot/tracking-code';
/** Upper bound on the number of options of one ballot. */
export const MAX_OPTIONS = 256;
/** Bytes of one option record in the binary form: alpha, beta, c0, c1, v0, v1. */
export const OPTION_RECORD_BYTES = 2 * POINT_BYTES + 4 * SCALAR_BYTES;
export const SUM_PROOF_BYTES = 2 * SCALAR_BYTES;
export const SIGNATURE_BYTES = 64;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TRACKING_CODE_BYTES = 10;

function contextText(value, what) {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CryptoError('ballot_context_invalid', `${what} must be a non-empty string`);
  }
  try {
    return utf8(value);
  } catch {
    throw new CryptoError('ballot_context_invalid', `${what} is not valid Unicode`);
  }
}

/**
 * Everything a ballot's proofs are bound to (spec §7.1). `electionKey` is a ristretto255 point
 * or its 32-byte encoding (never the identity); `options` the round's ordered option list.
 * The key is given a precomputation table (shared per key) so encryption under it is fast.
 */
export class BallotContext {
  /**
   * @param {{sessionId: string, roundNumber: number, electionKey: object|Uint8Array,
   *          delegationId: string, options: string[]}} fields
   */
  constructor({ sessionId, roundNumber, electionKey, delegationId, options }) {
    const sessionBytes = contextText(sessionId, 'sessionId');
    const delegationBytes = contextText(delegationId, 'delegationId');
    if (!Number.isInteger(roundNumber) || roundNumber < 0 || roundNumber > 0xffffffff) {
      throw new CryptoError('ballot_context_invalid', 'roundNumber must be a u32');
    }
    let key = electionKey;
    if (isBytes(key)) {
      try {
        key = decodePoint(key);
      } catch (e) {
        throw new CryptoError('ballot_context_invalid', `election key: ${e.message}`);
      }
    }
    if (!isPoint(key) || key.is0()) {
      throw new CryptoError('ballot_context_invalid', 'the election key must be a non-identity point');
    }
    if (!Array.isArray(options) || options.length < 1 || options.length > MAX_OPTIONS) {
      throw new CryptoError('ballot_context_invalid', `options must be a list of 1 to ${MAX_OPTIONS} names`);
    }
    const optionBytes = options.map((o, i) => contextText(o, `options[${i}]`));
    if (new Set(options).size !== options.length) {
      throw new CryptoError('ballot_context_invalid', 'options must be distinct');
    }
    this.sessionId = sessionId;
    this.roundNumber = roundNumber;
    this.electionKey = withTable(key);
    this.delegationId = delegationId;
    this.options = Object.freeze([...options]);
    // ctx_bytes = frame(session, u32be(round), enc(K), delegation, frame(options…))
    const encoded = frame(
      sessionBytes,
      u32be(roundNumber),
      enc(this.electionKey),
      delegationBytes,
      frame(...optionBytes),
    );
    Object.defineProperty(this, '_encoded', { value: encoded, enumerable: false });
    Object.freeze(this);
  }

  /** A copy with some fields replaced (like dataclasses.replace). */
  with(changes) {
    return new BallotContext({ ...this.fields(), ...changes });
  }

  /** The constructor fields. */
  fields() {
    return {
      sessionId: this.sessionId,
      roundNumber: this.roundNumber,
      electionKey: this.electionKey,
      delegationId: this.delegationId,
      options: [...this.options],
    };
  }

  /** The canonical context bytes hashed into every challenge of the ballot (a fresh copy). */
  encode() {
    return this._encoded.slice();
  }
}

/** One ciphertext and one 0-or-1 proof per option, plus the sum-to-one proof. */
export class EncryptedBallot {
  /**
   * @param {Ciphertext[]} ciphertexts
   * @param {DisjunctiveProof[]} proofs
   * @param {ChaumPedersenProof} sumProof
   */
  constructor(ciphertexts, proofs, sumProof) {
    if (!Array.isArray(ciphertexts) || !Array.isArray(proofs)) {
      throw new CryptoError('ballot_malformed', 'ciphertexts and proofs must be arrays');
    }
    if (ciphertexts.length < 1 || ciphertexts.length > MAX_OPTIONS) {
      throw new CryptoError('ballot_malformed', `a ballot has 1 to ${MAX_OPTIONS} options`);
    }
    if (proofs.length !== ciphertexts.length) {
      throw new CryptoError('ballot_malformed', 'one 0-or-1 proof per ciphertext is required');
    }
    if (
      !ciphertexts.every((ct) => ct instanceof Ciphertext) ||
      !proofs.every((p) => p instanceof DisjunctiveProof) ||
      !(sumProof instanceof ChaumPedersenProof)
    ) {
      throw new CryptoError('ballot_malformed', 'a ballot holds Ciphertext, DisjunctiveProof and ChaumPedersenProof values');
    }
    this.ciphertexts = Object.freeze([...ciphertexts]);
    this.proofs = Object.freeze([...proofs]);
    this.sumProof = sumProof;
    Object.freeze(this);
  }

  /** The number of options (ciphertexts). */
  get nOptions() {
    return this.ciphertexts.length;
  }

  /** The canonical binary form (spec §7.5). */
  toBytes() {
    return ballotToBytes(this);
  }

  /** The JSON form (spec §7.6). */
  toJSON() {
    return ballotToJSON(this);
  }
}

/** Context of option i's 0-or-1 proof: frame(ctx_bytes, u32be(i)). */
export function optionContext(ctx, index) {
  return frame(ctx._encoded, u32be(index));
}

/** Context of the sum proof: frame(ctx_bytes, frame(alpha_0‖beta_0, …)). */
export function sumContext(ctx, ciphertexts) {
  return frame(ctx._encoded, frame(...ciphertexts.map((ct) => ct.encode())));
}

/**
 * Encrypt a vote for ctx.options[choice] with all proofs (spec §7.3).
 * `rng` (default: the CSPRNG) is drawn in this order: nonces r_0 … r_{n−1}; for each option
 * t0_i, t1_i, c_fake_i; the sum proof's witness w. Pass seededScalars(...) only in tests.
 */
export function encryptBallot(ctx, choice, rng = randomScalar) {
  return encryptBallotWithNonces(ctx, choice, rng).ballot;
}

/**
 * encryptBallot, and the nonces it encrypted each option with ({ ballot, nonces }): kept only
 * until the delegation casts (then forgotten) or checks the ballot (then revealed:
 * revealToJSON; crypto/challenge.py on the Python side).
 */
export function encryptBallotWithNonces(ctx, choice, rng = randomScalar) {
  if (!(ctx instanceof BallotContext)) {
    throw new CryptoError('ballot_context_invalid', 'not a BallotContext');
  }
  const n = ctx.options.length;
  if (!Number.isInteger(choice) || choice < 0 || choice >= n) {
    throw new CryptoError('ballot_choice_invalid', `choice must be an index in [0, ${n})`);
  }
  const key = ctx.electionKey;
  const nonces = [];
  for (let i = 0; i < n; i++) nonces.push(rng());
  // The loop shape does not depend on the choice; only which bit is 1 does.
  const bits = nonces.map((_, i) => (i === choice ? 1 : 0));
  const ciphertexts = nonces.map((r, i) => encrypt(key, bits[i], r));
  // Each ciphertext was just made from its nonce, so the provers' statement checks (a second
  // encryption each) would only repeat that work.
  const proofs = ciphertexts.map((ct, i) =>
    proveZeroOrOneUnchecked(key, ct, bits[i], nonces[i], optionContext(ctx, i), rng),
  );
  let nonceSum = 0n;
  for (const r of nonces) nonceSum = addScalars(nonceSum, r);
  const total = sumCiphertexts(ciphertexts);
  const sumProof = proveSumOneUnchecked(key, total, nonceSum, sumContext(ctx, ciphertexts), rng);
  return { ballot: new EncryptedBallot(ciphertexts, proofs, sumProof), nonces };
}

/** The reveal of an opened ballot: {"choice": index, "nonces": [scalar, …]}. */
export function revealToJSON(choice, nonces) {
  return { choice, nonces: nonces.map((r) => scalarToJSON(r)) };
}

/**
 * Check a ballot against its context (spec §7.4); throws CryptoError with code
 * ballot_malformed, ballot_option_count or ballot_proof_invalid.
 */
export function verifyBallot(ctx, ballot) {
  if (!(ctx instanceof BallotContext)) {
    throw new CryptoError('ballot_context_invalid', 'not a BallotContext');
  }
  if (!(ballot instanceof EncryptedBallot)) {
    throw new CryptoError('ballot_malformed', 'not an EncryptedBallot');
  }
  const n = ctx.options.length;
  if (ballot.nOptions !== n) {
    throw new CryptoError('ballot_option_count', `the round has ${n} options, the ballot ${ballot.nOptions}`);
  }
  ballot.ciphertexts.forEach((ct, i) => {
    if (ct.alpha.is0()) throw new CryptoError('ballot_malformed', `option ${i}: alpha is the identity`);
  });
  const key = ctx.electionKey;
  ballot.ciphertexts.forEach((ct, i) => {
    try {
      verifyZeroOrOne(key, ct, ballot.proofs[i], optionContext(ctx, i));
    } catch (e) {
      if (e.code !== 'proof_invalid') throw e;
      throw new CryptoError('ballot_proof_invalid', `option ${i}: ${e.message}`);
    }
  });
  const total = sumCiphertexts(ballot.ciphertexts);
  try {
    verifySumOne(key, total, ballot.sumProof, sumContext(ctx, ballot.ciphertexts));
  } catch (e) {
    if (e.code !== 'proof_invalid') throw e;
    throw new CryptoError('ballot_proof_invalid', `sum of the options: ${e.message}`);
  }
}

/** Per-option homomorphic sum of ballots with nOptions options each. */
export function aggregate(ballots, nOptions) {
  let sums = Array.from({ length: nOptions }, () => Ciphertext.zero());
  for (const ballot of ballots) {
    if (ballot.nOptions !== nOptions) {
      throw new CryptoError('ballot_option_count', `cannot aggregate a ${ballot.nOptions}-option ballot into ${nOptions} options`);
    }
    sums = sums.map((s, i) => s.add(ballot.ciphertexts[i]));
  }
  return sums;
}

// -- binary form ---------------------------------------------------------------------------------

/** u32be(n) ‖ n × (alpha ‖ beta ‖ c0 ‖ c1 ‖ v0 ‖ v1) ‖ sum.challenge ‖ sum.response. */
export function ballotToBytes(ballot) {
  const n = ballot.nOptions;
  const out = new Uint8Array(4 + n * OPTION_RECORD_BYTES + SUM_PROOF_BYTES);
  out.set(u32be(n), 0);
  let offset = 4;
  for (let i = 0; i < n; i++) {
    const ct = ballot.ciphertexts[i];
    out.set(enc(ct.alpha), offset);
    out.set(enc(ct.beta), offset + 32);
    out.set(ballot.proofs[i].encode(), offset + 64);
    offset += OPTION_RECORD_BYTES;
  }
  out.set(ballot.sumProof.encode(), offset);
  return out;
}

/** Strict inverse of ballotToBytes; every problem is CryptoError `ballot_malformed`. */
export function ballotFromBytes(bytes) {
  if (!isBytes(bytes)) throw new CryptoError('ballot_malformed', 'a ballot must be bytes');
  const raw = Uint8Array.from(bytes);
  if (raw.length < 4) throw new CryptoError('ballot_malformed', 'truncated ballot');
  const n = new DataView(raw.buffer).getUint32(0, false);
  if (n < 1 || n > MAX_OPTIONS) {
    throw new CryptoError('ballot_malformed', `a ballot has 1 to ${MAX_OPTIONS} options`);
  }
  if (raw.length !== 4 + n * OPTION_RECORD_BYTES + SUM_PROOF_BYTES) {
    throw new CryptoError('ballot_malformed', `wrong length for a ${n}-option ballot`);
  }
  const cts = [];
  const proofs = [];
  let where = 'sum proof';
  try {
    for (let i = 0; i < n; i++) {
      where = `option ${i}`;
      const start = 4 + i * OPTION_RECORD_BYTES;
      cts.push(Ciphertext.decode(raw.subarray(start, start + 64)));
      proofs.push(DisjunctiveProof.decode(raw.subarray(start + 64, start + OPTION_RECORD_BYTES)));
    }
    where = 'sum proof';
    const sumProof = ChaumPedersenProof.decode(raw.subarray(4 + n * OPTION_RECORD_BYTES));
    return new EncryptedBallot(cts, proofs, sumProof);
  } catch (e) {
    throw new CryptoError('ballot_malformed', `${where}: ${e.message}`);
  }
}

// -- JSON form -----------------------------------------------------------------------------------

/** {"ciphertexts": [{alpha, beta}…], "proofs": [{c0, c1, v0, v1}…], "sum_proof": {challenge, response}}. */
export function ballotToJSON(ballot) {
  return {
    ciphertexts: ballot.ciphertexts.map((ct) => ct.toJSON()),
    proofs: ballot.proofs.map((p) => p.toJSON()),
    sum_proof: ballot.sumProof.toJSON(),
  };
}

/** Strict inverse of ballotToJSON; every problem is CryptoError `ballot_malformed`. */
export function ballotFromJSON(obj) {
  try {
    const fields = expectObject(obj, ['ciphertexts', 'proofs', 'sum_proof'], 'ballot');
    const cts = expectList(fields.ciphertexts, 'ciphertexts').map((x, i) =>
      Ciphertext.fromJSON(x, `ciphertexts[${i}]`),
    );
    const proofs = expectList(fields.proofs, 'proofs').map((x, i) =>
      DisjunctiveProof.fromJSON(x, `proofs[${i}]`),
    );
    const sumProof = ChaumPedersenProof.fromJSON(fields.sum_proof, 'sum_proof');
    return new EncryptedBallot(cts, proofs, sumProof);
  } catch (e) {
    if (e instanceof CryptoError) throw new CryptoError('ballot_malformed', e.message);
    throw e;
  }
}

// -- signing message and tracking code -----------------------------------------------------------

/** What the delegation signs: frame(tag("ballot/signing-message"), ctx_bytes, ballot_bytes). */
export function signingMessage(ctx, ballot) {
  return frame(domainTag(SIGNING_DOMAIN), ctx._encoded, ballotToBytes(ballot));
}

/** SHA-256(frame(tag("ballot/tracking-code"), signing_message, signature)): 32 bytes. */
export function trackingHash(ctx, ballot, signature) {
  if (!isBytes(signature) || signature.length !== SIGNATURE_BYTES) {
    throw new CryptoError('ballot_malformed', `a signature is ${SIGNATURE_BYTES} bytes`);
  }
  return sha256(frame(domainTag(TRACKING_DOMAIN), signingMessage(ctx, ballot), Uint8Array.from(signature)));
}

/** First 80 bits of a tracking hash in Crockford base32, as XXXX-XXXX-XXXX-XXXX. */
export function renderTrackingCode(digest) {
  let value = 0n;
  for (let i = 0; i < TRACKING_CODE_BYTES; i++) value = (value << 8n) | BigInt(digest[i]);
  let chars = '';
  for (let i = 0; i < 16; i++) chars += CROCKFORD[Number((value >> BigInt(5 * (15 - i))) & 31n)];
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4)).join('-');
}

/** The receipt shown to the delegation: renderTrackingCode(trackingHash(...)). */
export function trackingCode(ctx, ballot, signature) {
  return renderTrackingCode(trackingHash(ctx, ballot, signature));
}

/**
 * Check an opened (challenged) ballot: a valid ballot of `ctx` whose every ciphertext is exactly
 * the encryption of [i === reveal.choice] with the revealed nonce (crypto/challenge.py).
 * Returns the choice's index; throws CryptoError `challenge_malformed`, `challenge_mismatch`, or a
 * ballot's own code.
 */
export function checkReveal(ctx, ballot, reveal) {
  const n = ctx.options.length;
  const keys = reveal && typeof reveal === 'object' && !Array.isArray(reveal) ? Object.keys(reveal).sort().join() : '';
  if (keys !== 'choice,nonces') throw new CryptoError('challenge_malformed', 'a reveal has exactly "choice" and "nonces"');
  if (!Number.isInteger(reveal.choice) || reveal.choice < 0 || reveal.choice >= n || !Array.isArray(reveal.nonces) || reveal.nonces.length !== n) {
    throw new CryptoError('challenge_malformed', `a reveal names one of ${n} options and gives ${n} nonces`);
  }
  // Decoded before the ballot's proofs are checked, as crypto/challenge.py's from_json does.
  const nonces = reveal.nonces.map((text, i) => {
    try {
      return scalarFromJSON(text, `nonce ${i}`);
    } catch (error) {
      throw new CryptoError('challenge_malformed', `reveal: ${error.message}`);
    }
  });
  verifyBallot(ctx, ballot);
  nonces.forEach((nonce, i) => {
    let again;
    try {
      again = encrypt(ctx.electionKey, i === reveal.choice ? 1 : 0, nonce);
    } catch (error) {
      throw new CryptoError('challenge_malformed', `nonce ${i}: ${error.message}`); // a zero nonce
    }
    const ct = ballot.ciphertexts[i];
    if (!again.alpha.equals(ct.alpha) || !again.beta.equals(ct.beta)) {
      throw new CryptoError('challenge_mismatch', `option ${i}'s ciphertext is not the encryption the reveal claims`);
    }
  });
  return reveal.choice;
}
