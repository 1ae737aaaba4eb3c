// Receipt verification in the browser module against tests/vectors/receipts.json (made by the
// Python side, scripts/make_vectors.py): canonical JSON, event hashes, RFC 9162 inclusion proofs,
// the signed checkpoint, and a whole receipt look-up reply — and every tampering refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crypto as C, loadVectors } from './helpers.mjs';

const v = loadVectors('receipts.json');
const unhex = C.fromHex;
const hex = C.toHex;

function expectCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof C.CryptoError, `expected CryptoError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('canonical JSON', () => {
  for (const c of v.canonical_json.valid) {
    test(c.input, () => assert.equal(C.canonicalJSON(JSON.parse(c.input)), c.canonical));
  }
  for (const c of v.canonical_json.invalid) {
    test(`refuses ${c.name}`, () => expectCode(() => C.canonicalJSON(JSON.parse(c.input)), 'invalid_encoding'));
  }
});

describe('event records', () => {
  test('every line is canonical and hashes to its hash, chained', () => {
    let prev = C.GENESIS_HASH;
    for (const e of v.events) {
      const record = C.parseEventRecord(e.line);
      assert.equal(new TextDecoder().decode(C.eventCanonicalBytes(record)), e.canonical_bytes);
      const { hash } = C.verifyEventRecord(e.line);
      assert.equal(hex(hash), e.hash);
      assert.equal(record.prev_hash, hex(prev));
      prev = hash;
    }
  });

  test('a changed byte, a non-canonical line or a missing key is refused', () => {
    const line = v.events[3].line;
    const cases = [
      line.replace('"position":4', '"position":5'), // re-hashes differently
      line.replace(/"hash":"(.)/, (_, c) => `"hash":"${c === '0' ? '1' : '0'}`),
      line.replace('{"event_id"', '{ "event_id"'), // whitespace
      line.replace('"schema_version":1', '"schema_version":1.0'),
      line.replace(/,"stream_version":\d+/, ''),
      `${line}\n`,
      line.replace('"hash":"', '"hash":"A').replace(/"hash":"A(.)/, '"hash":"A'),
      'not json',
      '[]',
    ];
    for (const bad of cases) expectCode(() => C.verifyEventRecord(bad), 'receipt_record_invalid');
  });
});

describe('Merkle trees (RFC 9162)', () => {
  const m = v.merkle;
  const leaves = m.leaf_data.map((d) => C.leafHash(unhex(d)));

  test('leaf hashes, roots of sizes 1..8 and the empty root', () => {
    assert.deepEqual(leaves.map(hex), m.leaf_hashes);
    assert.equal(hex(C.merkleRoot([])), m.empty_root);
    for (const tree of m.trees) assert.equal(hex(C.merkleRoot(leaves.slice(0, tree.size))), tree.root);
  });

  test('every inclusion proof of every size verifies', () => {
    for (const tree of m.trees) {
      tree.proofs.forEach((path, index) => {
        C.verifyInclusion(leaves[index], index, tree.size, path.map(unhex), unhex(tree.root));
      });
    }
  });

  test('the invalid cases are refused', () => {
    const ok = m.valid;
    C.verifyInclusion(unhex(ok.leaf_hash), ok.index, ok.tree_size, ok.path.map(unhex), unhex(ok.root));
    for (const c of m.invalid) {
      expectCode(() => C.verifyInclusion(unhex(c.leaf_hash), c.index, c.tree_size, c.path.map(unhex), unhex(c.root)), 'receipt_not_included');
    }
  });
});

describe('checkpoint', () => {
  const c = v.checkpoint;
  const cp = { position: c.position, headHash: unhex(c.head_hash), logRoot: unhex(c.log_root), signature: unhex(c.signature) };

  test('message, signature and the root of the log it covers', () => {
    assert.equal(hex(C.checkpointMessage(c.position, cp.headHash, cp.logRoot)), c.message);
    assert.equal(hex(C.publicKeyFromSeed(unhex(c.seed))), c.public_key);
    C.verifyCheckpoint(cp, unhex(c.public_key));
    const hashes = v.events.slice(0, c.position).map((e) => C.leafHash(unhex(e.hash)));
    assert.equal(hex(C.merkleRoot(hashes)), c.log_root);
    assert.equal(v.events[c.position - 1].hash, c.head_hash);
  });

  test('another position, root or key is refused', () => {
    const other = C.publicKeyFromSeed(new Uint8Array(32));
    expectCode(() => C.verifyCheckpoint({ ...cp, position: c.position + 1 }, unhex(c.public_key)), 'checkpoint_signature_invalid');
    expectCode(() => C.verifyCheckpoint({ ...cp, logRoot: cp.headHash }, unhex(c.public_key)), 'checkpoint_signature_invalid');
    expectCode(() => C.verifyCheckpoint(cp, other), 'checkpoint_signature_invalid');
  });
});

describe('a receipt look-up reply', () => {
  const reply = v.receipt;
  const code = reply.tracking_code;
  const b = v.ballot_context;
  const round = { sessionId: b.session_id, options: b.options, electionKey: unhex(b.election_key) };

  test('verifies, with the tracking code recomputed from the recorded ballot', () => {
    const result = C.verifyReceipt(reply, code.toLowerCase(), { round });
    assert.equal(result.covered, true);
    assert.equal(result.record.position, reply.position);
  });

  test('without a checkpoint it is only partly verifiable', () => {
    assert.equal(C.verifyReceipt({ ...reply, checkpoint: null, inclusion_proof: [] }, code).covered, false);
  });

  test('every tampering is refused', () => {
    const flip = (h, at = 0) => {
      const bytes = unhex(h);
      bytes[at] ^= 1;
      return hex(bytes);
    };
    const cp = reply.checkpoint;
    const proof = reply.inclusion_proof;
    const cases = [
      [{ record: reply.record.replace('"round_number":2', '"round_number":3') }, 'receipt_record_invalid'],
      [{ record: reply.record.replace(`"tracking_code":"${code}"`, '"tracking_code":"0000-0000-0000-0000"') }, 'receipt_record_invalid'],
      [{ position: reply.position + 1 }, 'receipt_code_mismatch'],
      [{ inclusion_proof: [flip(proof[0]), ...proof.slice(1)] }, 'receipt_not_included'],
      [{ inclusion_proof: proof.slice(0, -1) }, 'receipt_not_included'],
      [{ inclusion_proof: [...proof, proof[0]] }, 'receipt_not_included'],
      [{ checkpoint: { ...cp, log_root: flip(cp.log_root) } }, 'receipt_not_included'],
      [{ checkpoint: { ...cp, head_hash: flip(cp.head_hash) } }, 'checkpoint_signature_invalid'],
      [{ checkpoint_key: C.b64e(C.publicKeyFromSeed(new Uint8Array(32))) }, 'checkpoint_signature_invalid'],
      [{ record: v.events[2].line, position: 3 }, 'receipt_code_mismatch'],
    ];
    for (const [change, expected] of cases) expectCode(() => C.verifyReceipt({ ...reply, ...change }, code, { round }), expected);
    expectCode(() => C.verifyReceipt(reply, 'AAAA-BBBB-CCCC-DDDD'), 'receipt_code_mismatch');
    // The recorded ballot must hash to the code under the round's context: another option list
    // (or election key) gives another code.
    expectCode(() => C.verifyReceipt(reply, code, { round: { ...round, options: [...round.options].reverse() } }), 'receipt_code_mismatch');
  });
});

describe('a counted receipt: its ballot in the committed set of its round', () => {
  const reply = v.receipt;
  const code = reply.tracking_code;
  const b = v.ballot_context;
  const round = { sessionId: b.session_id, options: b.options, electionKey: unhex(b.election_key) };
  const set = reply.ballot_set;
  const verified = C.verifyReceipt(reply, code, { round });
  const flip = (h, at = 0) => {
    const bytes = unhex(h);
    bytes[at] ^= 1;
    return hex(bytes);
  };

  test('verifies: the RoundClosed record, its checkpoint and the ballot tree', () => {
    assert.equal(verified.trackingHash.length, 32);
    const closed = C.verifyBallotSet(reply, verified);
    assert.equal(closed.event_type, 'RoundClosed');
    assert.equal(closed.position, set.position);
    assert.ok(set.ballot_proof.length > 0 && set.leaf_index > 0);
  });

  test('every tampering is refused', () => {
    const cases = [
      [{ leaf_index: set.leaf_index + 1 }, 'ballot_set_mismatch'],
      [{ leaf_index: set.leaf_index - 1 }, 'ballot_set_mismatch'],
      [{ leaf_index: 5 }, 'ballot_set_mismatch'],
      [{ ballot_proof: [flip(set.ballot_proof[0]), ...set.ballot_proof.slice(1)] }, 'ballot_set_mismatch'],
      [{ ballot_proof: set.ballot_proof.slice(0, -1) }, 'ballot_set_mismatch'],
      [{ ballot_proof: 'nope' }, 'ballot_set_mismatch'],
      [{ inclusion_proof: [flip(set.inclusion_proof[0]), ...set.inclusion_proof.slice(1)] }, 'receipt_not_included'],
      [{ checkpoint: { ...set.checkpoint, head_hash: flip(set.checkpoint.head_hash) } }, 'checkpoint_signature_invalid'],
      [{ record: set.record.replace('"ballot_count":5', '"ballot_count":6') }, 'round_closed_invalid'],
      [{ record: set.record.replace(',', ', ') }, 'round_closed_invalid'],
      [{ record: reply.record }, 'round_closed_invalid'],
    ];
    for (const [change, expected] of cases) {
      expectCode(() => C.verifyBallotSet({ ...reply, ballot_set: { ...set, ...change } }, verified), expected);
    }
    expectCode(() => C.verifyBallotSet({ ...reply, checkpoint_key: C.b64e(C.publicKeyFromSeed(new Uint8Array(32))) }, verified), 'checkpoint_signature_invalid');
    expectCode(() => C.verifyBallotSet({ ...reply, ballot_set: null }, verified), 'round_closed_invalid');
    // Without the round's context there is no recomputed tracking hash to find in the set.
    expectCode(() => C.verifyBallotSet(reply, C.verifyReceipt(reply, code)), 'ballot_set_mismatch');
    // Another ballot's tracking hash is not the leaf.
    expectCode(() => C.verifyBallotSet(reply, { ...verified, trackingHash: new Uint8Array(32) }), 'ballot_set_mismatch');
  });
});

describe('signed receipts', () => {
  const signed = v.signed_receipt;
  const key = unhex(v.checkpoint.public_key);
  test('the message bytes are the Python side\'s, and the signature verifies', () => {
    assert.equal(hex(C.receiptMessage(C.signedReceiptFromJSON(signed.file))), signed.message);
    C.verifySignedReceipt(signed.file, key);
  });
  test('every field is signed', () => {
    for (const change of [{ position: signed.file.position + 1 }, { round_number: 9 }, { delegation_id: 'XX' }, { session_id: 'other' }, { tracking_code: 'AAAA-AAAA-AAAA-AAAA' }, { head_hash: '00'.repeat(32) }]) {
      expectCode(() => C.verifySignedReceipt({ ...signed.file, ...change }, key), 'receipt_signature_invalid');
    }
  });
  test('a malformed file is refused', () => {
    expectCode(() => C.signedReceiptFromJSON({ ...signed.file, extra: 1 }), 'invalid_encoding');
    expectCode(() => C.signedReceiptFromJSON({ ...signed.file, position: 0 }), 'invalid_encoding');
    expectCode(() => C.signedReceiptFromJSON({ ...signed.file, head_hash: 'AB'.repeat(32) }), 'invalid_encoding');
  });
  test('the record must still hold the signed ballot where the server signed it', () => {
    const reply = v.receipt;
    C.checkReceiptAgainstRecord(signed.file, reply);
    expectCode(() => C.checkReceiptAgainstRecord({ ...signed.file, position: signed.file.position + 1 }, reply), 'receipt_contradicted');
    expectCode(() => C.checkReceiptAgainstRecord({ ...signed.file, head_hash: '11'.repeat(32) }, reply), 'receipt_contradicted');
  });
});
