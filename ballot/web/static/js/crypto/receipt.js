// Receipt verification in the browser, byte-identical with the Python side (ballot/ledger/
// verify_published_receipt; docs/event-log.md and docs/verification-spec.md §12):
//
// * canonical JSON (RFC 8785 restricted to integers, as the event log stores it) and the event's
//   chain hash  SHA-256("ballot/v1/event" ‖ prev_hash ‖ canonical bytes);
// * RFC 9162 Merkle trees: leaf and node hashes, inclusion-proof verification;
// * the session's signed checkpoints  frame(tag("checkpoint"), u64(position), head_hash, log_root).
//
// A receipt look-up reply (GET …/receipts/{code}) verifies with nothing but the session's
// checkpoint key: the BallotCast record re-hashes to its hash and carries the tracking code, the
// inclusion proof leads from that hash to the checkpoint's root, and the key signed the checkpoint.

import { sha256 } from '@noble/hashes/sha2.js';
import { BallotContext, ballotFromJSON, renderTrackingCode, trackingHash } from './ballot.js';
import { b64d } from './encoding.js';
import { CryptoError, concatBytes, equalBytes, fromHex, toHex, u64be, utf8 } from './group.js';
import { signedMessage, verifySignature } from './signing.js';

export const HASH_BYTES = 32;
export const EVENT_TAG = 'ballot/v1/event';
export const GENESIS_HASH = new Uint8Array(HASH_BYTES);
/** The keys of an event's canonical bytes, in their (sorted) order. */
export const EVENT_KEYS = Object.freeze(['event_id', 'event_type', 'log_id', 'metadata', 'payload', 'position', 'recorded_at', 'schema_version', 'stream_id', 'stream_version']);
/** The keys of an exported record (a JSON Lines line): the event's and its two hashes. */
export const RECORD_KEYS = Object.freeze([...EVENT_KEYS, 'hash', 'prev_hash'].sort());

// -- canonical JSON --------------------------------------------------------------------------

function wellFormed(text) {
  try {
    utf8(text);
    return true;
  } catch {
    return false;
  }
}

function hasSurrogate(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * The canonical JSON text of a value (docs/event-log.md): keys sorted by code point, no
 * whitespace, strings escaped only where JSON requires, integers within ±(2^53 − 1) in plain
 * decimal. Fractions, unsafe integers, lone surrogates and object keys outside the Basic
 * Multilingual Plane are refused (CryptoError `invalid_encoding`), as the Python side does.
 */
export function canonicalJSON(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    // -0 is written 0, as Python writes the integer it parses from "-0".
    if (!Number.isSafeInteger(value)) throw new CryptoError('invalid_encoding', 'canonical JSON holds only integers within ±(2^53 − 1)');
    return String(value === 0 ? 0 : value);
  }
  if (typeof value === 'string') {
    if (!wellFormed(value)) throw new CryptoError('invalid_encoding', 'a string is not well-formed Unicode');
    // JSON.stringify escapes exactly what JCS does: " \ and control characters (\b \f \n \r \t
    // short, others as lower-case \u00xx), and nothing else.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (typeof value === 'object') {
    // An explicit sort: an object's own key order puts integer-like keys first ("9" < "10").
    // Default sort compares UTF-16 code units, which is code-point order for BMP keys.
    const keys = Object.keys(value).sort();
    for (const key of keys) {
      if (hasSurrogate(key)) throw new CryptoError('invalid_encoding', 'an object key is outside the Basic Multilingual Plane');
    }
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(value[k])}`).join(',')}}`;
  }
  throw new CryptoError('invalid_encoding', `${typeof value} is not a canonical JSON value`);
}

// -- event records and their hashes ------------------------------------------------------------

const HEX32 = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function recordError(message) {
  return new CryptoError('receipt_record_invalid', message);
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The canonical bytes of an event (the fields of EVENT_KEYS of a parsed record). */
export function eventCanonicalBytes(record) {
  const event = {};
  for (const key of EVENT_KEYS) event[key] = record[key];
  return utf8(canonicalJSON(event));
}

/** SHA-256("ballot/v1/event" ‖ prevHash ‖ canonicalBytes). */
export function chainHash(prevHash, canonicalBytes) {
  return sha256(concatBytes(utf8(EVENT_TAG), prevHash, canonicalBytes));
}

/**
 * Parse one exported event record (a JSON Lines line, without its newline) strictly: exactly
 * the record's keys with the right types, and byte for byte its canonical form (so one text per
 * event). Throws CryptoError `receipt_record_invalid`. Returns the parsed object.
 */
export function parseEventRecord(line) {
  if (typeof line !== 'string') throw recordError('a record is a line of text');
  let obj;
  try {
    obj = JSON.parse(line);
  } catch {
    throw recordError('the record is not JSON');
  }
  if (!isPlainObject(obj)) throw recordError('the record is not a JSON object');
  const keys = Object.keys(obj).sort();
  if (keys.length !== RECORD_KEYS.length || keys.some((k, i) => k !== RECORD_KEYS[i])) {
    throw recordError('the record does not have exactly the keys of an exported event');
  }
  for (const key of ['event_id', 'event_type', 'log_id', 'stream_id', 'recorded_at']) {
    if (typeof obj[key] !== 'string') throw recordError(`${key} must be a string`);
  }
  for (const key of ['position', 'schema_version', 'stream_version']) {
    if (!Number.isSafeInteger(obj[key]) || obj[key] < 1) throw recordError(`${key} must be a positive integer`);
  }
  if (!isPlainObject(obj.payload) || !isPlainObject(obj.metadata)) throw recordError('payload and metadata must be objects');
  if (!HEX32.test(obj.hash) || !HEX32.test(obj.prev_hash)) throw recordError('hashes are 32 bytes in lower-case hex');
  if (!TIMESTAMP.test(obj.recorded_at)) throw recordError('recorded_at is not a canonical timestamp');
  let canonical;
  try {
    canonical = canonicalJSON(obj);
  } catch (e) {
    throw recordError(`the record holds a value canonical JSON refuses: ${e.message}`);
  }
  if (canonical !== line) throw recordError('the record is not in canonical form');
  return obj;
}

/**
 * Parse a record (parseEventRecord) and check that its canonical bytes hash, after its
 * prev_hash, to the hash it carries. Returns { record, hash } (hash as bytes).
 */
export function verifyEventRecord(line) {
  const record = parseEventRecord(line);
  const hash = chainHash(fromHex(record.prev_hash), eventCanonicalBytes(record));
  if (toHex(hash) !== record.hash) throw recordError('the record does not hash to the hash it carries');
  return { record, hash };
}

// -- RFC 9162 Merkle trees ----------------------------------------------------------------------

/** MTH of no leaves: SHA-256 of the empty string. */
export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** leaf_hash(d) = SHA-256(0x00 ‖ d). */
export function leafHash(data) {
  return sha256(concatBytes(Uint8Array.of(0), data));
}

/** node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r). */
export function nodeHash(left, right) {
  return sha256(concatBytes(Uint8Array.of(1), left, right));
}

/** The tree head MTH of leaf hashes (RFC 9162 §2.1.1; recursive, for small trees and tests). */
export function merkleRoot(leafHashes) {
  const n = leafHashes.length;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

function notIncluded(message) {
  return new CryptoError('receipt_not_included', message);
}

/**
 * RFC 9162 §2.1.3.2, verbatim (docs/verification-spec.md §12.3.2): return if `path` proves
 * `leaf` (a leaf hash) at `index` in the tree of `treeSize` leaves with root `root`; otherwise
 * throw CryptoError `receipt_not_included`. Sizes are integers; hashes 32-byte Uint8Arrays.
 */
export function verifyInclusion(leaf, index, treeSize, path, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    throw notIncluded(`index ${index} is outside a tree of size ${treeSize}`);
  }
  for (const h of [leaf, root, ...path]) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) throw notIncluded('every hash of a proof is 32 bytes');
  }
  // BigInt: positions beyond 2^31 would break JavaScript's 32-bit shifts.
  let fn = BigInt(index);
  let sn = BigInt(treeSize - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw notIncluded('the inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw notIncluded('the inclusion proof is too short');
  if (!equalBytes(r, root)) throw notIncluded('the inclusion proof does not lead to the root');
}

// -- checkpoints ----------------------------------------------------------------------------------

/** The signed bytes: frame(tag("checkpoint"), u64(position), headHash, logRoot). */
export function checkpointMessage(position, headHash, logRoot) {
  return signedMessage('checkpoint', u64be(position), headHash, logRoot);
}

/**
 * A checkpoint as the API publishes it ({position, head_hash and log_root in hex, signature in
 * base64url}) as { position, headHash, logRoot, signature } bytes. Throws `invalid_encoding`.
 */
export function checkpointFromJSON(obj) {
  if (!isPlainObject(obj) || !Number.isSafeInteger(obj.position) || obj.position < 1) {
    throw new CryptoError('invalid_encoding', 'a checkpoint has a positive integer position');
  }
  const hash = (text, what) => {
    if (typeof text !== 'string' || !HEX32.test(text)) throw new CryptoError('invalid_encoding', `${what} is 32 bytes in lower-case hex`);
    return fromHex(text);
  };
  return {
    position: obj.position,
    headHash: hash(obj.head_hash, 'head_hash'),
    logRoot: hash(obj.log_root, 'log_root'),
    signature: b64d(obj.signature, 64, 'checkpoint signature'),
  };
}

/** Check a checkpoint's Ed25519 signature; throws CryptoError `checkpoint_signature_invalid`. */
export function verifyCheckpoint(checkpoint, publicKey) {
  try {
    verifySignature(publicKey, checkpointMessage(checkpoint.position, checkpoint.headHash, checkpoint.logRoot), checkpoint.signature);
  } catch (e) {
    if (e instanceof CryptoError) throw new CryptoError('checkpoint_signature_invalid', `the checkpoint is not signed by the session's checkpoint key: ${e.message}`);
    throw e;
  }
}

// -- receipts -------------------------------------------------------------------------------------

/**
 * Verify a receipt look-up reply for `code` (the tracking code the delegation holds):
 *
 * 1. the BallotCast record is canonical and hashes to its hash (`receipt_record_invalid`);
 * 2. it is a BallotCast carrying `code`, at the reply's position (`receipt_code_mismatch`);
 * 3. with `round` ({ sessionId, options, electionKey }), the tracking code recomputed from the
 *    recorded ballot and signature is `code` (`receipt_code_mismatch`): the recorded ballot is
 *    the one the delegation's browser made, not just a record naming its code;
 * 4. if a checkpoint covers it: the inclusion proof leads from the event's hash to the
 *    checkpoint's root (`receipt_not_included`), and `checkpointKey` (bytes; default: the
 *    reply's own) signed the checkpoint (`checkpoint_signature_invalid`).
 *
 * Returns { record, covered, trackingHash } — covered is false while no checkpoint covers the
 * ballot yet (steps 1–3 passed, 4 not possible); trackingHash (bytes, with `round` only) is the
 * recomputed tracking hash verifyBallotSet needs. Throws CryptoError on the first failed check.
 */
export function verifyReceipt(reply, code, { round = null, checkpointKey = null } = {}) {
  if (!isPlainObject(reply)) throw recordError('no receipt');
  const { record, hash } = verifyEventRecord(reply.record);
  const wanted = String(code).trim().toUpperCase();
  const payload = record.payload;
  let trackingDigest = null;
  if (record.event_type !== 'BallotCast' || payload.tracking_code !== wanted) {
    throw new CryptoError('receipt_code_mismatch', `the record is not the ballot with code ${wanted}`);
  }
  if (record.position !== reply.position) throw new CryptoError('receipt_code_mismatch', 'the record is not at the position the reply gives');
  if (round) {
    let digest;
    try {
      const ctx = new BallotContext({
        sessionId: round.sessionId,
        roundNumber: payload.round_number,
        electionKey: round.electionKey,
        delegationId: payload.delegation_id,
        options: round.options,
      });
      digest = trackingHash(ctx, ballotFromJSON(payload.ballot), b64d(payload.signature, 64, 'ballot signature'));
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      throw new CryptoError('receipt_code_mismatch', `the recorded ballot is unusable: ${e.message}`);
    }
    if (renderTrackingCode(digest) !== wanted) throw new CryptoError('receipt_code_mismatch', 'the recorded ballot does not hash to this tracking code');
    trackingDigest = digest;
  }
  if (reply.checkpoint === null || reply.checkpoint === undefined) return { record, covered: false, trackingHash: trackingDigest };
  const checkpoint = checkpointFromJSON(reply.checkpoint);
  if (!Array.isArray(reply.inclusion_proof)) throw notIncluded('no inclusion proof');
  const path = reply.inclusion_proof.map((h) => {
    if (typeof h !== 'string' || !HEX32.test(h)) throw notIncluded('every hash of a proof is 32 bytes in hex');
    return fromHex(h);
  });
  verifyIncluded(hash, record.position, reply.checkpoint, reply.inclusion_proof, checkpointKey ?? b64d(reply.checkpoint_key, 32, 'checkpoint key'));
  return { record, covered: true, trackingHash: trackingDigest };
}

function hexPath(proof, error) {
  if (!Array.isArray(proof)) throw error('no inclusion proof');
  return proof.map((h) => {
    if (typeof h !== 'string' || !HEX32.test(h)) throw error('every hash of a proof is 32 bytes in hex');
    return fromHex(h);
  });
}

// The event with `hash` is at `position` in the log a published checkpoint signs, with `key`.
function verifyIncluded(hash, position, checkpointJSON, proof, key) {
  const checkpoint = checkpointFromJSON(checkpointJSON);
  verifyInclusion(leafHash(hash), position - 1, checkpoint.position, hexPath(proof, notIncluded), checkpoint.logRoot);
  verifyCheckpoint(checkpoint, key);
}

function closedError(message) {
  return new CryptoError('round_closed_invalid', message);
}

function setMismatch(message) {
  return new CryptoError('ballot_set_mismatch', message);
}

/**
 * Verify that a receipt's ballot is counted: the reply's `ballot_set` proves that it is in its
 * closed round's committed set (ballot/ledger/ verify_counted_receipt makes the same checks).
 * `verified` is what verifyReceipt returned for this reply, with `round` given (it carries the
 * BallotCast record and the tracking hash recomputed from its ballot and signature).
 *
 * 1. the RoundClosed record is canonical and hashes to its hash, is a RoundClosed of the ballot's
 *    round, later in the same log, with a ballot count and root (`round_closed_invalid`);
 * 2. its inclusion proof leads to its checkpoint's root (`receipt_not_included`), signed with
 *    `checkpointKey` (default: the reply's own; `checkpoint_signature_invalid`);
 * 3. the tracking hash is leaf `leaf_index` of the `ballot_count` leaves under `ballots_root`
 *    (`ballot_set_mismatch`).
 *
 * Returns the RoundClosed record; throws CryptoError on the first failed check.
 */
export function verifyBallotSet(reply, verified, { checkpointKey = null } = {}) {
  const set = reply?.ballot_set;
  if (!isPlainObject(set)) throw closedError('no proof of the ballot set');
  if (!verified?.trackingHash) throw setMismatch('the tracking hash was not recomputed from the recorded ballot');
  const ballot = verified.record;
  let closed;
  let hash;
  try {
    ({ record: closed, hash } = verifyEventRecord(set.record));
  } catch (e) {
    if (e instanceof CryptoError) throw closedError(`the RoundClosed record: ${e.message}`);
    throw e;
  }
  const payload = closed.payload;
  if (closed.event_type !== 'RoundClosed' || closed.log_id !== ballot.log_id || payload.round_number !== ballot.payload.round_number || closed.position <= ballot.position) {
    throw closedError(`the record is not the closing of round ${ballot.payload.round_number} after the ballot, in its session's log`);
  }
  let root;
  try {
    root = b64d(payload.ballots_root, 32, 'ballots_root');
  } catch (e) {
    if (e instanceof CryptoError) throw closedError('the RoundClosed record has no ballot count and root');
    throw e;
  }
  const count = payload.ballot_count;
  if (!Number.isSafeInteger(count) || count < 0) throw closedError('the RoundClosed record has no ballot count and root');
  verifyIncluded(hash, closed.position, set.checkpoint, set.inclusion_proof, checkpointKey ?? b64d(reply.checkpoint_key, 32, 'checkpoint key'));
  try {
    verifyInclusion(leafHash(verified.trackingHash), set.leaf_index, count, hexPath(set.ballot_proof, setMismatch), root);
  } catch (e) {
    if (e instanceof CryptoError) throw setMismatch(`the ballot is not in the round's committed set: ${e.message}`);
    throw e;
  }
  return closed;
}

// -- signed receipts ------------------------------------------------------------------------------

export const RECEIPT_TYPE = 'ballot-receipt/1';
const RECEIPT_FIELDS = Object.freeze(['delegation_id', 'head_hash', 'position', 'round_number', 'session_id', 'signature', 'tracking_code', 'type']);

/**
 * A signed receipt file (ballot-receipt/1, docs/audit.md) checked for shape: exactly its keys, ids
 * and code as non-empty text, positive integers, a 32-byte hex hash. Throws `invalid_encoding`.
 */
export function signedReceiptFromJSON(obj) {
  const keys = isPlainObject(obj) ? Object.keys(obj).sort() : [];
  if (keys.join() !== RECEIPT_FIELDS.join() || obj.type !== RECEIPT_TYPE) {
    throw new CryptoError('invalid_encoding', `a ${RECEIPT_TYPE} receipt has exactly ${RECEIPT_FIELDS.join(', ')}`);
  }
  for (const k of ['session_id', 'delegation_id', 'tracking_code']) {
    if (typeof obj[k] !== 'string' || obj[k] === '') throw new CryptoError('invalid_encoding', `${k} is non-empty text`);
  }
  for (const k of ['round_number', 'position']) {
    if (!Number.isSafeInteger(obj[k]) || obj[k] < 1) throw new CryptoError('invalid_encoding', `${k} is a positive integer`);
  }
  if (typeof obj.head_hash !== 'string' || !HEX32.test(obj.head_hash)) throw new CryptoError('invalid_encoding', 'head_hash is 32 bytes in lower-case hex');
  return { ...obj, signatureBytes: b64d(obj.signature, 64, 'receipt signature') };
}

/** The signed bytes: frame(tag("receipt"), session, u64(round), delegation, code, u64(position), head hash). */
export function receiptMessage(r) {
  return signedMessage('receipt', utf8(r.session_id), u64be(r.round_number), utf8(r.delegation_id), utf8(r.tracking_code), u64be(r.position), fromHex(r.head_hash));
}

/** Check a signed receipt's signature under the session's checkpoint key (bytes); throws
 * CryptoError `receipt_signature_invalid` (or `invalid_encoding` for a malformed file). */
export function verifySignedReceipt(obj, publicKey) {
  const receipt = signedReceiptFromJSON(obj);
  try {
    verifySignature(publicKey, receiptMessage(receipt), receipt.signatureBytes);
  } catch (e) {
    if (e instanceof CryptoError) throw new CryptoError('receipt_signature_invalid', `the receipt is not signed by the session's checkpoint key: ${e.message}`);
    throw e;
  }
  return receipt;
}

/**
 * The record still holds what the server signed: the look-up's BallotCast record is at the
 * receipt's position with the receipt's chain hash, round, delegation and code. Throws CryptoError
 * `receipt_contradicted` otherwise — the record was cut or rewritten after the receipt was given.
 */
export function checkReceiptAgainstRecord(receipt, reply) {
  if (!reply || reply.record === null || reply.record === undefined) {
    throw new CryptoError('receipt_contradicted', 'the record no longer holds the ballot the server signed this receipt for');
  }
  const { record, hash } = verifyEventRecord(reply.record);
  const p = record.payload;
  const same = record.position === receipt.position && toHex(hash) === receipt.head_hash && record.event_type === 'BallotCast' && p.round_number === receipt.round_number && p.delegation_id === receipt.delegation_id && p.tracking_code === receipt.tracking_code;
  if (!same) throw new CryptoError('receipt_contradicted', `the record no longer holds, at position ${receipt.position}, the ballot the server signed this receipt for`);
}
