// Where a delegation's signing key lives: IndexedDB, as a *non-extractable* WebCrypto Ed25519
// key (docs/web-client.md, "Key storage"). The private key never exists as bytes in JavaScript:
// scripts on this page can ask the browser to sign with it, but nothing — not even an injected
// script — can read it out and take it elsewhere. Only the public key is ever sent.
//
// Browsers without WebCrypto Ed25519 (or outside a secure context) fall back to a 32-byte seed
// from the platform CSPRNG, kept in the same IndexedDB record and used by the noble signer; the
// page says which kind of key it holds.

import { generateSigningKey, publicKeyFromSeed, signMessage } from './crypto/index.js';

const DB_NAME = 'ballot';
const STORE = 'credentials';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let dbPromise = null;
function db() {
  if (!dbPromise) {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    dbPromise = request(open);
  }
  return dbPromise;
}

async function tx(mode, fn) {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return request(fn(store));
}

function recordId(role, sessionId) {
  return `${role}:${sessionId}`;
}

/** The stored credentials of `role` in a session, or null. */
export async function loadCredentials(role, sessionId) {
  return (await tx('readonly', (s) => s.get(recordId(role, sessionId)))) || null;
}

/** Store (or replace) credentials: {role, sessionId, subject, token, key, publicKey, …}. */
export async function saveCredentials(record) {
  await tx('readwrite', (s) => s.put({ ...record, id: recordId(record.role, record.sessionId) }));
}

/** Forget the credentials (and so the key) of `role` in a session. */
export async function deleteCredentials(role, sessionId) {
  await tx('readwrite', (s) => s.delete(recordId(role, sessionId)));
}

// Signed receipts are kept beside the key, one per round: what the server signed when it
// recorded the ballot, so that a record cut or rewritten later is contradicted by what this
// browser holds — not by what the server answers then.
function receiptId(sessionId, roundNumber) {
  return `receipt:${sessionId}:${roundNumber}`;
}

/** Keep a round's signed receipt (ballot-receipt/1); the first one kept is never replaced. */
export async function keepReceipt(receipt) {
  const id = receiptId(receipt.session_id, receipt.round_number);
  const kept = await tx('readonly', (s) => s.get(id));
  if (kept) return kept.receipt;
  await tx('readwrite', (s) => s.put({ id, receipt }));
  return receipt;
}

/** The signed receipt kept for a round, or null. */
export async function keptReceipt(sessionId, roundNumber) {
  const kept = await tx('readonly', (s) => s.get(receiptId(sessionId, roundNumber)));
  return kept ? kept.receipt : null;
}

async function webCryptoKey() {
  if (!globalThis.crypto || !crypto.subtle || !window.isSecureContext) return null;
  try {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return { kind: 'webcrypto', privateKey: pair.privateKey, publicKey };
  } catch {
    return null; // no Ed25519 in this browser's WebCrypto
  }
}

/** A new signing key: {kind: 'webcrypto'|'seed', publicKey: Uint8Array(32), …}. */
export async function newSigningKey() {
  const key = await webCryptoKey();
  if (key) return key;
  const seed = generateSigningKey();
  return { kind: 'seed', seed, publicKey: publicKeyFromSeed(seed) };
}

/** Ed25519 signature (64 bytes) of `message` with a stored key. */
export async function sign(key, message) {
  if (key.kind === 'webcrypto') {
    return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message));
  }
  return signMessage(key.seed, message);
}

/** Whether IndexedDB works here (private windows of some browsers refuse it). */
export async function storageWorks() {
  try {
    await db();
    return true;
  } catch {
    return false;
  }
}
