// Canonical JSON forms (docs/verification-spec.md §4), byte-identical with crypto/encoding.py.
//
// Every scalar and point travels as base64url without padding of its 32-byte encoding.
// Decoding is strict so that every byte string has exactly one text form: only the URL-safe
// alphabet, no padding or whitespace, no length ≡ 1 (mod 4), no non-zero unused bits, and the
// exact expected length. Objects must have exactly the documented keys.

import {
  CryptoError,
  POINT_BYTES,
  SCALAR_BYTES,
  decodePoint,
  decodeScalar,
  enc,
  encodeScalar,
  isBytes,
} from './group.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Map([...ALPHABET].map((c, i) => [c, i]));
const B64URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 4648 §5). */
export function b64e(bytes) {
  if (!isBytes(bytes)) throw new TypeError('b64e expects a Uint8Array');
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/**
 * Strictly decode unpadded base64url; with `length`, require exactly that many bytes.
 * Throws CryptoError `invalid_encoding`.
 */
export function b64d(text, length = undefined, what = 'value') {
  if (typeof text !== 'string') {
    throw new CryptoError('invalid_encoding', `${what} must be a base64url string`);
  }
  if (!B64URL.test(text) || text.length % 4 === 1) {
    throw new CryptoError('invalid_encoding', `${what} is not unpadded base64url`);
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const c of text) {
    acc = (acc << 6) | LOOKUP.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) {
    throw new CryptoError('invalid_encoding', `${what} is not canonical base64url (non-zero trailing bits)`);
  }
  if (length !== undefined && out.length !== length) {
    throw new CryptoError('invalid_encoding', `${what} must encode ${length} bytes, got ${out.length}`);
  }
  return out;
}

// -- structural helpers -----------------------------------------------------------------------

function isPlainObject(obj) {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return false;
  const proto = Object.getPrototypeOf(obj);
  return proto === Object.prototype || proto === null;
}

/** `obj` as a plain object with exactly `keys` (no missing, no unknown keys). */
export function expectObject(obj, keys, what) {
  if (!isPlainObject(obj)) throw new CryptoError('invalid_encoding', `${what} must be a JSON object`);
  const present = Object.keys(obj);
  const missing = keys.filter((k) => !Object.hasOwn(obj, k));
  const unknown = present.filter((k) => !keys.includes(k));
  if (missing.length || unknown.length) {
    throw new CryptoError(
      'invalid_encoding',
      `${what}: missing keys [${missing.join(', ')}], unknown keys [${unknown.join(', ')}]`,
    );
  }
  return obj;
}

/** `obj` as a JSON array. */
export function expectList(obj, what) {
  if (!Array.isArray(obj)) throw new CryptoError('invalid_encoding', `${what} must be a JSON array`);
  return obj;
}

// -- scalars and points -----------------------------------------------------------------------

/** A scalar as base64url of its 32-byte little-endian encoding. */
export function scalarToJSON(s) {
  return b64e(encodeScalar(s));
}

/** Inverse of scalarToJSON; refuses values >= L. */
export function scalarFromJSON(obj, what = 'scalar') {
  const raw = b64d(obj, SCALAR_BYTES, what);
  try {
    return decodeScalar(raw);
  } catch (e) {
    throw new CryptoError(e.code ?? 'invalid_encoding', `${what}: ${e.message}`);
  }
}

/** A point as base64url of its 32-byte ristretto255 encoding. */
export function pointToJSON(p) {
  return b64e(enc(p));
}

/** Inverse of pointToJSON; validates the point and refuses the identity unless allowed. */
export function pointFromJSON(obj, what = 'point', { allowIdentity = false } = {}) {
  const raw = b64d(obj, POINT_BYTES, what);
  try {
    return decodePoint(raw, { allowIdentity });
  } catch (e) {
    throw new CryptoError(e.code ?? 'invalid_encoding', `${what}: ${e.message}`);
  }
}
