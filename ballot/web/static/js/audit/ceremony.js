// The key ceremony's result, re-derived in the browser from its public messages: the twin of
// crypto/dkg/ceremony.py's `qualified`, `joint_public_key` and `verification_key` as
// ballot/domain/decide/ceremony.py's `ceremony_key` uses them. The election key every ballot
// is encrypted under must be the sum of the qualified tellers' commitments — not a key the
// server (or anyone alone) knows the secret of — and each teller's verification key, which
// its decryption shares are checked against, must follow from the same commitments.
import { G, IDENTITY, L, b64d, decodePoint, enc, b64e, mulPublic, scalarFromJSON } from '../crypto/index.js';

const point = (text, what) => decodePoint(b64d(text, 32, what), { allowIdentity: true });

/** The ceremony's public messages, as the log holds them. */
export class Ceremony {
  constructor() {
    this.commitments = new Map(); // dealer index -> [C_i0, …, C_i,k-1]
    this.dealt = new Set();
    this.complaints = []; // [accuser, accused]
    this.answers = []; // [accused, accuser, share]
  }

  /** Fold one ceremony event (anything else is ignored); a message that does not decode is left out. */
  apply(type, p) {
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
