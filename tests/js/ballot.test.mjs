// The browser ballot module on its own: round trips with fresh randomness, tampering with
// every ciphertext / proof / context field, malformed encodings, context validation, and the
// security rules (constant-time multiplication for secrets, no logging, shared key tables).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crypto as C } from './helpers.mjs';

const unhex = C.fromHex;

function expectCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof C.CryptoError, `expected CryptoError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const k = C.randomScalar();
const KEY = C.baseMulSecret(k);

function context(n, changes = {}) {
  return new C.BallotContext({
    sessionId: 'council-2025-06/session-1',
    roundNumber: 2,
    electionKey: KEY,
    delegationId: 'delegation:FR',
    options: [...Array.from({ length: n - 1 }, (_, i) => `Candidate ${i} – Ünïcødé`), 'blank'],
    ...changes,
  });
}

/** Decrypt each option with the (test-only) secret key: beta − k·alpha = m·G. */
function plaintexts(ballot) {
  return ballot.ciphertexts.map((ct) => {
    const m = ct.beta.subtract(C.mulSecret(ct.alpha, k));
    if (m.is0()) return 0;
    if (C.pointsEqual(m, C.G)) return 1;
    return NaN;
  });
}

function replaceAt(bytes, offset, replacement) {
  const out = Uint8Array.from(bytes);
  out.set(replacement, offset);
  return out;
}

describe('round trips with fresh randomness', () => {
  for (let n = 1; n <= 8; n++) {
    test(`${n} option(s), every choice`, () => {
      const ctx = context(n);
      for (let choice = 0; choice < n; choice++) {
        const ballot = C.encryptBallot(ctx, choice);
        C.verifyBallot(ctx, ballot);
        assert.deepEqual(plaintexts(ballot), Array.from({ length: n }, (_, i) => (i === choice ? 1 : 0)));
        const bytes = C.ballotToBytes(ballot);
        assert.equal(bytes.length, 4 + 192 * n + 64);
        const fromBytes = C.ballotFromBytes(bytes);
        C.verifyBallot(ctx, fromBytes);
        assert.deepEqual(C.ballotToBytes(fromBytes), bytes);
        const json = JSON.parse(JSON.stringify(C.ballotToJSON(ballot)));
        const fromJSON = C.ballotFromJSON(json);
        C.verifyBallot(ctx, fromJSON);
        assert.deepEqual(C.ballotToBytes(fromJSON), bytes);
      }
    });
  }

  test('two encryptions of the same choice differ (fresh nonces)', () => {
    const ctx = context(3);
    const a = C.ballotToBytes(C.encryptBallot(ctx, 1));
    const b = C.ballotToBytes(C.encryptBallot(ctx, 1));
    assert.notDeepEqual(a, b);
  });

  test('deterministic mode is reproducible', () => {
    const ctx = context(3);
    const a = C.encryptBallot(ctx, 2, C.seededScalars('x'));
    const b = C.encryptBallot(ctx, 2, C.seededScalars('x'));
    assert.deepEqual(C.ballotToBytes(a), C.ballotToBytes(b));
  });
});

describe('tampering', () => {
  const ctx = context(3);
  const ballot = C.encryptBallot(ctx, 1);
  const raw = C.ballotToBytes(ballot);

  test('every point and scalar of the binary form', () => {
    // 32-byte slots: per option alpha, beta, c0, c1, v0, v1; then the sum proof's two scalars.
    const slots = [];
    for (let i = 0; i < 3; i++) {
      const base = 4 + 192 * i;
      slots.push({ offset: base, kind: 'point', what: `option ${i} alpha` });
      slots.push({ offset: base + 32, kind: 'point', what: `option ${i} beta` });
      ['c0', 'c1', 'v0', 'v1'].forEach((f, j) =>
        slots.push({ offset: base + 64 + 32 * j, kind: 'scalar', what: `option ${i} ${f}` }),
      );
    }
    slots.push({ offset: raw.length - 64, kind: 'scalar', what: 'sum challenge' });
    slots.push({ offset: raw.length - 32, kind: 'scalar', what: 'sum response' });
    assert.equal(slots.length, 20);
    for (const { offset, kind, what } of slots) {
      const old = raw.subarray(offset, offset + 32);
      const replacement =
        kind === 'point'
          ? C.encodePoint(C.decodePoint(old, { allowIdentity: true }).add(C.G))
          : C.encodeScalar(C.addScalars(C.decodeScalar(old), 1n));
      const tampered = C.ballotFromBytes(replaceAt(raw, offset, replacement));
      expectCode(() => C.verifyBallot(ctx, tampered), 'ballot_proof_invalid');
      assert.ok(what);
    }
  });

  test('swapped option records and swapped proofs', () => {
    const swapped = Uint8Array.from(raw);
    swapped.set(raw.subarray(4, 196), 196);
    swapped.set(raw.subarray(196, 388), 4);
    expectCode(() => C.verifyBallot(ctx, C.ballotFromBytes(swapped)), 'ballot_proof_invalid');
    const proofsSwapped = new C.EncryptedBallot(
      [...ballot.ciphertexts],
      [ballot.proofs[1], ballot.proofs[0], ballot.proofs[2]],
      ballot.sumProof,
    );
    expectCode(() => C.verifyBallot(ctx, proofsSwapped), 'ballot_proof_invalid');
  });

  test('every context field', () => {
    const other = C.baseMulSecret(C.randomScalar());
    const changes = [
      { sessionId: 'council-2025-06/session-2' },
      { roundNumber: 3 },
      { delegationId: 'delegation:ES' },
      { electionKey: other },
      { options: [ctx.options[1], ctx.options[0], ctx.options[2]] },
      { options: [ctx.options[0], 'Someone else', ctx.options[2]] },
    ];
    for (const change of changes) {
      expectCode(() => C.verifyBallot(ctx.with(change), ballot), 'ballot_proof_invalid');
    }
    expectCode(
      () => C.verifyBallot(ctx.with({ options: [...ctx.options, 'extra'] }), ballot),
      'ballot_option_count',
    );
    expectCode(() => C.verifyBallot(context(2), ballot), 'ballot_option_count');
  });

  test('random bit flips never verify', () => {
    for (let trial = 0; trial < 24; trial++) {
      const bit = Math.floor(Math.random() * (raw.length - 4) * 8) + 32;
      const flipped = Uint8Array.from(raw);
      flipped[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(
        () => C.verifyBallot(ctx, C.ballotFromBytes(flipped)),
        (e) => ['ballot_malformed', 'ballot_proof_invalid'].includes(e.code),
      );
    }
  });
});

describe('malformed encodings', () => {
  const ctx = context(3);
  const ballot = C.encryptBallot(ctx, 0);
  const raw = C.ballotToBytes(ballot);
  const json = C.ballotToJSON(ballot);
  const P = 2n ** 255n - 19n;
  const le = (x) => {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  const badPoints = [
    le(P), // s = p: not a canonical field element
    le(P + 2n), // s = 2 mod p, unreduced
    le(1n), // s odd ("negative")
    le(2n ** 255n), // top bit set
    unhex('ed' + 'ff'.repeat(30) + '7f'),
    unhex('26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371'), // not square
  ];

  test('binary: non-canonical points, scalars >= L, identity alpha, wrong lengths and counts', () => {
    for (const bad of badPoints) {
      for (const offset of [4, 36]) {
        expectCode(() => C.ballotFromBytes(replaceAt(raw, offset, bad)), 'ballot_malformed');
      }
      expectCode(() => C.decodePoint(bad), 'invalid_encoding');
    }
    expectCode(() => C.ballotFromBytes(replaceAt(raw, 4, new Uint8Array(32))), 'ballot_malformed');
    // beta = O decodes (it is a valid ciphertext component) and then fails the proofs.
    const betaZero = C.ballotFromBytes(replaceAt(raw, 36, new Uint8Array(32)));
    expectCode(() => C.verifyBallot(ctx, betaZero), 'ballot_proof_invalid');
    for (const value of [C.L, C.L + 1n, 2n ** 256n - 1n]) {
      for (const offset of [68, raw.length - 32]) {
        expectCode(() => C.ballotFromBytes(replaceAt(raw, offset, le(value))), 'ballot_malformed');
      }
    }
    const withCount = (n) => replaceAt(raw, 0, C.u32be(n));
    for (const n of [0, 2, 4, 257, 0xffffffff]) expectCode(() => C.ballotFromBytes(withCount(n)), 'ballot_malformed');
    for (const bytes of [new Uint8Array(0), raw.subarray(0, 3), raw.subarray(0, raw.length - 1), C.concatBytes(raw, new Uint8Array(1))]) {
      expectCode(() => C.ballotFromBytes(bytes), 'ballot_malformed');
    }
    expectCode(() => C.ballotFromBytes('not bytes'), 'ballot_malformed');
  });

  test('JSON: keys, types, base64url, counts, identity alpha', () => {
    const clone = () => JSON.parse(JSON.stringify(json));
    const variants = [];
    const add = (mutate) => {
      const j = clone();
      const result = mutate(j);
      variants.push(result === undefined ? j : result);
    };
    add((j) => { j.extra = 1; });
    add((j) => { delete j.sum_proof; });
    add((j) => { j.ciphertexts[0].gamma = j.ciphertexts[0].alpha; });
    add((j) => { delete j.proofs[1].v1; });
    add((j) => { j.sum_proof.note = 'x'; });
    add((j) => { j.ciphertexts[0].alpha = C.b64e(new Uint8Array(32)); });
    add((j) => { j.ciphertexts[1].beta = C.b64e(badPoints[0]); });
    add((j) => { j.proofs[0].c0 = C.b64e(le(C.L)); });
    add((j) => { j.proofs[0].c1 += '='; });
    add((j) => { j.proofs[0].v0 = ` ${j.proofs[0].v0}`; });
    add((j) => { j.proofs[0].v1 = `+${j.proofs[0].v1.slice(1)}`; });
    add((j) => { j.proofs[0].v1 = `/${j.proofs[0].v1.slice(1)}`; });
    add((j) => { j.sum_proof.challenge = j.sum_proof.challenge.slice(0, -1); });
    add((j) => { j.sum_proof.response = 12; });
    add((j) => { j.proofs.pop(); });
    add((j) => { j.ciphertexts = []; j.proofs = []; });
    add((j) => { j.ciphertexts = j.ciphertexts[0]; });
    add(() => null);
    add(() => []);
    add(() => 'ballot');
    add((j) => Object.assign(Object.create({ inherited: 1 }), j));
    for (const bad of variants) expectCode(() => C.ballotFromJSON(bad), 'ballot_malformed');
  });

  test('random junk is refused, never accepted', () => {
    const refused = (bytes) =>
      assert.throws(
        () => C.verifyBallot(ctx, C.ballotFromBytes(bytes)),
        (e) => ['ballot_malformed', 'ballot_proof_invalid'].includes(e.code),
      );
    for (let trial = 0; trial < 40; trial++) {
      const junk = new Uint8Array(raw.length);
      globalThis.crypto.getRandomValues(junk);
      junk.set(C.u32be(3), 0);
      refused(junk);
    }
    // Well-formed junk (valid random points and scalars) gets through decoding to the proofs.
    for (let trial = 0; trial < 8; trial++) {
      const parts = [C.u32be(3)];
      for (let i = 0; i < 3; i++) {
        parts.push(C.encodePoint(C.baseMulSecret(C.randomScalar())), C.encodePoint(C.baseMulSecret(C.randomScalar())));
        for (let j = 0; j < 4; j++) parts.push(C.encodeScalar(C.randomScalar()));
      }
      parts.push(C.encodeScalar(C.randomScalar()), C.encodeScalar(C.randomScalar()));
      const junk = C.concatBytes(...parts);
      expectCode(() => C.verifyBallot(ctx, C.ballotFromBytes(junk)), 'ballot_proof_invalid');
    }
  });

  test('base64url scalar and point helpers', () => {
    expectCode(() => C.pointFromJSON(C.b64e(new Uint8Array(32))), 'identity_not_allowed');
    assert.ok(C.pointFromJSON(C.b64e(new Uint8Array(32)), 'p', { allowIdentity: true }).is0());
    expectCode(() => C.scalarFromJSON(C.b64e(new Uint8Array(31))), 'invalid_encoding');
    expectCode(() => C.scalarFromJSON(42), 'invalid_encoding');
    assert.equal(C.scalarFromJSON(C.scalarToJSON(C.L - 1n)), C.L - 1n);
  });
});

describe('context and choice validation', () => {
  test('bad contexts are refused with ballot_context_invalid', () => {
    const bad = [
      { sessionId: '' },
      { sessionId: 7 },
      { delegationId: '' },
      { delegationId: 'x\uD800' },
      { roundNumber: -1 },
      { roundNumber: 2 ** 32 },
      { roundNumber: 1.5 },
      { roundNumber: '2' },
      { electionKey: C.IDENTITY },
      { electionKey: new Uint8Array(32) },
      { electionKey: unhex('ed' + 'ff'.repeat(30) + '7f') },
      { electionKey: 'key' },
      { options: [] },
      { options: ['a', 'a'] },
      { options: ['a', ''] },
      { options: 'a,b' },
      { options: Array.from({ length: 257 }, (_, i) => `o${i}`) },
    ];
    for (const change of bad) expectCode(() => context(3, change), 'ballot_context_invalid');
    assert.equal(context(3, { options: Array.from({ length: 256 }, (_, i) => `o${i}`) }).options.length, 256);
    assert.equal(context(3, { electionKey: C.encodePoint(KEY) }).encode().length > 0, true);
  });

  test('bad choices are refused with ballot_choice_invalid', () => {
    const ctx = context(3);
    for (const choice of [-1, 3, 1.5, '0', null, true]) {
      expectCode(() => C.encryptBallot(ctx, choice), 'ballot_choice_invalid');
    }
  });

  test('context bytes follow the spec (frame of the fields)', () => {
    const ctx = context(2);
    const expected = C.frame(
      C.utf8(ctx.sessionId),
      C.u32be(2),
      C.encodePoint(KEY),
      C.utf8(ctx.delegationId),
      C.frame(...ctx.options.map(C.utf8)),
    );
    assert.deepEqual(ctx.encode(), expected);
    assert.throws(() => { ctx.sessionId = 'changed'; }, TypeError);
  });
});

describe('security properties', () => {
  test('the prover multiplies only in constant time, the verifier only on public values', () => {
    // ristretto255's own prototype is frozen; the methods live on its (writable) base class.
    let proto = Object.getPrototypeOf(C.G);
    while (!Object.hasOwn(proto, 'multiply')) proto = Object.getPrototypeOf(proto);
    const calls = { multiply: 0, multiplyUnsafe: 0 };
    const saved = {};
    for (const name of Object.keys(calls)) {
      saved[name] = proto[name];
      proto[name] = function (...args) {
        calls[name] += 1;
        return saved[name].apply(this, args);
      };
    }
    try {
      const ctx = context(3);
      const ballot = C.encryptBallot(ctx, 2);
      assert.equal(calls.multiplyUnsafe, 0, 'encryption must not use variable-time multiplication');
      assert.ok(calls.multiply >= 3 * 9 + 2, `encryption used ${calls.multiply} CT multiplications`);
      calls.multiply = 0;
      C.verifyBallot(ctx, ballot);
      assert.equal(calls.multiply, 0, 'verification works on public values only');
      assert.equal(calls.multiplyUnsafe, 8 * 3 + 4);
    } finally {
      for (const name of Object.keys(calls)) proto[name] = saved[name];
    }
  });

  test('no console output during encryption, signing or verification', () => {
    const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
    const saved = methods.map((m) => console[m]);
    let output = 0;
    for (const m of methods) console[m] = () => { output += 1; };
    try {
      const ctx = context(3);
      const ballot = C.encryptBallot(ctx, 0);
      const seed = C.generateSigningKey();
      C.verifyBallotSignature(ctx, ballot, C.publicKeyFromSeed(seed), C.signBallot(ctx, ballot, seed));
      C.verifyBallot(ctx, ballot);
    } finally {
      methods.forEach((m, i) => { console[m] = saved[i]; });
    }
    assert.equal(output, 0);
  });

  test('the election key gets one shared precomputation table', () => {
    const a = context(3);
    const b = context(4, { electionKey: C.encodePoint(KEY) });
    assert.equal(a.electionKey, b.electionKey);
    // Encrypting under a precomputed key is fast after the first (table-building) call.
    C.encryptBallot(a, 0);
    const start = performance.now();
    for (let i = 0; i < 5; i++) C.encryptBallot(a, i % 3);
    const ms = (performance.now() - start) / 5;
    assert.ok(ms < 100, `encryption took ${ms} ms`);
  });

  test('random scalars are non-zero and below L', () => {
    for (let i = 0; i < 50; i++) {
      const s = C.randomScalar();
      assert.ok(s > 0n && s < C.L);
    }
  });
});

describe('Ed25519 signatures', () => {
  // RFC 8032 §7.1 TEST 1 and TEST 2, and the checkpoint vector of docs/verification-spec.md §12.1.4.
  const vectors = [
    ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '', 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
    ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72', '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ];

  test('RFC 8032 vectors', () => {
    for (const [seed, pub, msg, sig] of vectors) {
      assert.equal(C.toHex(C.publicKeyFromSeed(unhex(seed))), pub);
      assert.equal(C.toHex(C.signMessage(unhex(seed), unhex(msg))), sig);
      C.verifySignature(unhex(pub), unhex(msg), unhex(sig));
    }
  });

  test('checkpoint message and signature (verification-spec §12.1.4)', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(C.toHex(C.publicKeyFromSeed(seed)), '03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8');
    const message = C.signedMessage('checkpoint', C.u64be(7), new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    assert.equal(
      C.toHex(message),
      '0000001462616c6c6f742f76312f636865636b706f696e74' + '00000008' + '0000000000000007' +
        '00000020' + '01'.repeat(32) + '00000020' + '02'.repeat(32),
    );
    assert.equal(
      C.toHex(C.signMessage(seed, message)),
      'c10a5819dbf2d4f3d880b26bd361fc185258754fd0bd84148975f2f38d50536fcfacd0c6f12a19abf7a78abdff248e5d06c8ee7b05a63fd1680403b62c98d901',
    );
  });

  test('tampered messages, signatures and keys are refused', () => {
    const ctx = context(3);
    const ballot = C.encryptBallot(ctx, 1);
    const seed = C.generateSigningKey();
    const pub = C.publicKeyFromSeed(seed);
    const sig = C.signBallot(ctx, ballot, seed);
    C.verifyBallotSignature(ctx, ballot, pub, sig);
    expectCode(() => C.verifyBallotSignature(ctx.with({ roundNumber: 3 }), ballot, pub, sig), 'signature_invalid');
    expectCode(() => C.verifyBallotSignature(ctx, C.encryptBallot(ctx, 1), pub, sig), 'signature_invalid');
    expectCode(() => C.verifyBallotSignature(ctx, ballot, C.publicKeyFromSeed(C.generateSigningKey()), sig), 'signature_invalid');
    for (let i = 0; i < 64; i += 7) {
      const bad = Uint8Array.from(sig);
      bad[i] ^= 0x10;
      assert.throws(() => C.verifyBallotSignature(ctx, ballot, pub, bad), (e) => e.code === 'signature_invalid');
    }
    for (const bad of [new Uint8Array(0), sig.subarray(0, 63), C.concatBytes(sig, new Uint8Array(1))]) {
      expectCode(() => C.verifyBallotSignature(ctx, ballot, pub, bad), 'signature_invalid');
    }
    // S + L: same residue, refused (no malleability).
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
    const malleated = Uint8Array.from(sig);
    let t = s + C.L;
    for (let i = 32; i < 64; i++) { malleated[i] = Number(t & 0xffn); t >>= 8n; }
    expectCode(() => C.verifyBallotSignature(ctx, ballot, pub, malleated), 'signature_invalid');
    expectCode(() => C.signMessage(new Uint8Array(31), new Uint8Array(1)), 'invalid_key');
  });

  test('weak and malformed public keys are refused', () => {
    const P = 2n ** 255n - 19n;
    const encode = (x, y) => {
      const v = y | ((x & 1n) << 255n);
      return Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
    };
    const good = C.publicKeyFromSeed(new Uint8Array(32));
    let y = 0n;
    for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(good[i]);
    const sign = y >> 255n;
    y &= (1n << 255n) - 1n;
    const mixed = encode(sign ^ 1n, P - y); // good + (0, −1): mixed order
    const bad = [
      encode(0n, 1n), // identity
      encode(0n, P - 1n), // order 2
      unhex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
      unhex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
      encode(0n, P + 1n), // non-canonical y
      encode(1n, 1n), // "−0"
      mixed,
      encode(0n, 2n), // not on the curve
      new Uint8Array(31),
    ];
    for (const key of bad) expectCode(() => C.decodeVerifyKey(key), 'invalid_key');
    C.decodeVerifyKey(good);
  });

  test('verification is cofactorless: R with a torsion component is refused', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const { sha512 } = await import('@noble/hashes/sha2.js');
    const seed = C.generateSigningKey();
    const { scalar: a, pointBytes: pub } = ed25519.utils.getExtendedPublicKey(seed);
    const msg = C.utf8('torsion');
    const r = C.randomScalar();
    const T = ed25519.Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
    const R = ed25519.Point.BASE.multiply(r).add(T).toBytes();
    let kk = 0n;
    const h = sha512(C.concatBytes(R, pub, msg));
    for (let i = 63; i >= 0; i--) kk = (kk << 8n) | BigInt(h[i]);
    const S = (r + (kk % C.L) * a) % C.L;
    const sig = C.concatBytes(R, Uint8Array.from({ length: 32 }, (_, i) => Number((S >> BigInt(8 * i)) & 0xffn)));
    // noble's strict mode uses the cofactored equation and accepts it; we must not.
    assert.equal(ed25519.verify(sig, msg, pub, { zip215: false }), true);
    expectCode(() => C.verifySignature(pub, msg, sig), 'signature_invalid');
  });
});

describe('cast or challenge', () => {
  test('an opened ballot reveals the choice and the nonces it was encrypted with', () => {
    const ctx = new C.BallotContext({ sessionId: 's', roundNumber: 1, electionKey: KEY, delegationId: 'FR', options: ['A', 'B', 'blank'] });
    const { ballot, nonces } = C.encryptBallotWithNonces(ctx, 1);
    const reveal = C.revealToJSON(1, nonces);
    assert.equal(reveal.choice, 1);
    assert.equal(reveal.nonces.length, 3);
    // Re-encrypting each option's bit with its revealed nonce gives exactly the ciphertexts.
    reveal.nonces.forEach((text, i) => {
      const again = C.encrypt(ctx.electionKey, i === 1 ? 1 : 0, C.scalarFromJSON(text));
      assert.ok(again.alpha.equals(ballot.ciphertexts[i].alpha) && again.beta.equals(ballot.ciphertexts[i].beta));
    });
    assert.equal(C.checkReveal(ctx, ballot, reveal), 1);
    // A page that encrypted B cannot open it as A.
    assert.throws(() => C.checkReveal(ctx, ballot, { ...reveal, choice: 0 }), (e) => e.code === 'challenge_mismatch');
    assert.throws(() => C.checkReveal(ctx, ballot, { ...reveal, nonces: reveal.nonces.slice(1) }), (e) => e.code === 'challenge_malformed');
    // Exactly the fields of crypto/challenge.py's BallotReveal, and nonces that are scalars an
    // encryption can use (never zero): malformed, as the Python side says.
    const zero = C.revealToJSON(1, nonces);
    zero.nonces[0] = C.b64e(new Uint8Array(32));
    for (const bad of [{ ...reveal, extra: 1 }, { ...reveal, nonces: ['x', ...reveal.nonces.slice(1)] }, zero]) {
      assert.throws(() => C.checkReveal(ctx, ballot, bad), (e) => e.code === 'challenge_malformed');
    }
  });
});
