// Ed25519 for the browser (docs/verification-spec.md §12.1), agreeing with crypto/signing.py:
// pure RFC 8032 Ed25519; strict public keys (canonical, prime-order subgroup, not the
// identity); strict signatures (S < L, canonical R, cofactorless equation compared by
// encoding — what OpenSSL does on the Python side); domain-separated messages.
//
// A private key is the 32-byte RFC 8032 seed. It is never logged or put in an error message.

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { SIGNATURE_BYTES, signingMessage as ballotSigningMessage } from './ballot.js';
import { CryptoError, L, concatBytes, domainTag, equalBytes, frame, isBytes } from './group.js';

export const SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;

const EdPoint = ed25519.Point;

function bytesToBigLE(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function checkSeed(seed) {
  if (!isBytes(seed) || seed.length !== SEED_BYTES) {
    throw new CryptoError('invalid_key', `an Ed25519 seed must be ${SEED_BYTES} bytes`);
  }
}

/** A fresh 32-byte Ed25519 seed from the platform CSPRNG. */
export function generateSigningKey() {
  const seed = new Uint8Array(SEED_BYTES);
  globalThis.crypto.getRandomValues(seed);
  return seed;
}

/** The 32-byte public key of a seed. */
export function publicKeyFromSeed(seed) {
  checkSeed(seed);
  return ed25519.getPublicKey(seed);
}

/** The 64-byte deterministic RFC 8032 signature of `message` under `seed`. */
export function signMessage(seed, message) {
  checkSeed(seed);
  if (!isBytes(message)) throw new TypeError('the message must be a Uint8Array');
  return ed25519.sign(message, seed);
}

/**
 * Decode and validate a public key; throws CryptoError `invalid_key` unless it is a canonical
 * encoding (y < p, not "−0") of a point of the prime-order subgroup other than the identity.
 * Returns the decoded Edwards point.
 */
export function decodeVerifyKey(publicKey) {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new CryptoError('invalid_key', `an Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  let point;
  try {
    point = EdPoint.fromBytes(Uint8Array.from(publicKey), false);
  } catch {
    throw new CryptoError('invalid_key', 'not a canonical Ed25519 public key');
  }
  if (point.is0() || !point.isTorsionFree()) {
    throw new CryptoError('invalid_key', 'Ed25519 public key is the identity or not in the prime-order subgroup');
  }
  return point;
}

/**
 * Return if `signature` is a valid signature of `message` under `publicKey`; otherwise throw
 * CryptoError `signature_invalid` (or `invalid_key` for an unusable key).
 */
export function verifySignature(publicKey, message, signature) {
  const A = decodeVerifyKey(publicKey);
  if (!isBytes(signature) || signature.length !== SIGNATURE_BYTES) {
    throw new CryptoError('signature_invalid', `an Ed25519 signature must be ${SIGNATURE_BYTES} bytes`);
  }
  if (!isBytes(message)) throw new TypeError('the message must be a Uint8Array');
  const sig = Uint8Array.from(signature);
  const pub = Uint8Array.from(publicKey);
  const msg = Uint8Array.from(message);
  const s = bytesToBigLE(sig.subarray(32));
  if (s >= L) throw new CryptoError('signature_invalid', 'signature scalar S is not below the group order');
  // noble's strict RFC 8032 mode (canonical encodings, cofactored equation) ...
  if (!ed25519.verify(sig, msg, pub, { zip215: false })) {
    throw new CryptoError('signature_invalid', 'signature does not verify');
  }
  // ... and the cofactorless equation compared by encoding, [S]B − [k]A == R, which is what
  // the Python side (OpenSSL) checks: the two disagree only on R with a torsion component.
  const k = bytesToBigLE(sha512(concatBytes(sig.subarray(0, 32), pub, msg))) % L;
  const r = EdPoint.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k)).toBytes();
  if (!equalBytes(r, sig.subarray(0, 32))) {
    throw new CryptoError('signature_invalid', 'signature does not verify (cofactorless check)');
  }
}

/** The bytes to sign for `purpose`: frame(tag(purpose), ...parts). */
export function signedMessage(purpose, ...parts) {
  return frame(domainTag(purpose), ...parts);
}

/** The delegation's signature of a ballot: Ed25519 over signingMessage(ctx, ballot). */
export function signBallot(ctx, ballot, seed) {
  return signMessage(seed, ballotSigningMessage(ctx, ballot));
}

/** Check a delegation's ballot signature; throws CryptoError `signature_invalid` / `invalid_key`. */
export function verifyBallotSignature(ctx, ballot, publicKey, signature) {
  verifySignature(publicKey, ballotSigningMessage(ctx, ballot), signature);
}
