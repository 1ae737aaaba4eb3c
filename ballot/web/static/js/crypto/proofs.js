// Compact Fiat–Shamir proofs (docs/verification-spec.md §6), as crypto/proofs.py.
//
// Proofs carry challenge(s) and response(s) only; the verifier recomputes the commitments and
// checks that hashing reproduces the challenge. Convention: response = witness − challenge·secret,
// so a commitment is recomputed as response·Base + challenge·Public.
//
// Provers multiply points by secrets only with the constant-time baseMulSecret / mulSecret;
// verifiers use the variable-time mulPublic on public values only.

import {
  CryptoError,
  G,
  SCALAR_BYTES,
  addScalars,
  baseMulSecret,
  concatBytes,
  decodeScalar,
  enc,
  encodeScalar,
  hashToScalar,
  isBytes,
  isPoint,
  isScalar,
  mulPublic,
  mulScalars,
  mulSecret,
  pointsEqual,
  subScalars,
} from './group.js';
import { encrypt } from './elgamal.js';
import { expectObject, scalarFromJSON, scalarToJSON } from './encoding.js';

export const SCHNORR_DOMAIN = 'proof/schnorr';
export const DISJUNCTIVE_DOMAIN = 'proof/zero-or-one';
export const SUM_ONE_DOMAIN = 'proof/sum-one';
export const DECRYPTION_DOMAIN = 'proof/decryption';

function decodeScalars(bytes, count, what) {
  if (!isBytes(bytes) || bytes.length !== count * SCALAR_BYTES) {
    throw new CryptoError('proof_invalid', `${what} must be exactly ${count * SCALAR_BYTES} bytes`);
  }
  const out = [];
  try {
    for (let i = 0; i < count; i++) out.push(decodeScalar(bytes.subarray(32 * i, 32 * i + 32)));
  } catch (e) {
    throw new CryptoError('proof_invalid', `${what}: ${e.message}`);
  }
  return out;
}

function checkScalars(what, ...values) {
  for (const v of values) {
    if (!isScalar(v)) throw new CryptoError('invalid_encoding', `${what}: not a scalar in [0, L)`);
  }
}

/** s·B for a secret s, using the fixed-base path when B is the generator. */
function mulBaseOrPoint(base, s) {
  return pointsEqual(base, G) ? baseMulSecret(s) : mulSecret(base, s);
}

/** Public s·B (verification), fixed-base when B is the generator. */
function mulBaseOrPointPublic(base, s) {
  return pointsEqual(base, G) ? mulPublic(G, s) : mulPublic(base, s);
}

// -- challenge/response proofs: Schnorr and Chaum–Pedersen --------------------------------------

/** A two-scalar proof (challenge, response): Schnorr, sum-to-one and decryption proofs. */
export class ChallengeResponseProof {
  constructor(challenge, response) {
    checkScalars('proof', challenge, response);
    this.challenge = challenge;
    this.response = response;
    Object.freeze(this);
  }

  /** 64 bytes: enc(challenge) ‖ enc(response). */
  encode() {
    return concatBytes(encodeScalar(this.challenge), encodeScalar(this.response));
  }

  /** Inverse of encode; refuses (`proof_invalid`) a wrong length or a scalar >= L. */
  static decode(bytes) {
    const [c, v] = decodeScalars(bytes, 2, 'challenge/response proof');
    return new this(c, v);
  }

  /** {"challenge": b64, "response": b64}. */
  toJSON() {
    return { challenge: scalarToJSON(this.challenge), response: scalarToJSON(this.response) };
  }

  /** Strict inverse of toJSON (`invalid_encoding` on any deviation). */
  static fromJSON(obj, what = 'proof') {
    const fields = expectObject(obj, ['challenge', 'response'], what);
    return new this(
      scalarFromJSON(fields.challenge, `${what}.challenge`),
      scalarFromJSON(fields.response, `${what}.response`),
    );
  }
}

/** Schnorr proof of knowledge of x with X = x·G. */
export class SchnorrProof extends ChallengeResponseProof {}
/** Chaum–Pedersen proof of equal discrete logarithms (sum-to-one, decryption). */
export class ChaumPedersenProof extends ChallengeResponseProof {}

function schnorrChallenge(context, pub, commitment) {
  return hashToScalar(SCHNORR_DOMAIN, context, enc(pub), enc(commitment));
}

/** Prove knowledge of `secret` with public = secret·G, bound to `context` (spec §6.1). Draws w. */
export function proveSchnorr(secret, pub, context, rng) {
  if (pub.is0() || !pointsEqual(baseMulSecret(secret), pub)) {
    throw new CryptoError('proof_statement_false', 'public key is not secret·G (or is the identity)');
  }
  const w = rng();
  const c = schnorrChallenge(context, pub, baseMulSecret(w));
  return new SchnorrProof(c, subScalars(w, mulScalars(c, secret)));
}

/** Check a Schnorr proof; throws CryptoError `proof_invalid`. */
export function verifySchnorr(pub, proof, context) {
  if (!isPoint(pub) || pub.is0()) {
    throw new CryptoError('proof_invalid', 'Schnorr proof: the public key must not be the identity');
  }
  const commitment = mulPublic(G, proof.response).add(mulPublic(pub, proof.challenge));
  if (schnorrChallenge(context, pub, commitment) !== proof.challenge) {
    throw new CryptoError('proof_invalid', 'Schnorr proof does not verify');
  }
}

function cpChallenge(domain, context, g1, h1, g2, h2, a1, a2) {
  return hashToScalar(domain, context, enc(g1), enc(h1), enc(g2), enc(h2), enc(a1), enc(a2));
}

/**
 * Prove h1 = secret·g1 and h2 = secret·g2 under `domain` and `context` (spec §6.2). Draws w.
 * Refuses (`proof_statement_false`) if either relation does not hold.
 */
export function proveEqualLogs(domain, secret, g1, h1, g2, h2, context, rng) {
  if (!(pointsEqual(mulBaseOrPoint(g1, secret), h1) && pointsEqual(mulSecret(g2, secret), h2))) {
    throw new CryptoError('proof_statement_false', `${domain}: the two discrete logarithms differ from the secret`);
  }
  return proveEqualLogsUnchecked(domain, secret, g1, h1, g2, h2, context, rng);
}

function proveEqualLogsUnchecked(domain, secret, g1, h1, g2, h2, context, rng) {
  const w = rng();
  const c = cpChallenge(domain, context, g1, h1, g2, h2, mulBaseOrPoint(g1, w), mulSecret(g2, w));
  return new ChaumPedersenProof(c, subScalars(w, mulScalars(c, secret)));
}

/** Check a Chaum–Pedersen proof; throws CryptoError `proof_invalid`. */
export function verifyEqualLogs(domain, g1, h1, g2, h2, proof, context) {
  const { challenge: c, response: v } = proof;
  const a1 = mulBaseOrPointPublic(g1, v).add(mulPublic(h1, c));
  const a2 = mulPublic(g2, v).add(mulPublic(h2, c));
  if (cpChallenge(domain, context, g1, h1, g2, h2, a1, a2) !== c) {
    throw new CryptoError('proof_invalid', `${domain}: Chaum–Pedersen proof does not verify`);
  }
}

// -- 0-or-1 proof (disjunctive Chaum–Pedersen) --------------------------------------------------

/** Proof that (alpha, beta) encrypts 0 or 1: challenges c0, c1 and responses v0, v1. */
export class DisjunctiveProof {
  constructor(c0, c1, v0, v1) {
    checkScalars('0-or-1 proof', c0, c1, v0, v1);
    this.c0 = c0;
    this.c1 = c1;
    this.v0 = v0;
    this.v1 = v1;
    Object.freeze(this);
  }

  /** 128 bytes: c0 ‖ c1 ‖ v0 ‖ v1. */
  encode() {
    return concatBytes(
      encodeScalar(this.c0),
      encodeScalar(this.c1),
      encodeScalar(this.v0),
      encodeScalar(this.v1),
    );
  }

  /** Inverse of encode; refuses (`proof_invalid`) a wrong length or a scalar >= L. */
  static decode(bytes) {
    const [c0, c1, v0, v1] = decodeScalars(bytes, 4, 'disjunctive proof');
    return new DisjunctiveProof(c0, c1, v0, v1);
  }

  /** {"c0", "c1", "v0", "v1"}, each a base64url scalar. */
  toJSON() {
    return {
      c0: scalarToJSON(this.c0),
      c1: scalarToJSON(this.c1),
      v0: scalarToJSON(this.v0),
      v1: scalarToJSON(this.v1),
    };
  }

  /** Strict inverse of toJSON. */
  static fromJSON(obj, what = '0-or-1 proof') {
    const f = expectObject(obj, ['c0', 'c1', 'v0', 'v1'], what);
    return new DisjunctiveProof(
      scalarFromJSON(f.c0, `${what}.c0`),
      scalarFromJSON(f.c1, `${what}.c1`),
      scalarFromJSON(f.v0, `${what}.v0`),
      scalarFromJSON(f.v1, `${what}.v1`),
    );
  }
}

function zeroOrOneChallenge(context, key, ct, a0, b0, a1, b1) {
  return hashToScalar(
    DISJUNCTIVE_DOMAIN,
    context,
    enc(key),
    enc(ct.alpha),
    enc(ct.beta),
    enc(a0),
    enc(b0),
    enc(a1),
    enc(b1),
  );
}

/**
 * The prover of spec §6.3 without the statement check (callers that built `ct` from `nonce`
 * themselves, and the vectors' cheating cases). Draws t0, t1, c_fake in that order.
 * Both branches run the same operations whatever the bit is: with e_j = c_fake·(m − j)
 * (zero on the real branch), a_j = t_j·G and b_j = t_j·K + e_j·G, the latter computed as
 * (e_j + 1)·G − G so the constant-time multiplication never sees a vote-dependent zero.
 */
export function proveZeroOrOneUnchecked(key, ct, message, nonce, context, rng) {
  const t0 = rng();
  const t1 = rng();
  const cFake = rng();
  const m = message === 1 || message === 1n ? 1n : 0n;
  const t = [t0, t1];
  const commitments = [];
  for (const j of [0n, 1n]) {
    const ej = mulScalars(cFake, subScalars(m, j));
    const bj = mulSecret(key, t[Number(j)]).add(baseMulSecret(addScalars(ej, 1n)).subtract(G));
    commitments.push(baseMulSecret(t[Number(j)]), bj);
  }
  const c = zeroOrOneChallenge(context, key, ct, ...commitments);
  // c1 = c − c_fake if m = 1 else c_fake, written without a branch on m.
  const c1 = addScalars(mulScalars(m, subScalars(c, cFake)), mulScalars(1n - m, cFake));
  const c0 = subScalars(c, c1);
  return new DisjunctiveProof(
    c0,
    c1,
    subScalars(t0, mulScalars(c0, nonce)),
    subScalars(t1, mulScalars(c1, nonce)),
  );
}

/**
 * Prove that ct = encrypt(key, message, nonce) with message ∈ {0, 1} (spec §6.3).
 * Refuses (`proof_statement_false`) anything else.
 */
export function proveZeroOrOne(key, ct, message, nonce, context, rng) {
  if (!(message === 0 || message === 1)) {
    throw new CryptoError('proof_statement_false', 'a disjunctive proof can only show a plaintext of 0 or 1');
  }
  if (!isPoint(key) || key.is0()) {
    throw new CryptoError('proof_statement_false', 'the election key must not be the identity');
  }
  const expected = encrypt(key, message, nonce);
  if (!pointsEqual(expected.alpha, ct.alpha) || !pointsEqual(expected.beta, ct.beta)) {
    throw new CryptoError('proof_statement_false', 'the ciphertext is not the encryption of the claimed bit');
  }
  return proveZeroOrOneUnchecked(key, ct, message, nonce, context, rng);
}

/**
 * The commitments a verifier recomputes for a 0-or-1 proof:
 * a_j = v_j·G + c_j·alpha, b_j = v_j·K + c_j·(beta − j·G). Public values only.
 */
export function zeroOrOneCommitments(key, ct, proof, betaMinusG = ct.beta.subtract(G)) {
  const { c0, c1, v0, v1 } = proof;
  return [
    mulPublic(G, v0).add(mulPublic(ct.alpha, c0)),
    mulPublic(key, v0).add(mulPublic(ct.beta, c0)),
    mulPublic(G, v1).add(mulPublic(ct.alpha, c1)),
    mulPublic(key, v1).add(mulPublic(betaMinusG, c1)),
  ];
}

/** Check a 0-or-1 proof (8 multiplications); throws CryptoError `proof_invalid`. */
export function verifyZeroOrOne(key, ct, proof, context) {
  if (!isPoint(key) || key.is0()) {
    throw new CryptoError('proof_invalid', 'the election key must not be the identity');
  }
  const [a0, b0, a1, b1] = zeroOrOneCommitments(key, ct, proof);
  if (zeroOrOneChallenge(context, key, ct, a0, b0, a1, b1) !== addScalars(proof.c0, proof.c1)) {
    throw new CryptoError('proof_invalid', 'the 0-or-1 proof does not verify');
  }
}

// -- the two uses of Chaum–Pedersen -------------------------------------------------------------

/** Prove that `total` encrypts exactly 1 (spec §6.4); `nonceSum` is Σ r_i. Draws w. */
export function proveSumOne(key, total, nonceSum, context, rng) {
  return proveEqualLogs(SUM_ONE_DOMAIN, nonceSum, G, total.alpha, key, total.beta.subtract(G), context, rng);
}

/** The sum-to-one prover without the statement check (for an encryptor that built `total`). */
export function proveSumOneUnchecked(key, total, nonceSum, context, rng) {
  return proveEqualLogsUnchecked(
    SUM_ONE_DOMAIN,
    nonceSum,
    G,
    total.alpha,
    key,
    total.beta.subtract(G),
    context,
    rng,
  );
}

/** Check a sum-to-one proof; throws CryptoError `proof_invalid`. */
export function verifySumOne(key, total, proof, context) {
  if (!isPoint(key) || key.is0()) {
    throw new CryptoError('proof_invalid', 'the election key must not be the identity');
  }
  verifyEqualLogs(SUM_ONE_DOMAIN, G, total.alpha, key, total.beta.subtract(G), proof, context);
}

/** Prove partial = s·alpha where verificationKey = s·G (spec §6.5). Draws w. */
export function proveDecryption(keyShare, verificationKey, alpha, partial, context, rng) {
  return proveEqualLogs(DECRYPTION_DOMAIN, keyShare, G, verificationKey, alpha, partial, context, rng);
}

/** Check a partial-decryption proof; throws CryptoError `proof_invalid`. */
export function verifyDecryption(verificationKey, alpha, partial, proof, context) {
  if (!isPoint(verificationKey) || verificationKey.is0()) {
    throw new CryptoError('proof_invalid', "a teller's verification key must not be the identity");
  }
  verifyEqualLogs(DECRYPTION_DOMAIN, G, verificationKey, alpha, partial, proof, context);
}
