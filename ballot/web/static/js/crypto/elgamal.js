// Exponential ElGamal over ristretto255 (docs/verification-spec.md §5), as crypto/elgamal.py.
//
// encrypt(K, m, r) = (r·G, m·G + r·K). Ciphertexts add componentwise. A ballot ciphertext must
// have alpha ≠ O (that rule is enforced where ballots are decoded and verified); the type
// itself allows the identity because sums and the zero ciphertext contain it.

import {
  CryptoError,
  G,
  IDENTITY,
  POINT_BYTES,
  baseMulSecret,
  concatBytes,
  decodePoint,
  enc,
  isBytes,
  isPoint,
  mulSecret,
} from './group.js';
import { expectObject, pointFromJSON, pointToJSON } from './encoding.js';

/** An exponential-ElGamal ciphertext (alpha, beta) = (r·G, m·G + r·K). */
export class Ciphertext {
  /**
   * @param {import('./group.js').Point} alpha
   * @param {import('./group.js').Point} beta
   */
  constructor(alpha, beta) {
    if (!isPoint(alpha) || !isPoint(beta)) {
      throw new CryptoError('invalid_encoding', 'a ciphertext is two ristretto255 points');
    }
    this.alpha = alpha;
    this.beta = beta;
    Object.freeze(this);
  }

  /** The identity pair (encrypts 0 with nonce 0): the neutral element of addition. */
  static zero() {
    return new Ciphertext(IDENTITY, IDENTITY);
  }

  /** Componentwise sum: encrypts m1 + m2 with nonce r1 + r2. */
  add(other) {
    return new Ciphertext(this.alpha.add(other.alpha), this.beta.add(other.beta));
  }

  /** 64 bytes: enc(alpha) ‖ enc(beta). */
  encode() {
    return concatBytes(enc(this.alpha), enc(this.beta));
  }

  /** Decode 64 bytes; alpha must not be the identity unless allowed; beta may be. */
  static decode(bytes, { allowIdentityAlpha = false } = {}) {
    if (!isBytes(bytes) || bytes.length !== 2 * POINT_BYTES) {
      throw new CryptoError('invalid_encoding', `a ciphertext must be ${2 * POINT_BYTES} bytes`);
    }
    return new Ciphertext(
      decodePoint(bytes.subarray(0, POINT_BYTES), { allowIdentity: allowIdentityAlpha }),
      decodePoint(bytes.subarray(POINT_BYTES), { allowIdentity: true }),
    );
  }

  /** {"alpha": b64, "beta": b64}. */
  toJSON() {
    return { alpha: pointToJSON(this.alpha), beta: pointToJSON(this.beta) };
  }

  /** Strict inverse of toJSON; beta may always be the identity. */
  static fromJSON(obj, what = 'ciphertext', { allowIdentityAlpha = false } = {}) {
    const fields = expectObject(obj, ['alpha', 'beta'], what);
    return new Ciphertext(
      pointFromJSON(fields.alpha, `${what}.alpha`, { allowIdentity: allowIdentityAlpha }),
      pointFromJSON(fields.beta, `${what}.beta`, { allowIdentity: true }),
    );
  }
}

/**
 * m·G for a small non-negative integer m, computed as (m + 1)·G − G with the constant-time
 * multiplication so that a vote bit of 0 takes the same path as 1 (as in Python).
 */
export function messagePoint(message) {
  if (!(typeof message === 'bigint' || Number.isSafeInteger(message)) || message < 0) {
    throw new CryptoError('elgamal_invalid_input', 'a message must be a non-negative integer');
  }
  const m = BigInt(message);
  return baseMulSecret(m + 1n).subtract(G);
}

/**
 * Encrypt `message` under `key` with the secret non-zero `nonce`: (r·G, m·G + r·K).
 * Refuses the identity key (`identity_not_allowed`) and a zero nonce (`elgamal_invalid_input`).
 */
export function encrypt(key, message, nonce) {
  if (!isPoint(key) || key.is0()) {
    throw new CryptoError('identity_not_allowed', 'the election key must not be the identity element');
  }
  if (nonce === 0n) throw new CryptoError('elgamal_invalid_input', 'the encryption nonce must not be zero');
  return new Ciphertext(baseMulSecret(nonce), messagePoint(message).add(mulSecret(key, nonce)));
}

/** The homomorphic sum of ciphertexts (Ciphertext.zero() for none). */
export function sumCiphertexts(cts) {
  let alpha = IDENTITY;
  let beta = IDENTITY;
  for (const ct of cts) {
    alpha = alpha.add(ct.alpha);
    beta = beta.add(ct.beta);
  }
  return new Ciphertext(alpha, beta);
}
