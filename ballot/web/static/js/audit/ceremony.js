// The key ceremony's result, re-derived in the browser from its public messages: the twin of
// crypto/dkg/ceremony.py's `qualified`, `joint_public_key` and `verification_key` as
// ballot/domain/decide/ceremony.py's `ceremony_key` uses them. The election key every ballot
// is encrypted under must be the sum of the qualified tellers' commitments — not a key the
// server (or anyone alone) knows the secret of — and each teller's verification key, which
// its decryption shares are checked against, must follow from the same commitments.
import { x25519 } from '@noble/curves/ed25519.js';
import {
  G, IDENTITY, L, SchnorrProof, b64d, b64e, concatBytes, decodePoint, domainTag, enc, encodeScalar, frame, mulPublic,
  scalarFromJSON, signedMessage, toHex, u32be, utf8, verifySchnorr, verifySignature,
} from '../crypto/index.js';

const point = (text, what) => decodePoint(b64d(text, 32, what), { allowIdentity: true });

/** The ceremony's public messages, as the log holds them. */
export class Ceremony {
  constructor() {
    this.commitments = new Map(); // dealer index -> [C_i0, …, C_i,k-1]
    this.dealt = new Set();
    this.complaints = []; // [accuser, accused]
    this.answers = []; // [accused, accuser, share]
    // What each message was, to tell an exact re-send from a second, different one.
    this.messages = { commitments: new Map(), dealt: new Map(), complaints: new Set(), answers: new Map() };
  }

  /** Fold one ceremony event (anything else is ignored); a message that does not decode is left out. */
  apply(type, p) {
    const seen = this.messages;
    try {
      if (type === 'KeyCeremonyCommitted' && !seen.commitments.has(p.index)) seen.commitments.set(p.index, toHex(commitmentOf(p.commitment).bytes));
      else if (type === 'KeyCeremonySharesDealt' && !seen.dealt.has(p.index)) seen.dealt.set(p.index, p.shares.map((s) => toHex(shareOf(s.share).bytes)).join());
      else if (type === 'KeyCeremonyComplaintFiled') seen.complaints.add(`${p.complaint.accuser}/${p.complaint.accused}`);
      else if (type === 'KeyCeremonyComplaintAnswered' && !seen.answers.has(`${p.answer.accuser}/${p.answer.accused}`)) seen.answers.set(`${p.answer.accuser}/${p.answer.accused}`, toHex(pairOf(p.answer, 'answer').bytes));
    } catch {
      // as below
    }
    try {
      if (type === 'KeyCeremonyCommitted' && !this.commitments.has(p.index)) {
        this.commitments.set(p.index, p.commitment.coefficient_commitments.map((c, m) => point(c, `coefficient_commitments[${m}]`)));
      } else if (type === 'KeyCeremonySharesDealt') {
        this.dealt.add(p.index);
      } else if (type === 'KeyCeremonyComplaintFiled') {
        const { accuser, accused } = p.complaint;
        if (!this.complaints.some(([a, b]) => a === accuser && b === accused)) this.complaints.push([accuser, accused]);
      } else if (type === 'KeyCeremonyComplaintAnswered') {
        this.answers.push([p.answer.accused, p.answer.accuser, scalarFromJSON(p.answer.share, 'share')]);
      }
    } catch {
      // Refused by the rules too (ceremony.message): it takes no part in the result.
    }
  }

  /**
   * The ElectionKeyPublished the rules give for `tellers` tellers:
   * { payload: { election_key, qualified, verification_keys } } or { refusal: [check, message] }.
   */
  result(tellers) {
    // Only dealers that committed and dealt can qualify: the others would lack its shares.
    const dealers = new Map([...this.commitments].filter(([i]) => this.dealt.has(i)));
    if (!dealers.size) return { refusal: ['ceremony.key', 'no dealer has published a commitment'] };
    const ks = new Set([...dealers.values()].map((c) => c.length));
    if (ks.size !== 1) return { refusal: ['ceremony.message', 'commitments disagree on (or lack) the threshold'] };
    const [k] = ks;
    const disqualified = new Set();
    for (const [accuser, accused] of this.complaints) {
      if (!dealers.has(accused)) continue;
      const shares = this.answers.filter(([i, j]) => i === accused && j === accuser).map(([, , s]) => s);
      if (!shares.length || !shares.every((s) => matches(dealers.get(accused), accuser, s))) disqualified.add(accused);
    }
    const qual = [...dealers.keys()].filter((i) => !disqualified.has(i)).sort((a, b) => a - b);
    if (qual.length < k) return { refusal: ['ceremony.key', `only ${qual.length} dealers qualified, the threshold is ${k}`] };
    const summed = Array.from({ length: k }, (_, m) => qual.reduce((acc, i) => acc.add(dealers.get(i)[m]), IDENTITY));
    if (summed[0].is0()) return { refusal: ['ceremony.message', 'the joint public key is the identity'] };
    return {
      payload: {
        election_key: b64e(enc(summed[0])),
        qualified: qual,
        verification_keys: Array.from({ length: tellers }, (_, j) => ({ index: j + 1, key: b64e(enc(evaluate(summed, j + 1))) })),
      },
    };
  }
}

/** `Σ_m C_m·x^m`: a Feldman commitment evaluated at `x`. */
function evaluate(commitments, x) {
  let power = 1n;
  let out = IDENTITY;
  for (const c of commitments) {
    out = out.add(power === 1n ? c : mulPublic(c, power));
    power = (power * BigInt(x)) % L;
  }
  return out;
}

/** Whether a revealed share matches the dealer's commitments: `s·G == Σ_m C_m·j^m`. */
function matches(commitments, recipient, share) {
  if (!commitments.length) return false;
  const lhs = share === 0n ? IDENTITY : mulPublic(G, share);
  return lhs.equals(evaluate(commitments, recipient));
}

// -- the messages' own validity (ballot/domain/decide/ceremony.py) ------------------------------

const PURPOSE = {
  KeyCeremonyCommitted: 'dkg/signed-commitment',
  KeyCeremonySharesDealt: 'dkg/signed-share',
  KeyCeremonyComplaintFiled: 'dkg/signed-complaint',
  KeyCeremonyComplaintAnswered: 'dkg/signed-answer',
};
const P25519 = 2n ** 255n - 19n;
const PROBE = new Uint8Array(32).fill(7);

function exactKeys(obj, keys, what) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj) || Object.keys(obj).sort().join() !== [...keys].sort().join()) {
    throw new Error(`${what} has exactly ${keys.join(', ')}`);
  }
  return obj;
}

function index(value, what) {
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new Error(`${what} must be a teller index`);
  return value;
}

/** The commitment's canonical bytes and decoded parts (crypto/dkg/forms.py, messages.py). */
function commitmentOf(obj) {
  const f = exactKeys(obj, ['index', 'coefficient_commitments', 'proofs', 'encryption_key'], 'dealer commitment');
  const i = index(f.index, 'dealer commitment.index');
  const points = f.coefficient_commitments.map((c, m) => point(c, `coefficient_commitments[${m}]`));
  if (points.some((c) => c.is0())) throw new Error('a coefficient commitment is the identity');
  const proofs = f.proofs.map((x, m) => SchnorrProof.fromJSON(x, `proofs[${m}]`));
  const key = b64d(f.encryption_key, 32, 'encryption_key');
  const bytes = frame(domainTag('dkg/dealer-commitment'), u32be(i), u32be(points.length), ...points.map(enc), ...proofs.map((p) => concatBytes(encodeScalar(p.challenge), encodeScalar(p.response))), key);
  return { index: i, points, proofs, key, bytes };
}

function shareOf(obj) {
  const f = exactKeys(obj, ['dealer', 'recipient', 'ephemeral_public', 'ciphertext'], 'encrypted share');
  const dealer = index(f.dealer, 'encrypted share.dealer');
  const recipient = index(f.recipient, 'encrypted share.recipient');
  const ephemeral = b64d(f.ephemeral_public, 32, 'ephemeral_public');
  const ciphertext = b64d(f.ciphertext, 48, 'ciphertext');
  if (dealer === recipient) throw new Error('a dealer does not send a share to itself');
  return { dealer, recipient, bytes: frame(domainTag('dkg/encrypted-share'), u32be(dealer), u32be(recipient), ephemeral, ciphertext) };
}

function pairOf(obj, kind) {
  const keys = kind === 'answer' ? ['accused', 'accuser', 'share'] : ['accuser', 'accused'];
  const f = exactKeys(obj, keys, kind === 'answer' ? 'complaint answer' : 'complaint');
  const accuser = index(f.accuser, `${kind}.accuser`);
  const accused = index(f.accused, `${kind}.accused`);
  if (accuser === accused) throw new Error('a teller cannot complain about itself');
  if (kind !== 'answer') return { accuser, accused, bytes: frame(domainTag('dkg/complaint'), u32be(accuser), u32be(accused)) };
  const share = scalarFromJSON(f.share, 'share');
  return { accuser, accused, share, bytes: frame(domainTag('dkg/complaint-answer'), u32be(accused), u32be(accuser), encodeScalar(share)) };
}

function contextBytes(sessionId, tellers, threshold) {
  return frame(domainTag('dkg/context'), utf8(sessionId), u32be(tellers), u32be(threshold));
}

/** verify_commitment: k commitments and proofs, a usable X25519 key, every proof. */
function commitmentProblem(c, ctx, tellers, threshold) {
  if (c.index < 1 || c.index > tellers) return `dealer index must be in [1, ${tellers}]`;
  if (c.points.length !== threshold || c.proofs.length !== threshold) return `expected ${threshold} coefficient commitments and proofs`;
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(c.key[i]);
  if (u >= P25519) return 'X25519 public key is not canonical';
  try {
    x25519.getSharedSecret(PROBE, c.key);
  } catch {
    return 'X25519 public key has small order';
  }
  for (let m = 0; m < c.points.length; m++) {
    try {
      verifySchnorr(c.points[m], c.proofs[m], frame(domainTag('dkg/coefficient'), ctx, u32be(c.index), u32be(m), c.key));
    } catch {
      return `proof of knowledge of coefficient ${m} does not verify`;
    }
  }
  return null;
}

/**
 * What the rules make of a key-ceremony message (`type`, payload `p`): null (recorded as it
 * is), { refusal: [check, message] } or { noop: true }. `ctx`: { sessionId, settings,
 * tellerIndex (id → index), tellerKeys (id → key bytes), published, ceremony }.
 */
export function ceremonyVerdict(type, p, { phase, sessionId, settings, tellerIndex, tellerKeys, published, ceremony }) {
  if (!PURPOSE[type]) return null;
  const refuse = (check, message) => ({ refusal: [check, message] });
  if (phase === 'new') return refuse('session.sequence', 'convene the session first');
  if (phase === 'elected' || phase === 'adjourned') return refuse('session.concluded', `the session is ${phase}`);
  const tellers = settings.tellers ?? 3;
  const threshold = settings.threshold ?? 2;
  if (!tellerIndex.size) return refuse('ceremony.message', 'appoint the tellers first');
  if (published) return refuse('ceremony.message', 'the election key is already published');
  const sender = tellerIndex.get(p.teller_id);
  if (sender === undefined) return refuse('ceremony.message', `no teller ${p.teller_id}`);
  const key = tellerKeys.get(p.teller_id);
  if (!key) return refuse('ceremony.message', `${p.teller_id} has not enrolled a key`);
  const ctx = contextBytes(sessionId, tellers, threshold);
  const allCommitted = () => [...tellerIndex.values()].every((i) => ceremony.messages.commitments.has(i));
  const signed = (bytes, signature) => {
    try {
      verifySignature(key, signedMessage(PURPOSE[type], ctx, bytes), b64d(signature, 64, 'signature'));
      return null;
    } catch (e) {
      return refuse('ceremony.signature', `${p.teller_id}'s signature: ${e.message}`);
    }
  };
  const seen = ceremony.messages;
  try {
    if (type === 'KeyCeremonyCommitted') {
      const c = commitmentOf(p.commitment);
      const before = seen.commitments.get(sender);
      if (before !== undefined) return before === toHex(c.bytes) ? { noop: true } : refuse('ceremony.message', `${p.teller_id} has already committed`);
      if (c.index !== sender) return refuse('ceremony.message', `${p.teller_id} is teller ${sender}, the commitment is for ${c.index}`);
      const problem = commitmentProblem(c, ctx, tellers, threshold);
      if (problem) return refuse('ceremony.message', problem);
      return signed(c.bytes, p.signature) || { expected: { ...p, index: sender } };
    }
    if (!allCommitted() && type !== 'KeyCeremonyComplaintAnswered') return refuse('ceremony.message', 'the ceremony waits for every commitment');
    if (type === 'KeyCeremonySharesDealt') {
      const shares = p.shares.map((s) => ({ ...shareOf(s.share), signature: s.signature }));
      const digest = shares.map((s) => toHex(s.bytes)).join();
      const before = seen.dealt.get(sender);
      if (before !== undefined) return before === digest ? { noop: true } : refuse('ceremony.message', `${p.teller_id} has already dealt`);
      const expected = [...tellerIndex.values()].filter((i) => i !== sender).sort((a, b) => a - b);
      const got = shares.map((s) => s.recipient).sort((a, b) => a - b);
      if (got.join() !== expected.join() || shares.some((s) => s.dealer !== sender)) return refuse('ceremony.message', `dealer ${sender} must send exactly one share to each of ${expected}`);
      for (const s of shares) {
        const bad = signed(s.bytes, s.signature);
        if (bad) return bad;
      }
      return { expected: { ...p, index: sender } };
    }
    if (type === 'KeyCeremonyComplaintFiled') {
      const c = pairOf(p.complaint, 'complaint');
      if (c.accuser !== sender || !seen.commitments.has(c.accused)) return refuse('ceremony.message', `teller ${sender} can only complain in its own name about a dealer`);
      if (seen.complaints.has(`${c.accuser}/${c.accused}`)) return { noop: true };
      return signed(c.bytes, p.signature) || { expected: { ...p, index: sender, against: c.accused } };
    }
    const a = pairOf(p.answer, 'answer');
    if (a.accused !== sender) return refuse('ceremony.message', `teller ${sender} can only answer for itself`);
    if (!seen.complaints.has(`${a.accuser}/${a.accused}`)) return refuse('ceremony.message', `teller ${a.accuser} filed no complaint against ${a.accused}`);
    const before = seen.answers.get(`${a.accuser}/${a.accused}`);
    if (before !== undefined) return before === toHex(a.bytes) ? { noop: true } : refuse('ceremony.message', 'this complaint is already answered');
    return signed(a.bytes, p.signature) || { expected: { ...p, index: sender, accuser: a.accuser } };
  } catch (e) {
    return refuse('ceremony.message', e.message);
  }
}
