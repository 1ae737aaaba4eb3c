// The ristretto255 prime-order group for the browser: scalars, points, framing, hashing.
//
// Byte-identical with crypto/group.py (docs/verification-spec.md §2–§3). This is the only
// browser module that touches the curve backend (@noble/curves), so the protocol modules above
// it work with two kinds of value:
//
// * a scalar is a bigint in [0, L). Decoding from bytes refuses values >= L (no silent
//   reduction). JavaScript has no constant-time bigint arithmetic; scalar additions and
//   multiplications on secrets (nonces, witnesses) are therefore only as constant-time as the
//   engine makes them — the same limitation as noble's own code. Every *point* multiplication
//   by a secret goes through noble's constant-time `multiply` (see mulSecret / baseMulSecret).
// * a point is a noble `ristretto255.Point`. Points built here from bytes are always validated
//   (canonical RFC 9496 encoding; identity only where the caller allows it).
//
// No Node-only API is used: randomness is globalThis.crypto.getRandomValues, text TextEncoder.

import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';

/** The ristretto255 point class (noble). */
export const Point = ristretto255.Point;

/** Order of the group: 2^252 + 27742317777372353535851937790883648493. */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

export const SCALAR_BYTES = 32;
export const POINT_BYTES = 32;
export const DOMAIN_PREFIX = 'ballot/v1/';

/** The standard generator G and the identity O. */
export const G = Point.BASE;
export const IDENTITY = Point.ZERO;

// Secret multiplications by G use noble's blinded constant-time path over a fixed-window
// table. The default window (6) makes a multiplication ~0.55 ms; window 8 ~0.33 ms, at the
// cost of a one-off table build on first use. The table is shared with noble's ed25519 base
// point (same underlying Edwards point), which only speeds up Ed25519 signing as well.
G.precompute(8, true);

// Window for election-key tables (one per key, ~4k points, built once, ~70 ms).
const KEY_WINDOW = 8;

/**
 * A refusal with a stable snake_case `code` (the same codes as the Python implementation):
 * invalid_encoding, identity_not_allowed, proof_invalid, proof_statement_false,
 * ballot_malformed, ballot_option_count, ballot_proof_invalid, ballot_choice_invalid,
 * ballot_context_invalid, invalid_key, signature_invalid, elgamal_invalid_input.
 */
export class CryptoError extends Error {
  /**
   * @param {string} code stable error code
   * @param {string} message human-readable explanation (never contains secrets)
   */
  constructor(code, message) {
    super(message);
    this.name = 'CryptoError';
    this.code = code;
  }
}

// -- bytes ------------------------------------------------------------------------------------

const textEncoder = new TextEncoder();

/** True for a Uint8Array (including subclasses such as Node's Buffer). */
export function isBytes(value) {
  return value instanceof Uint8Array;
}

/** Concatenate byte arrays. */
export function concatBytes(...arrays) {
  let length = 0;
  for (const a of arrays) length += a.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** Equality of two byte arrays without an early exit (for values that may be secret). */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Lowercase hex of bytes. */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Bytes of a hex string (even length, hex digits only). */
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new CryptoError('invalid_encoding', 'not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// TextEncoder would silently turn a lone surrogate into U+FFFD; Python refuses such strings.
// (A loop rather than a regex with lookbehind, which older Safari cannot even parse.)
function hasLoneSurrogate(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/** UTF-8 bytes of a string exactly as given; refuses lone surrogates (no valid UTF-8). */
export function utf8(text) {
  if (typeof text !== 'string' || hasLoneSurrogate(text)) {
    throw new CryptoError('invalid_encoding', 'not a well-formed Unicode string');
  }
  return textEncoder.encode(text);
}

/** 4-byte big-endian encoding of an integer in [0, 2^32). */
export function u32be(value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new CryptoError('invalid_encoding', 'u32 out of range');
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** 8-byte big-endian encoding of an integer (number or bigint) in [0, 2^64). */
export function u64be(value) {
  const v = BigInt(value);
  if (v < 0n || v >= 2n ** 64n) throw new CryptoError('invalid_encoding', 'u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

function bytesToBigLE(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function bigToBytesLE(value, length) {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// -- scalars ----------------------------------------------------------------------------------

/** `value mod L` in [0, L). */
export function mod(value) {
  const r = value % L;
  return r < 0n ? r + L : r;
}

/** True for a bigint in [0, L). */
export function isScalar(value) {
  return typeof value === 'bigint' && value >= 0n && value < L;
}

/** Decode a canonical 32-byte little-endian scalar; refuses a wrong length and values >= L. */
export function decodeScalar(bytes) {
  if (!isBytes(bytes) || bytes.length !== SCALAR_BYTES) {
    throw new CryptoError('invalid_encoding', `a scalar must be ${SCALAR_BYTES} bytes`);
  }
  const value = bytesToBigLE(bytes);
  if (value >= L) {
    throw new CryptoError('invalid_encoding', 'scalar is not canonical (not below the group order)');
  }
  return value;
}

/** The canonical 32-byte little-endian encoding of a scalar. */
export function encodeScalar(scalar) {
  if (!isScalar(scalar)) throw new CryptoError('invalid_encoding', 'not a scalar in [0, L)');
  return bigToBytesLE(scalar, SCALAR_BYTES);
}

/** reduce64: 64 bytes read little-endian, mod L. */
export function scalarFromWide(bytes) {
  if (!isBytes(bytes) || bytes.length !== 64) {
    throw new CryptoError('invalid_encoding', 'a wide scalar input must be 64 bytes');
  }
  return bytesToBigLE(bytes) % L;
}

export const addScalars = (a, b) => (a + b) % L;
export const subScalars = (a, b) => mod(a - b);
export const mulScalars = (a, b) => (a * b) % L;
export const negScalar = (a) => mod(-a);

/** The inverse of a non-zero scalar (Fermat; for public values, e.g. test vectors). */
export function invertScalar(a) {
  if (!isScalar(a) || a === 0n) throw new RangeError('zero has no inverse modulo L');
  let result = 1n;
  let base = a;
  let e = L - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % L;
    base = (base * base) % L;
    e >>= 1n;
  }
  return result;
}

/** A uniformly random non-zero scalar from the platform CSPRNG (64 bytes reduced mod L). */
export function randomScalar() {
  const wide = new Uint8Array(64);
  for (;;) {
    globalThis.crypto.getRandomValues(wide);
    const s = scalarFromWide(wide);
    wide.fill(0);
    if (s !== 0n) return s;
  }
}

// -- points -----------------------------------------------------------------------------------

// Encoding a point costs an inverse square root (~0.15 ms); points are immutable, so each
// one's encoding is computed at most once. Decoded points remember the bytes they came from.
const encodings = new WeakMap();

/** True for a ristretto255 point object. */
export function isPoint(value) {
  return value instanceof Point;
}

/**
 * The canonical 32-byte encoding of a point (internal: the returned array is shared and must
 * not be modified; use encodePoint for a private copy).
 */
export function enc(point) {
  let bytes = encodings.get(point);
  if (bytes === undefined) {
    if (!isPoint(point)) throw new CryptoError('invalid_encoding', 'not a ristretto255 point');
    bytes = point.toBytes();
    encodings.set(point, bytes);
  }
  return bytes;
}

/** The canonical 32-byte encoding of a point (a fresh copy). */
export function encodePoint(point) {
  return enc(point).slice();
}

/**
 * Decode and validate a 32-byte encoding (RFC 9496 §4.3.1).
 * Throws CryptoError `invalid_encoding` for a wrong length or an invalid / non-canonical
 * encoding, and `identity_not_allowed` for the identity unless `allowIdentity`.
 */
export function decodePoint(bytes, { allowIdentity = false } = {}) {
  if (!isBytes(bytes) || bytes.length !== POINT_BYTES) {
    throw new CryptoError('invalid_encoding', `a point must be ${POINT_BYTES} bytes`);
  }
  const raw = Uint8Array.from(bytes);
  let point;
  try {
    point = Point.fromBytes(raw);
  } catch {
    throw new CryptoError('invalid_encoding', 'not a canonical ristretto255 encoding');
  }
  if (point.is0() && !allowIdentity) {
    throw new CryptoError('identity_not_allowed', 'the identity element is not allowed here');
  }
  encodings.set(point, raw);
  return point;
}

/** Whether two points are the same group element (compared by canonical encoding). */
export function pointsEqual(a, b) {
  return equalBytes(enc(a), enc(b));
}

/** Whether a point is the identity. */
export function isIdentity(point) {
  return point.is0();
}

/** `s·G` for a secret scalar: noble's constant-time, blinded fixed-base multiplication. */
export function baseMulSecret(s) {
  // multiply() refuses 0 (it would take a different path); 0 has probability 2^-252.
  return s === 0n ? IDENTITY : G.multiply(s);
}

/** `s·P` for a secret scalar: noble's constant-time multiplication (precomputed if P has a table). */
export function mulSecret(point, s) {
  if (point.is0() || s === 0n) return IDENTITY;
  return point.multiply(s);
}

/** `s·P` for public values only (verification): variable time. */
export function mulPublic(point, s) {
  return point.multiplyUnsafe(s);
}

// Election keys get a fixed-window table so repeated encryption under one key is fast. The
// same key decoded twice maps to one canonical object (and one table); a few keys are kept.
const keyTables = new Map();
const MAX_KEY_TABLES = 4;

/** A copy of `point` with a precomputation table, shared by every caller using that key. */
export function withTable(point) {
  const hex = toHex(enc(point));
  let cached = keyTables.get(hex);
  if (cached === undefined) {
    cached = decodePoint(enc(point), { allowIdentity: true });
    cached.precompute(KEY_WINDOW, true);
    if (keyTables.size >= MAX_KEY_TABLES) keyTables.delete(keyTables.keys().next().value);
    keyTables.set(hex, cached);
  }
  return cached;
}

// -- framing and hashing ----------------------------------------------------------------------

/** frame(p1, …, pn) = u32be(len(p1)) ‖ p1 ‖ … : unambiguous concatenation (spec §3.1). */
export function frame(...parts) {
  let length = 0;
  for (const p of parts) {
    if (!isBytes(p)) throw new TypeError('frame parts must be Uint8Array');
    length += 4 + p.length;
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of parts) {
    view.setUint32(offset, p.length, false);
    out.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return out;
}

/** tag(d) = utf8("ballot/v1/" ‖ d). */
export function domainTag(domain) {
  return utf8(DOMAIN_PREFIX + domain);
}

/** The exact SHA-512 input of hashToScalar / hashToPoint. */
export function hashInput(domain, ...parts) {
  return frame(domainTag(domain), ...parts);
}

/** hash_to_scalar(d, p1, …) = reduce64(SHA-512(frame(tag(d), p1, …))). */
export function hashToScalar(domain, ...parts) {
  return scalarFromWide(sha512(hashInput(domain, ...parts)));
}

/** hash_to_point(d, p1, …) = RFC 9496 element derivation of SHA-512(frame(tag(d), p1, …)). */
export function hashToPoint(domain, ...parts) {
  return ristretto255_hasher.deriveToCurve(sha512(hashInput(domain, ...parts)));
}

/**
 * Deterministic scalar source for test vectors and benchmarks only (never for votes): the
 * i-th call (i = 1, 2, …) returns hash_to_scalar("test/rng", seed, u64be(i)).
 */
export function seededScalars(seed) {
  const seedBytes = typeof seed === 'string' ? utf8(seed) : Uint8Array.from(seed);
  let counter = 0;
  return () => {
    counter += 1;
    return hashToScalar('test/rng', seedBytes, u64be(counter));
  };
}
