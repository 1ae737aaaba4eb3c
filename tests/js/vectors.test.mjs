// Python → browser: every vector of tests/vectors/{group,elgamal,proofs,ballots}.json is
// reproduced byte for byte by the browser module (deterministic mode), and every invalid
// vector is refused with the recorded error code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { crypto as C, loadVectors } from './helpers.mjs';

const hex = C.toHex;
const unhex = C.fromHex;
const scalar = (h) => C.decodeScalar(unhex(h));
const point = (h, allowIdentity = true) => C.decodePoint(unhex(h), { allowIdentity });

/** seededScalars that records what it hands out (like make_vectors.recording). */
function recording(seedHex) {
  const inner = C.seededScalars(unhex(seedHex));
  const drawn = [];
  const rng = () => {
    const s = inner();
    drawn.push(s);
    return s;
  };
  return { rng, drawn };
}

function expectCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof C.CryptoError, `expected CryptoError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const ctJSON = (ct) => ({ alpha: hex(C.enc(ct.alpha)), beta: hex(C.enc(ct.beta)) });

describe('group.json', () => {
  const v = loadVectors('group.json');

  test('constants', () => {
    assert.equal(C.L.toString(), v.order_L);
    assert.equal(C.DOMAIN_PREFIX, v.domain_prefix);
    assert.equal(hex(C.enc(C.G)), 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76');
  });

  test('seeded scalars', () => {
    const rng = C.seededScalars(unhex(v.seeded_scalars.seed_hex));
    assert.deepEqual(
      v.seeded_scalars.outputs.map(() => hex(C.encodeScalar(rng()))),
      v.seeded_scalars.outputs,
    );
    const rngAscii = C.seededScalars(v.seeded_scalars.seed_ascii);
    assert.equal(hex(C.encodeScalar(rngAscii())), v.seeded_scalars.outputs[0]);
  });

  test('scalar arithmetic and reduce64', () => {
    const s = v.scalar_arithmetic;
    const a = scalar(s.a);
    const b = scalar(s.b);
    const h = (x) => hex(C.encodeScalar(x));
    assert.equal(h(C.addScalars(a, b)), s.a_plus_b);
    assert.equal(h(C.subScalars(a, b)), s.a_minus_b);
    assert.equal(h(C.mulScalars(a, b)), s.a_times_b);
    assert.equal(h(C.negScalar(a)), s.minus_a);
    assert.equal(h(C.invertScalar(a)), s.inverse_a);
    assert.equal(h(C.scalarFromWide(unhex(v.from_wide.input))), v.from_wide.scalar);
  });

  test('base multiplication (secret and public paths agree)', () => {
    for (const { scalar: sh, point: ph } of v.base_mul) {
      const s = scalar(sh);
      assert.equal(hex(C.enc(C.baseMulSecret(s))), ph);
      assert.equal(hex(C.enc(C.mulPublic(C.G, s))), ph);
      assert.equal(hex(C.enc(C.mulSecret(C.G, s))), ph);
    }
  });

  test('point operations', () => {
    const o = v.point_ops;
    const p = point(o.p);
    const q = point(o.q);
    const a = scalar(o.scalar);
    assert.equal(hex(C.enc(p.add(q))), o.p_plus_q);
    assert.equal(hex(C.enc(p.subtract(q))), o.p_minus_q);
    assert.equal(hex(C.enc(p.negate())), o.minus_p);
    assert.equal(hex(C.enc(C.mulSecret(p, a))), o.scalar_times_p);
    assert.equal(hex(C.enc(C.mulPublic(p, a))), o.scalar_times_p);
    assert.equal(hex(C.enc(C.mulSecret(C.withTable(p), a))), o.scalar_times_p);
  });

  test('frame', () => {
    for (const { parts, framed } of v.frame) {
      assert.equal(hex(C.frame(...parts.map(unhex))), framed);
    }
  });

  test('hash_to_scalar and hash_to_point', () => {
    for (const c of v.hash_to_scalar) {
      const parts = c.parts.map(unhex);
      assert.equal(hex(C.hashInput(c.domain, ...parts)), c.sha512_input);
      assert.equal(hex(C.encodeScalar(C.hashToScalar(c.domain, ...parts))), c.scalar);
    }
    for (const c of v.hash_to_point) {
      assert.equal(hex(C.enc(C.hashToPoint(c.domain, ...c.parts.map(unhex)))), c.point);
    }
  });

  test('invalid point encodings are refused with their code', () => {
    for (const { encoding, error } of v.invalid_points) {
      expectCode(() => C.decodePoint(unhex(encoding)), error);
    }
    // The identity is fine where allowed.
    assert.ok(C.decodePoint(new Uint8Array(32), { allowIdentity: true }).is0());
  });

  test('invalid scalar encodings are refused with their code', () => {
    for (const { encoding, error } of v.invalid_scalars) {
      expectCode(() => C.decodeScalar(unhex(encoding)), error);
    }
  });

  test('base64url', () => {
    for (const { bytes, text } of v.base64url) {
      assert.equal(C.b64e(unhex(bytes)), text);
      assert.equal(hex(C.b64d(text)), bytes);
    }
    for (const text of v.invalid_base64url) expectCode(() => C.b64d(text), 'invalid_encoding');
  });
});

describe('elgamal.json', () => {
  const v = loadVectors('elgamal.json');

  test('key, encryptions, sum, zero, message points', () => {
    const rng = C.seededScalars(unhex(v.seed_hex));
    const k = rng();
    assert.equal(hex(C.encodeScalar(k)), v.secret_key);
    const key = C.baseMulSecret(k);
    assert.equal(hex(C.enc(key)), v.election_key);
    const cts = [];
    for (const e of v.encryptions) {
      const r = rng();
      assert.equal(hex(C.encodeScalar(r)), e.nonce);
      const ct = C.encrypt(C.withTable(key), e.message, r);
      assert.deepEqual(ctJSON(ct), { alpha: e.alpha, beta: e.beta });
      assert.equal(hex(ct.encode()), e.encoded);
      const decoded = C.Ciphertext.decode(unhex(e.encoded));
      assert.ok(C.pointsEqual(decoded.alpha, ct.alpha) && C.pointsEqual(decoded.beta, ct.beta));
      cts.push(ct);
    }
    const total = C.sumCiphertexts(cts);
    assert.deepEqual(ctJSON(total), { alpha: v.sum.alpha, beta: v.sum.beta });
    assert.equal(hex(C.enc(C.messagePoint(v.sum.message))), v.sum.message_point);
    // The sum decrypts (with the secret key) to the message point.
    assert.ok(C.pointsEqual(total.beta.subtract(C.mulSecret(total.alpha, k)), C.messagePoint(7)));
    assert.deepEqual(ctJSON(C.Ciphertext.zero()), v.zero);
    for (const { message, point: p } of v.message_points) {
      assert.equal(hex(C.enc(C.messagePoint(message))), p);
    }
  });

  test('refusals: identity key, zero nonce, identity alpha', () => {
    expectCode(() => C.encrypt(C.IDENTITY, 1, 5n), 'identity_not_allowed');
    expectCode(() => C.encrypt(C.G, 1, 0n), 'elgamal_invalid_input');
    for (const m of [-1, 1.5, true, '1']) expectCode(() => C.messagePoint(m), 'elgamal_invalid_input');
    expectCode(() => C.Ciphertext.decode(new Uint8Array(64)), 'identity_not_allowed');
  });
});

describe('proofs.json', () => {
  const v = loadVectors('proofs.json');

  test('Schnorr', () => {
    for (const c of v.schnorr) {
      const { rng, drawn } = recording(c.seed_hex);
      const x = rng();
      const pub = C.baseMulSecret(x);
      assert.equal(hex(C.enc(pub)), c.public);
      const context = unhex(c.context);
      const proof = C.proveSchnorr(x, pub, context, rng);
      assert.deepEqual(drawn.map((s) => hex(C.encodeScalar(s))), [c.secret, c.witness]);
      const commitment = C.baseMulSecret(drawn[1]);
      assert.equal(hex(C.enc(commitment)), c.commitment);
      assert.equal(
        hex(C.hashInput(C.SCHNORR_DOMAIN, context, C.enc(pub), C.enc(commitment))),
        c.challenge_input,
      );
      assert.equal(hex(C.encodeScalar(proof.challenge)), c.challenge);
      assert.equal(hex(C.encodeScalar(proof.response)), c.response);
      assert.equal(hex(proof.encode()), c.encoded);
      const decoded = C.SchnorrProof.decode(unhex(c.encoded));
      C.verifySchnorr(pub, decoded, context);
      expectCode(() => C.verifySchnorr(pub, decoded, C.utf8('other context')), 'proof_invalid');
      expectCode(() => C.proveSchnorr(C.addScalars(x, 1n), pub, context, rng), 'proof_statement_false');
    }
  });

  test('0-or-1', () => {
    for (const c of v.zero_or_one) {
      const { rng, drawn } = recording(c.seed_hex);
      const key = C.baseMulSecret(rng());
      assert.equal(hex(C.enc(key)), c.election_key);
      const r = rng();
      const ct = C.encrypt(key, c.message, r);
      assert.deepEqual(ctJSON(ct), c.ciphertext);
      const context = unhex(c.context);
      const proof = C.proveZeroOrOne(key, ct, c.message, r, context, rng);
      assert.deepEqual(
        drawn.map((s) => hex(C.encodeScalar(s))),
        [c.secret_key, c.nonce, c.t0, c.t1, c.c_fake],
      );
      const [a0, b0, a1, b1] = C.zeroOrOneCommitments(key, ct, proof);
      assert.deepEqual(
        { a0: hex(C.enc(a0)), b0: hex(C.enc(b0)), a1: hex(C.enc(a1)), b1: hex(C.enc(b1)) },
        c.commitments,
      );
      const input = C.hashInput(
        C.DISJUNCTIVE_DOMAIN,
        context,
        ...[key, ct.alpha, ct.beta, a0, b0, a1, b1].map(C.enc),
      );
      assert.equal(hex(input), c.challenge_input);
      assert.equal(hex(C.encodeScalar(C.addScalars(proof.c0, proof.c1))), c.challenge);
      const scalars = Object.fromEntries(
        ['c0', 'c1', 'v0', 'v1'].map((k) => [k, hex(C.encodeScalar(proof[k]))]),
      );
      assert.deepEqual(scalars, c.proof);
      assert.equal(hex(proof.encode()), c.encoded);
      C.verifyZeroOrOne(key, ct, C.DisjunctiveProof.decode(unhex(c.encoded)), context);
      expectCode(
        () => C.proveZeroOrOne(key, ct, 1 - c.message, r, context, rng),
        'proof_statement_false',
      );
      expectCode(() => C.proveZeroOrOne(key, ct, 2, r, context, rng), 'proof_statement_false');
    }
  });

  test('sum-to-one', () => {
    const c = v.sum_one;
    const { rng, drawn } = recording(c.seed_hex);
    const key = C.baseMulSecret(rng());
    assert.equal(hex(C.enc(key)), c.election_key);
    const nonces = [rng(), rng(), rng()];
    const cts = c.messages.map((m, i) => C.encrypt(key, m, nonces[i]));
    assert.deepEqual(cts.map(ctJSON), c.ciphertexts);
    const total = C.sumCiphertexts(cts);
    assert.deepEqual(ctJSON(total), c.total);
    const rSum = nonces.reduce(C.addScalars, 0n);
    assert.equal(hex(C.encodeScalar(rSum)), c.nonce_sum);
    const context = unhex(c.context);
    const proof = C.proveSumOne(key, total, rSum, context, rng);
    assert.equal(hex(C.encodeScalar(drawn[4])), c.witness);
    checkChaumPedersen(c, C.SUM_ONE_DOMAIN, C.G, total.alpha, key, total.beta.subtract(C.G), proof, context);
    C.verifySumOne(key, total, C.ChaumPedersenProof.decode(unhex(c.encoded)), context);
    expectCode(() => C.proveSumOne(key, total, C.addScalars(rSum, 1n), context, rng), 'proof_statement_false');
  });

  test('decryption', () => {
    const c = v.decryption;
    const { rng, drawn } = recording(c.seed_hex);
    const s = rng();
    const vk = C.baseMulSecret(s);
    assert.equal(hex(C.enc(vk)), c.verification_key);
    const alpha = C.baseMulSecret(rng());
    assert.equal(hex(C.enc(alpha)), c.alpha);
    const partial = C.mulSecret(alpha, s);
    assert.equal(hex(C.enc(partial)), c.partial);
    const context = unhex(c.context);
    const proof = C.proveDecryption(s, vk, alpha, partial, context, rng);
    assert.equal(hex(C.encodeScalar(drawn[2])), c.witness);
    checkChaumPedersen(c, C.DECRYPTION_DOMAIN, C.G, vk, alpha, partial, proof, context);
    C.verifyDecryption(vk, alpha, partial, C.ChaumPedersenProof.decode(unhex(c.encoded)), context);
    expectCode(() => C.verifyDecryption(vk, alpha, partial.add(C.G), proof, context), 'proof_invalid');
    expectCode(() => C.verifyDecryption(C.IDENTITY, alpha, partial, proof, context), 'proof_invalid');
  });
});

/** Commitments, challenge input, challenge, response and encoding of a Chaum–Pedersen vector. */
function checkChaumPedersen(c, domain, g1, h1, g2, h2, proof, context) {
  const a1 = C.mulPublic(g1, proof.response).add(C.mulPublic(h1, proof.challenge));
  const a2 = C.mulPublic(g2, proof.response).add(C.mulPublic(h2, proof.challenge));
  assert.deepEqual({ a1: hex(C.enc(a1)), a2: hex(C.enc(a2)) }, c.commitments);
  assert.equal(hex(C.hashInput(domain, context, ...[g1, h1, g2, h2, a1, a2].map(C.enc))), c.challenge_input);
  assert.equal(hex(C.encodeScalar(proof.challenge)), c.challenge);
  assert.equal(hex(C.encodeScalar(proof.response)), c.response);
  assert.equal(hex(proof.encode()), c.encoded);
}

/** A BallotContext from a vector's "context" object (and its encoding checked). */
function contextFrom(c) {
  const ctx = new C.BallotContext({
    sessionId: c.session_id,
    roundNumber: c.round_number,
    electionKey: unhex(c.election_key),
    delegationId: c.delegation_id,
    options: c.options,
  });
  assert.equal(hex(ctx.encode()), c.encoded);
  return ctx;
}

describe('ballots.json', () => {
  const v = loadVectors('ballots.json');
  const signingSeed = sha256(unhex(v.signing_key.seed_hex));

  test('election and signing keys', () => {
    const k = C.seededScalars(unhex(v.election.seed_hex))();
    assert.equal(hex(C.encodeScalar(k)), v.election.secret_key);
    assert.equal(hex(C.enc(C.baseMulSecret(k))), v.election.election_key);
    assert.equal(hex(C.publicKeyFromSeed(signingSeed)), v.signing_key.public_key);
  });

  for (const b of v.valid) {
    test(`valid: ${b.name} reproduced byte for byte`, () => {
      const ctx = contextFrom(b.context);
      const n = ctx.options.length;
      const { rng, drawn } = recording(b.seed_hex);
      const ballot = C.encryptBallot(ctx, b.choice, rng);
      assert.deepEqual(drawn.map((s) => hex(C.encodeScalar(s))), b.draws);
      assert.equal(drawn.length, 4 * n + 1);
      const key = ctx.electionKey;
      b.options.forEach((o, i) => {
        const ct = ballot.ciphertexts[i];
        const proof = ballot.proofs[i];
        assert.equal(o.name, ctx.options[i]);
        assert.equal(o.message, i === b.choice ? 1 : 0);
        assert.equal(hex(C.encodeScalar(drawn[i])), o.nonce);
        assert.deepEqual(
          [drawn[n + 3 * i], drawn[n + 3 * i + 1], drawn[n + 3 * i + 2]].map((s) => hex(C.encodeScalar(s))),
          [o.t0, o.t1, o.c_fake],
        );
        assert.deepEqual(ctJSON(ct), o.ciphertext);
        const octx = C.optionContext(ctx, i);
        assert.equal(hex(octx), o.proof_context);
        const [a0, b0, a1, b1] = C.zeroOrOneCommitments(key, ct, proof);
        assert.deepEqual(
          { a0: hex(C.enc(a0)), b0: hex(C.enc(b0)), a1: hex(C.enc(a1)), b1: hex(C.enc(b1)) },
          o.commitments,
        );
        assert.equal(
          hex(C.hashInput(C.DISJUNCTIVE_DOMAIN, octx, ...[key, ct.alpha, ct.beta, a0, b0, a1, b1].map(C.enc))),
          o.challenge_input,
        );
        assert.equal(hex(C.encodeScalar(C.addScalars(proof.c0, proof.c1))), o.challenge);
        assert.equal(hex(proof.encode()), o.encoded);
      });
      const total = C.sumCiphertexts(ballot.ciphertexts);
      assert.deepEqual(ctJSON(total), b.sum.total);
      assert.equal(hex(C.encodeScalar(drawn.slice(0, n).reduce(C.addScalars, 0n))), b.sum.nonce_sum);
      assert.equal(hex(C.encodeScalar(drawn[4 * n])), b.sum.witness);
      const sctx = C.sumContext(ctx, ballot.ciphertexts);
      assert.equal(hex(sctx), b.sum.proof_context);
      checkChaumPedersen(b.sum, C.SUM_ONE_DOMAIN, C.G, total.alpha, key, total.beta.subtract(C.G), ballot.sumProof, sctx);

      const bytes = C.ballotToBytes(ballot);
      assert.equal(hex(bytes), b.ballot_bytes);
      assert.deepEqual(C.ballotToJSON(ballot), b.ballot_json);
      assert.equal(JSON.stringify(ballot), JSON.stringify(b.ballot_json));
      assert.equal(hex(C.signingMessage(ctx, ballot)), b.signing_message);
      const signature = C.signBallot(ctx, ballot, signingSeed);
      assert.equal(hex(signature), b.signature);
      assert.equal(hex(C.trackingHash(ctx, ballot, signature)), b.tracking_hash);
      assert.equal(C.trackingCode(ctx, ballot, signature), b.tracking_code);

      // The verifier side: decode both wire forms and check everything.
      C.verifyBallot(ctx, ballot);
      for (const decoded of [C.ballotFromBytes(bytes), C.ballotFromJSON(b.ballot_json)]) {
        C.verifyBallot(ctx, decoded);
        assert.equal(hex(C.ballotToBytes(decoded)), b.ballot_bytes);
        assert.deepEqual(C.ballotToJSON(decoded), b.ballot_json);
      }
      C.verifyBallotSignature(ctx, ballot, unhex(v.signing_key.public_key), unhex(b.signature));
    });
  }

  for (const c of v.invalid) {
    test(`invalid: ${c.name} → ${c.expected_error}`, () => {
      const ctx = contextFrom(c.context);
      expectCode(() => {
        const ballot =
          c.ballot_json !== undefined ? C.ballotFromJSON(c.ballot_json) : C.ballotFromBytes(unhex(c.ballot_bytes));
        C.verifyBallot(ctx, ballot);
      }, c.expected_error);
    });
  }
});
