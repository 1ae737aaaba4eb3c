// The audit in the browser: the checks of `ballot audit` (ballot/audit/) on an exported log,
// with the same check names, so a verdict here and one from the Python auditor on the same log
// can be compared code for code (docs/audit.md, "The audit in a browser").
//
// Three steps, because the ballots' proofs are the cost and go to Web Workers in parallel:
//   1. read   — every line: strict canonical form, the chain (position, log id, previous hash,
//               hash, stream version), the log tree's leaves; and each ballot's job, built from
//               the events before it (session, open round, the delegation's enrolled key);
//   2. check  — every ballot's decoding, proofs, signature and tracking hash (audit/ballots.js),
//               by `checkBallots(jobs, progress)`: a worker pool in a page, inline in Node;
//   3. decide — in log order: checkpoints (position, head, Merkle root, signature, witnesses),
//               the roll a ballot must be on, one ballot per delegation and round, each round's
//               committed ballot set and aggregate, every decryption share against the committed
//               aggregate, the combination of the first t valid shares and the counts, signed
//               receipts kept by delegations, and what the end of the log still owes.
//
// The decisions (audit/decisions.js): after the share that completes a tally, exactly the rules'
// RoundTallied and the election, elimination, lots or failed confirmation that follows; after a
// closing below the minimum tally, the RoundVoided — as ballot/domain/rederive.py expects them.
//
// The openings (audit/rounds.js): the roll and the candidates followed through the log, and each
// RoundOpened re-derived — kind, options, electoral roll, quorum, lots commitment — or refused.
//
// The key ceremony (audit/ceremony.js): the election key and the verification keys re-derived
// from the tellers' qualified commitments.
//
// Every other act (audit/acts.js): the session, the roll, credentials, enrollment, presence,
// voting rights, nominations, withdrawals, acclamation, the tellers' appointment, witnesses.
//
// The ceremony messages (audit/ceremony.js: signatures, Schnorr proofs, order) and every checked
// ballot (re-opened as decide/challenges.py opens it): nothing is left to the Python auditor
// alone (REPLAYED is empty). Every payload is checked against its published schema
// (audit/schema.js).
//
// Memory holds the log's records (a browser auditing one session): 10 000 ballots are ~25 MB.
import {
  BallotContext,
  ChaumPedersenProof,
  Ciphertext,
  CryptoError,
  G,
  IDENTITY,
  L,
  b64d,
  b64e,
  ballotFromJSON,
  checkReveal,
  trackingCode,
  verifyBallotSignature,
  chainHash,
  checkpointMessage,
  decodePoint,
  enc,
  equalBytes,
  eventCanonicalBytes,
  frame,
  fromHex,
  invertScalar,
  leafHash,
  merkleRoot,
  mod,
  mulPublic,
  parseEventRecord,
  receiptMessage,
  renderTrackingCode,
  signedMessage,
  signedReceiptFromJSON,
  toHex,
  u32be,
  u64be,
  utf8,
  verifyDecryption,
  verifySignature,
} from '../crypto/index.js';
import { checkBallotJob } from './ballots.js';
import { payloadProblem } from './schema.js';
import { belowMinTally, differingFields, differsChecks, lotsCommitment, pyList, roundOutcome, tallyEvents } from './decisions.js';
import { Field, expectedOpening } from './rounds.js';
import { Ceremony, ceremonyVerdict } from './ceremony.js';
import { actVerdict } from './acts.js';

/** The check families this auditor runs, by the prefix of their names. */
export const CHECKED = Object.freeze([
  'log', 'chain', 'event', 'checkpoint', 'session', 'roll', 'candidates', 'ceremony', 'round',
  'ballot', 'share', 'tally', 'decision', 'receipt', 'rules',
]);
/** What only `ballot audit` re-decides today: nothing. */
export const REPLAYED = Object.freeze([]);

// Decisions: events no act is recorded for — the rules write them after a tally (or after a
// closing below the minimum tally), and the log must hold exactly those.
const isDecision = (type, p) => ['RoundTallied', 'CandidateEliminated', 'LotsDrawn', 'ConfirmationFailed'].includes(type)
  || (type === 'CandidateElected' && p.by !== 'acclamation')
  || (type === 'RoundVoided' && p.reason !== 'declared');
// Failures that are not the rules refusing an act (a recorded field that differs, a receipt):
// after them, as after no failure, a decision with no act before it is unexpected.
const NOT_REFUSALS = new Set(['round.ballot_set', 'round.aggregate', 'ballot.tracking_code', 'receipt.ballot_set', 'tally.counts']);

const EVENT_TYPES = new Set([
  'SessionConvened', 'MemberStateRegistered', 'CredentialsAccepted', 'DelegationEnrolled',
  'PresenceRecorded', 'VotingRightsChanged', 'CandidateNominated', 'CandidateWithdrawn',
  'TellersAppointed', 'KeyCeremonyCommitted', 'KeyCeremonySharesDealt', 'KeyCeremonyComplaintFiled',
  'KeyCeremonyComplaintAnswered', 'ElectionKeyPublished', 'RoundOpened', 'BallotCast', 'RoundClosed',
  'RoundVoided', 'DecryptionShareSubmitted', 'RoundTallied', 'CandidateEliminated', 'LotsDrawn',
  'CandidateElected', 'ConfirmationFailed', 'CheckpointSigned', 'WitnessAdmitted',
  'CheckpointCosigned', 'BallotChallenged', 'SessionAdjourned',
]);

/** The input is not an exported log at all (as `ballot audit` exits 2), not a failing log. */
export class UnusableInput extends Error {
  constructor(message) {
    super(message);
    this.code = 'unusable_input';
  }
}

const SNIFF_LINES = 16;

/**
 * Feed it an export line by line (feedLine), then `await finish(checkBallots)`.
 *
 * Options: { checkpointKey: Uint8Array|null (the key the secretariat published), signedReceipts:
 * [receipt file objects], allowIncomplete: boolean }.
 */
export class Auditor {
  constructor({ checkpointKey = null, signedReceipts = [], allowIncomplete = false } = {}) {
    this.options = { checkpointKey, allowIncomplete };
    this.held = signedReceipts.map((r) => ({ receipt: r, seenHash: null, seenBallot: null }));
    this.heldCodes = new Set(this.held.map((h) => h.receipt.tracking_code));
    this.failures = [];
    this.warnings = [];
    this.seq = 0;
    this.lines = 0;
    this.jsonLines = 0;
    this.events = 0;
    this.ballots = 0;
    // the chain
    this.expected = 1;
    this.prevHash = new Uint8Array(32);
    this.logId = null;
    this.streams = new Map();
    this.streamsExact = true;
    this.headHash = null;
    this.leaves = [];
    this.treeBroken = false;
    // what the decide step replays, in log order
    this.entries = [];
    this.jobs = [];
    // the read-ahead view that builds each ballot's job
    this.view = { sessionId: '', round: null, keys: new Map() };
  }

  fail(position, eventType, check, message) {
    this.failures.push({ position, event_type: eventType, check, message, seq: this.seq++ });
  }

  failOrWarn(position, check, message) {
    if (this.options.allowIncomplete) this.warnings.push({ position, event_type: null, check, message });
    else this.fail(position, null, check, message);
  }

  // -- 1. read ----------------------------------------------------------------------------------

  /** Check the next line of the export (text without its newline). */
  feedLine(line) {
    const at = this.expected;
    this.lines += 1;
    let record;
    try {
      record = parseEventRecord(line);
    } catch (e) {
      this.lostLine(line, at, e);
      return;
    }
    this.jsonLines += 1;
    this.events += 1;
    this.checkChain(record, at);
    const hash = fromHex(record.hash);
    this.headHash = hash;
    this.leaves.push(leafHash(hash));
    const entry = { record, at, hash, job: -1 };
    const problem = EVENT_TYPES.has(record.event_type) ? payloadProblem(record.event_type, record.payload) : `unknown event type ${record.event_type}`;
    if (problem) {
      // As `ballot audit`: a payload that does not fit its schema is not an event the rules read.
      this.fail(at, record.event_type, 'event.schema', `${record.event_type} payload does not fit its schema: ${problem}`);
      entry.unknown = true;
    } else {
      this.readAhead(entry);
    }
    this.entries.push(entry);
  }

  lostLine(line, at, error) {
    try {
      JSON.parse(line);
      this.jsonLines += 1;
    } catch {
      if (this.lines >= SNIFF_LINES && this.jsonLines === 0) throw new UnusableInput('the input is not JSON Lines');
    }
    this.fail(at, null, 'log.line', error.message);
    this.expected += 1;
    this.prevHash = null;
    this.streamsExact = false;
    this.treeBroken = true;
  }

  checkChain(record, at) {
    const type = record.event_type;
    const follows = this.prevHash !== null && record.prev_hash === toHex(this.prevHash);
    if (record.position !== at) this.fail(at, type, 'chain.position', `found position ${record.position} where ${at} belongs`);
    if (this.logId === null) this.logId = record.log_id;
    else if (record.log_id !== this.logId) this.fail(at, type, 'chain.log_id', `event of log ${record.log_id}, not ${this.logId}`);
    if (this.prevHash !== null && !follows) this.fail(at, type, 'chain.prev_hash', "prev_hash is not the previous event's hash");
    const computed = chainHash(fromHex(record.prev_hash), eventCanonicalBytes(record));
    if (toHex(computed) !== record.hash) this.fail(at, type, 'chain.hash', "hash does not match the event's canonical bytes");
    const last = this.streams.get(record.stream_id);
    if (last === undefined) {
      if (record.stream_version !== 1 && this.streamsExact) {
        this.fail(at, type, 'chain.stream_version', `stream ${record.stream_id} starts at version ${record.stream_version}`);
      }
    } else if (record.stream_version !== last + 1 && (this.streamsExact || record.stream_version <= last)) {
      this.fail(at, type, 'chain.stream_version', `stream ${record.stream_id}: version ${record.stream_version} after ${last}`);
    }
    this.streams.set(record.stream_id, record.stream_version);
    this.expected = follows || record.position <= at ? at + 1 : record.position + 1;
    this.prevHash = fromHex(record.hash);
  }

  /** Follow the events a ballot's checks depend on; queue each ballot's job. */
  readAhead(entry) {
    const p = entry.record.payload;
    const view = this.view;
    switch (entry.record.event_type) {
      case 'SessionConvened':
        if (typeof p.session_id === 'string') view.sessionId = p.session_id;
        break;
      case 'DelegationEnrolled':
        if (typeof p.delegation_id === 'string' && typeof p.public_key === 'string') view.keys.set(p.delegation_id, p.public_key);
        break;
      case 'RoundOpened':
        view.round = { number: p.round_number, electionKey: p.election_key, options: p.options };
        break;
      case 'BallotCast': {
        this.ballots += 1;
        const round = view.round;
        const publicKey = view.keys.get(p.delegation_id);
        if (round && round.number === p.round_number && publicKey) {
          entry.job = this.jobs.length;
          this.jobs.push({
            sessionId: view.sessionId,
            roundNumber: round.number,
            electionKey: round.electionKey,
            delegationId: p.delegation_id,
            options: round.options,
            ballot: p.ballot,
            signature: p.signature,
            publicKey,
          });
        }
        break;
      }
      default:
    }
  }

  // -- 2 and 3 ----------------------------------------------------------------------------------

  /**
   * Check the ballots (`checkBallots(jobs, progress) -> Promise<answers>`), decide every event
   * in order and report. `progress(step, done, total)` is told how far it is.
   */
  async finish(checkBallots, progress = () => {}) {
    if (this.lines === 0) throw new UnusableInput('the input is empty');
    if (this.jsonLines === 0) throw new UnusableInput('the input is not JSON Lines');
    const started = Date.now();
    progress('check', 0, this.jobs.length);
    const answers = this.jobs.length ? await checkBallots(this.jobs, (done) => progress('check', done, this.jobs.length)) : [];
    progress('decide', 0, this.entries.length);
    const rules = new Rules(this, answers);
    for (const entry of this.entries) {
      try {
        rules.feed(entry);
      } catch (e) {
        // A hostile log must be a finding, never a crash of the audit.
        this.fail(entry.at, entry.record.event_type, 'rules.error', `${e.name}: ${e.message}`);
      }
    }
    rules.finish(this.expected);
    progress('decide', this.entries.length, this.entries.length);
    return this.report(rules, Date.now() - started);
  }

  report(rules, ms) {
    const failures = [...this.failures].sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.seq - b.seq);
    const failedChecks = [];
    for (const f of failures) if (!failedChecks.includes(f.check)) failedChecks.push(f.check);
    return {
      verified: failures.length === 0,
      log_id: this.logId,
      session_id: rules.sessionId || null,
      events: this.events,
      ballots: this.ballots,
      head_position: this.expected - 1,
      head_hash: this.headHash ? toHex(this.headHash) : null,
      phase: rules.phase,
      rounds: rules.board(),
      failures: failures.map(({ seq, ...f }) => f),
      warnings: this.warnings,
      failed_checks: failedChecks,
      checked: CHECKED,
      not_checked: REPLAYED,
      milliseconds: ms,
    };
  }
}

// -- 3. decide --------------------------------------------------------------------------------------

const text = (v) => typeof v === 'string';

function point(v, what, allowIdentity = false) {
  return decodePoint(b64d(v, 32, what), { allowIdentity });
}

function ciphertext(v, what) {
  if (!v || typeof v !== 'object') throw new CryptoError('invalid_encoding', `${what} is a ciphertext`);
  return new Ciphertext(point(v.alpha, `${what}.alpha`, true), point(v.beta, `${what}.beta`, true));
}

/** frame(session, u32be(round), frame(options…)) — crypto/tally.py's TallyContext.encode(). */
function tallyContext(sessionId, roundNumber, options) {
  return frame(utf8(sessionId), u32be(roundNumber), frame(...options.map((o) => utf8(o))));
}

function lagrange(index, indices) {
  let num = 1n;
  let den = 1n;
  for (const j of indices) {
    if (j === index) continue;
    num = (num * BigInt(j)) % L;
    den = mod(den * BigInt(j - index));
  }
  return (num * invertScalar(den)) % L;
}

/** The x in [0, max] with x·G = target (a linear walk: counts are at most the ballots). */
function smallLog(target, max) {
  let p = IDENTITY;
  for (let x = 0; x <= max; x++) {
    if (p.equals(target)) return x;
    p = p.add(G);
  }
  return null;
}

class Rules {
  constructor(auditor, answers) {
    this.a = auditor;
    this.answers = answers;
    this.sessionId = '';
    this.phase = 'new';
    this.settings = {};
    this.series = 1; // grows when a failed confirmation reopens nominations
    // The decisions the rules still expect next (after the act at `group[0]`), as rederive.py.
    this.pending = [];
    this.group = [];
    this.afterRefusal = false;
    this.refused = false;
    this.field = new Field(); // the roll and the candidates, for each round's opening
    this.ceremony = new Ceremony(); // its public messages, for the election key
    this.electionKey = null;
    this.convenedKey = null;
    this.keyChecked = false;
    this.threshold = null;
    this.witnessesRequired = 0;
    this.members = new Map(); // delegation id -> enrolled public key (bytes)
    this.tellerKeys = new Map(); // teller id -> enrolled key
    this.tellerIndex = new Map(); // teller id -> index
    this.witnesses = new Map(); // witness id -> key
    this.verificationKeys = new Map(); // index -> point
    this.rounds = [];
    this.current = null;
    this.lastCheckpoint = null; // { position, headHash, logRoot }
    this.checkpoints = new Map(); // covered position -> { headHash, logRoot, cosigners:Set }
    this.lastFact = 0;
    this.held = new Map();
    for (const h of auditor.held) {
      const list = this.held.get(h.receipt.position) || [];
      list.push(h);
      this.held.set(h.receipt.position, list);
    }
    this.receipts = new Map(); // tracking code -> { found, roundNumber, delegationId, inSet }
    for (const code of auditor.heldCodes) this.receipts.set(code, { found: false, setChecked: false });
  }

  fail(at, type, check, message) {
    if (!NOT_REFUSALS.has(check)) this.refused = true;
    this.a.fail(at, type, check, message);
  }

  key() {
    return this.a.options.checkpointKey || this.convenedKey;
  }

  feed(entry) {
    const { record, at } = entry;
    const type = record.event_type;
    const p = record.payload;
    for (const h of this.held.get(at) || []) {
      h.seenHash = entry.hash;
      h.seenBallot = type === 'BallotCast' && !entry.unknown ? p : null;
    }
    if (entry.unknown) return;
    if (type !== 'CheckpointSigned') this.lastFact = at;
    if (this.pending.length) {
      const expected = this.pending[0];
      if (expected.event_type === type) {
        this.pending.shift();
        this.group.push(type);
        const fields = differingFields(type, expected.payload, p);
        for (const check of fields.size ? differsChecks(type, fields) : []) this.fail(at, type, check, `${type}: the log's content differs from the rules'`);
        this.foldDecision(expected); // as the rules decided, whatever the log says
        return;
      }
      this.missing(at, type);
    }
    if (isDecision(type, p)) {
      if (this.afterRefusal) this.foldDecision({ event_type: type, payload: p }); // a consequence of the refused act
      else this.fail(at, type, type === 'RoundVoided' ? 'round.min_tally' : 'decision.unexpected', `${type} is a decision no recorded act led to`);
      return;
    }
    this.group = [type];
    this.refused = false;
    const current = this.current;
    const inProgress = current && (current.status === 'open' || current.status === 'closed') ? current : null;
    const verdict = actVerdict(type, p, { phase: this.phase, inProgress, settings: this.settings, field: this.field })
      ?? ceremonyVerdict(type, p, {
        phase: this.phase, sessionId: this.sessionId, settings: this.settings, tellerIndex: this.tellerIndex, tellerKeys: this.tellerKeys, published: this.electionKey !== null, ceremony: this.ceremony,
      });
    if (verdict?.refusal) {
      this.fail(at, type, verdict.refusal[0], `${type} would have been refused: ${verdict.refusal[1]}`);
      if (type === 'SessionConvened') { // the fold cannot convene a session twice
        this.afterRefusal = true;
        return;
      }
    } else if (verdict?.noop) {
      // An exact re-send: the rules record nothing, so the log should not either.
      this.a.fail(at, type, 'decision.unexpected', `the log has ${pyList([type])}, the rules give []`);
      this.afterRefusal = false;
      return;
    } else if (verdict?.expected) {
      const fields = differingFields(type, verdict.expected, p);
      for (const check of fields.size ? differsChecks(type, fields) : []) this.a.fail(at, type, check, `${type}: the log's content differs from the rules'`);
    }
    // As rederive.py: an act recorded with other fields than the rules give is followed as the
    // rules give it; a refused one, as recorded.
    const folded = verdict?.expected ?? p;
    const handler = this[`on${type}`];
    if (handler) handler.call(this, folded, at, type, entry);
    this.field.apply(type, folded);
    this.ceremony.apply(type, folded);
    this.afterRefusal = this.refused;
  }

  /** The decisions the rules gave that the log does not hold where they are due. */
  missing(at, found) {
    const got = [...this.group, ...(found ? [found] : [])];
    const want = [...this.group, ...this.pending.map((e) => e.event_type)];
    const first = this.pending[0].event_type;
    this.fail(at, first, first === 'RoundVoided' ? 'round.min_tally' : 'decision.missing', `the log has ${pyList(got)}, the rules give ${pyList(want)}`);
    for (const e of this.pending) this.foldDecision(e);
    this.pending = [];
  }

  /** A decision's effect on what later checks need. */
  foldDecision({ event_type: type, payload: p }) {
    const round = this.rounds.find((r) => r.number === p.round_number);
    this.field.apply(type, p);
    if (type === 'RoundTallied' && round) {
      round.status = 'tallied';
      round.outcome = p;
      this.field.tallied(round.kind, p);
    } else if (type === 'RoundVoided' && round) round.status = 'voided';
    else if (type === 'CandidateElected') this.phase = 'elected';
    else if (type === 'ConfirmationFailed') this.series += 1;
  }

  onSessionConvened(p, at, type) {
    this.sessionId = text(p.session_id) ? p.session_id : '';
    this.phase = 'convened';
    const s = p.settings || {};
    this.settings = s;
    this.threshold = Number.isInteger(s.threshold) ? s.threshold : null;
    this.witnessesRequired = Number.isInteger(s.witnesses_required) ? s.witnesses_required : 0;
    this.keyChecked = true;
    if (p.checkpoint_key === null || p.checkpoint_key === undefined) {
      this.fail(at, type, 'checkpoint.key', 'the session has no checkpoint key: nothing signs its log');
      return;
    }
    try {
      this.convenedKey = b64d(p.checkpoint_key, 32, 'checkpoint key');
    } catch (e) {
      this.fail(at, type, 'checkpoint.key', e.message);
      return;
    }
    const expected = this.a.options.checkpointKey;
    if (expected && !equalBytes(expected, this.convenedKey)) {
      this.fail(at, type, 'checkpoint.key', "the session's checkpoint key is not the one published for it");
    }
  }

  onCredentialsAccepted(p) {
    // A new code is issued when a delegation lost its code or its key: the key is revoked.
    this.members.delete(p.member_id);
  }

  onDelegationEnrolled(p) {
    const key = b64d(p.public_key, 32, 'public key');
    if (p.role === 'teller') this.tellerKeys.set(p.delegation_id, key);
    else this.members.set(p.delegation_id, key);
  }

  onTellersAppointed(p) {
    if (Number.isInteger(p.threshold)) this.threshold = p.threshold;
    for (const t of p.tellers || []) this.tellerIndex.set(t.teller_id, t.index);
  }

  onElectionKeyPublished(p, at, type) {
    // The key every ballot is encrypted under, and the keys the shares are checked against,
    // as the tellers' qualified commitments give them (a refused publication is followed as
    // recorded; one that differs, as the rules give it).
    const committed = [...this.tellerIndex.values()].every((i) => this.ceremony.commitments.has(i));
    let rule;
    if (!this.tellerIndex.size) rule = { refusal: ['ceremony.message', 'appoint the tellers first'] };
    else if (this.electionKey !== null) rule = { refusal: ['ceremony.message', 'the election key is already published'] };
    else if (!committed) rule = { refusal: ['ceremony.message', 'publishing the key waits for every commitment'] };
    else rule = this.ceremony.result(this.settings.tellers ?? 3);
    let published = p;
    if (rule.refusal) {
      this.fail(at, type, rule.refusal[0], `${type} would have been refused: ${rule.refusal[1]}`);
    } else {
      const fields = differingFields(type, rule.payload, p);
      for (const check of fields.size ? differsChecks(type, fields) : []) this.fail(at, type, check, `${type}: the log's content differs from the rules'`);
      published = rule.payload;
    }
    this.electionKey = published.election_key;
    for (const vk of published.verification_keys || []) this.verificationKeys.set(vk.index, point(vk.key, 'verification key'));
  }

  onWitnessAdmitted(p) {
    this.witnesses.set(p.witness_id, b64d(p.public_key, 32, 'witness key'));
  }

  /** Tallied, inconclusive election rounds of the current series (what elimination counts). */
  inconclusiveBefore() {
    return this.rounds.filter((r) => r.series === this.series && r.kind === 'election' && r.status === 'tallied' && r.outcome && r.outcome.decision !== 'elected').length;
  }

  onRoundOpened(p, at, type) {
    const current = this.current;
    const inProgress = current && (current.status === 'open' || current.status === 'closed') ? current : null;
    const rule = expectedOpening(this.field, p, {
      phase: this.phase, electionKey: this.electionKey, rounds: this.rounds.length, settings: this.settings, inProgress, inconclusiveBefore: this.inconclusiveBefore(),
    });
    // As rederive.py: a refused opening is followed as recorded; one that differs, as the rules
    // give it (its ballots are then checked again in the rules' context: decideBallot).
    let opened = p;
    if (rule.refusal) {
      this.fail(at, type, rule.refusal[0], `${type} would have been refused: ${rule.refusal[1]}`);
      if (inProgress) return; // the fold itself cannot open a round while one is in progress
    } else {
      const fields = differingFields(type, rule.payload, p);
      for (const check of fields.size ? differsChecks(type, fields) : []) this.fail(at, type, check, `${type}: the log's content differs from the rules'`);
      opened = rule.payload;
    }
    const options = Array.isArray(opened.options) ? opened.options : [];
    const round = {
      number: p.round_number,
      options,
      kind: opened.kind,
      candidate: opened.candidate ?? null,
      series: this.series,
      outcome: null,
      lotsSeed: null,
      lotsCommitment: p.lots_commitment ?? null,
      electionKey: opened.election_key,
      roll: new Set(Array.isArray(opened.roll) ? opened.roll : []),
      voters: new Map(),
      spoiled: new Set(), // alphas of the ballots checked in this round (their nonces are public)
      sum: options.map(() => Ciphertext.zero()),
      status: 'open',
      committed: null,
      ballotCount: 0,
      shares: new Map(), // teller index -> decoded share
      counts: null,
    };
    this.rounds.push(round);
    this.current = round;
  }

  onBallotCast(p, at, type, entry) {
    this.decideBallot(p, at, type, entry);
    this.cast(p, at, type, this.current, entry);
  }

  decideBallot(p, at, type, entry) {
    if (this.inactive(at, type)) return;
    const round = this.current;
    if (!round || round.status !== 'open' || round.number !== p.round_number) {
      this.fail(at, type, 'ballot.round_open', `round ${p.round_number} is not open`);
      return;
    }
    if (!round.roll.has(p.delegation_id)) {
      this.fail(at, type, 'ballot.eligibility', `${p.delegation_id} is not on round ${round.number}'s roll`);
      return;
    }
    const key = this.members.get(p.delegation_id);
    if (!key) {
      this.fail(at, type, 'ballot.eligibility', `${p.delegation_id} has not enrolled a key`);
      return;
    }
    // The workers checked the ballot in the context the read-ahead guessed; the rules' own
    // (their round, options and election key, the key they hold) decides. Where the two
    // differ — a log that departs from the rules — the ballot is checked again here, inline,
    // as ballot audit's rules do.
    const rules = {
      sessionId: this.sessionId, roundNumber: round.number, electionKey: round.electionKey, delegationId: p.delegation_id,
      options: round.options, ballot: p.ballot, signature: p.signature, publicKey: b64e(key),
    };
    const guessed = entry.job >= 0 ? this.a.jobs[entry.job] : null;
    const same = guessed && ['sessionId', 'roundNumber', 'electionKey', 'delegationId', 'publicKey'].every((k) => guessed[k] === rules[k]) && JSON.stringify(guessed.options) === JSON.stringify(rules.options);
    const answer = same ? this.answers[entry.job] : checkBallotJob(rules);
    if (answer.check) {
      this.fail(at, type, answer.check, answer.message);
      if (!answer.signatureValid && answer.check !== 'ballot.malformed') {
        this.fail(at, type, 'ballot.signature', `${type} fails this too: ballot signature does not verify`);
      }
      return;
    }
    const previous = round.voters.get(p.delegation_id);
    if (previous !== undefined) {
      this.fail(at, type, 'ballot.duplicate', previous === answer.trackingHash
        ? `a copy of ${p.delegation_id}'s ballot, already deposited`
        : `${p.delegation_id} has already voted in round ${round.number}`);
      return;
    }
    if (!answer.signatureValid) {
      this.fail(at, type, 'ballot.signature', 'ballot signature does not verify');
      return;
    }
    if (round.spoiled.size && p.ballot.ciphertexts.some((c) => round.spoiled.has(c.alpha))) {
      this.fail(at, type, 'ballot.spoiled', `${type} would have been refused: this ballot reuses the encryption of a ballot checked (spoiled) in this round`);
      return;
    }
    const rendered = renderCode(answer.trackingHash);
    if (rendered !== p.tracking_code) {
      this.fail(at, type, 'ballot.tracking_code', `the tracking code is ${rendered}, not ${p.tracking_code}`);
    }
    round.voters.set(p.delegation_id, answer.trackingHash);
    const cts = p.ballot.ciphertexts.map((c, i) => ciphertext(c, `ciphertexts[${i}]`));
    round.sum = round.sum.map((s, i) => s.add(cts[i]));
  }

  /** A ballot whose receipt a delegation holds: it must be the one the rules accepted. */
  cast(p, at, type, round) {
    const receipt = this.receipts.get(p.tracking_code);
    if (!receipt || receipt.found) return;
    Object.assign(receipt, { found: true, position: at, roundNumber: p.round_number, delegationId: p.delegation_id });
    const digest = round && round.number === p.round_number ? round.voters.get(p.delegation_id) : undefined;
    if (!digest || renderCode(digest) !== p.tracking_code) {
      this.fail(at, type, 'receipt.ballot_set', `the ballot recorded under ${p.tracking_code} was not accepted by the rules`);
      receipt.setChecked = true;
    }
  }

  onBallotChallenged(p, at, type) {
    const round = this.current;
    const problem = this.challengeProblem(round, p);
    if (problem) this.fail(at, type, problem[0], `${type} would have been refused: ${problem[1]}`);
    if (!round || round.number !== p.round_number) return;
    for (const c of p.ballot?.ciphertexts || []) if (typeof c?.alpha === 'string') round.spoiled.add(c.alpha);
  }

  /** Why the rules refuse a checked ballot (decide/challenges.py), as [check, message]; null if
   * it is the opened ballot it claims: valid, signed, opening to the recorded option. */
  challengeProblem(round, p) {
    if (this.phase === 'new') return ['session.sequence', 'convene the session first'];
    if (this.phase === 'elected' || this.phase === 'adjourned') return ['session.concluded', `the session is ${this.phase}`];
    if (!round || round.number !== p.round_number || round.status !== 'open') return ['round.sequence', `round ${p.round_number} is not open`];
    if (!round.roll.has(p.delegation_id)) return ['ballot.eligibility', `${p.delegation_id} is not on round ${round.number}'s roll`];
    const key = this.members.get(p.delegation_id);
    if (!key) return ['ballot.eligibility', `${p.delegation_id} has not enrolled a key`];
    if (round.voters.has(p.delegation_id)) return ['ballot.duplicate', `${p.delegation_id} has already voted in round ${round.number}`];
    const ctx = new BallotContext({ sessionId: this.sessionId, roundNumber: round.number, electionKey: b64d(round.electionKey, 32, 'election key'), delegationId: p.delegation_id, options: round.options });
    let ballot;
    try {
      ballot = ballotFromJSON(p.ballot);
      if (ballot.ciphertexts.length !== round.options.length) throw new Error(`the round has ${round.options.length} options`);
    } catch (e) {
      return ['ballot.malformed', e.message];
    }
    const signature = b64d(p.signature, 64, 'signature');
    try {
      verifyBallotSignature(ctx, ballot, key, signature);
    } catch (e) {
      return ['ballot.signature', e.message];
    }
    let choice;
    try {
      choice = checkReveal(ctx, ballot, p.reveal);
    } catch (e) {
      return ['rules.refused', `invalid_challenge: ${e.message}`];
    }
    if (round.options[choice] !== p.option || trackingCode(ctx, ballot, signature) !== p.tracking_code) {
      return ['rules.refused', "the recorded option or tracking code is not the opened ballot's"];
    }
    return null;
  }

  onRoundClosed(p, at, type) {
    const round = this.current;
    const inactive = this.inactive(at, type);
    if (!round || round.status !== 'open' || round.number !== p.round_number) {
      if (!inactive) this.fail(at, type, 'round.sequence', `round ${p.round_number} is not open`);
      return;
    }
    round.status = 'closed';
    const seed = inactive ? null : this.lotsSeedRefusal(round, p);
    if (seed) this.fail(at, type, 'round.lots_seed', `${type} would have been refused: ${seed}`);
    const refusal = inactive || seed;
    const leaves = [...round.voters.values()].map((h) => leafHash(fromHex(h)));
    const root = merkleRoot(leaves);
    let recordedRoot = null;
    try {
      recordedRoot = b64d(p.ballots_root, 32, 'ballots_root');
    } catch {
      recordedRoot = null;
    }
    // A refused closing is followed as recorded, its commitments not compared (rederive.py).
    if (!refusal && (p.ballot_count !== leaves.length || !recordedRoot || !equalBytes(root, recordedRoot))) {
      this.fail(at, type, 'round.ballot_set', `the closing commits to ${p.ballot_count} ballots and a root that are not the ${leaves.length} the rules accepted`);
    }
    let committed = null;
    try {
      committed = (p.aggregate || []).map((c, i) => ciphertext(c, `aggregate[${i}]`));
    } catch {
      committed = null;
    }
    const same = committed && committed.length === round.sum.length && committed.every((c, i) => c.alpha.equals(round.sum[i].alpha) && c.beta.equals(round.sum[i].beta));
    if (!same && !refusal) this.fail(at, type, 'round.aggregate', "the committed aggregate is not the sum of the round's accepted ballots");
    // As the rules do after a discrepancy, what follows is judged on what the log records
    // (one wrong closing must not cascade into every share of the round failing too).
    round.committed = committed;
    if (committed && committed.length === round.sum.length) round.sum = committed;
    round.ballotCount = Number.isSafeInteger(p.ballot_count) && p.ballot_count >= 0 ? p.ballot_count : leaves.length;
    round.lotsSeedText = p.lots_seed ?? null;
    round.lotsSeed = p.lots_seed ? b64d(p.lots_seed, 32, 'lots seed') : null;
    this.closedReceipts(round, at, type, leaves, p, recordedRoot);
    // So few ballots could expose how someone voted: the rules void the round instead.
    const minTally = this.settings.min_tally ?? 5;
    if (leaves.length < minTally && !refusal) this.pending = [belowMinTally(round.number, leaves.length, minTally)];
  }

  closedReceipts(round, at, type, leaves, p, recordedRoot) {
    const voters = [...round.voters.keys()];
    for (const [code, receipt] of this.receipts) {
      if (!receipt.found || receipt.setChecked || receipt.roundNumber !== round.number) continue;
      receipt.setChecked = true;
      const index = voters.indexOf(receipt.delegationId);
      if (index < 0) continue;
      // The membership proof of leaf `index` among `leaves` leads to the recorded root iff the
      // recorded count is the tree's size and the root is the tree's root.
      if (p.ballot_count !== leaves.length || !recordedRoot || !equalBytes(merkleRoot(leaves), recordedRoot)) {
        this.fail(at, type, 'receipt.ballot_set', `${code}: the ballot is not in the set the closing commits to`);
      } else {
        receipt.inSet = true;
      }
    }
  }

  /** Why the rules refuse this closing's lots seed (null if they do not). */
  lotsSeedRefusal(round, p) {
    const seed = p.lots_seed ?? null;
    if (round.lotsCommitment === null) return seed === null ? null : `round ${round.number} committed to no seed`;
    if (seed === null) return 'reveal the seed committed at the opening';
    try {
      if (equalBytes(lotsCommitment(this.sessionId, round.number, b64d(seed, 32, 'lots seed')), b64d(round.lotsCommitment, 32, 'lots commitment'))) return null;
    } catch (e) {
      return e.message;
    }
    return 'the seed does not match the commitment';
  }

  onRoundVoided(p, at, type) {
    // Declared by the secretariat (below the minimum tally it is a decision: foldDecision).
    const current = this.current;
    if (this.inactive(at, type)) {
      // refused, and followed as recorded below
    } else if (!current || (current.status !== 'open' && current.status !== 'closed') || current.number !== p.round_number) {
      this.fail(at, type, 'round.void', `${type} would have been refused: round ${p.round_number} is not open or awaiting its tally`);
    }
    if (current && current.number === p.round_number) current.status = 'voided';
  }

  /** The refusal of any act once the session is not active (guards.py's require_active). */
  inactive(at, type) {
    const why = this.phase === 'new' ? ['session.sequence', 'convene the session first']
      : this.phase === 'elected' || this.phase === 'adjourned' ? ['session.concluded', `the session is ${this.phase}`] : null;
    if (why) this.fail(at, type, why[0], `${type} would have been refused: ${why[1]}`);
    return why !== null;
  }

  onDecryptionShareSubmitted(p, at, type) {
    // As decide/closing.py, then rederive.py: a refused share is still followed as recorded
    // (it joins its round's shares if it decodes), and the tally combines the round's shares
    // once there are `threshold` of them.
    const round = this.current;
    const target = round && round.number === p.round_number ? round : null; // the share's round
    const index = this.tellerIndex.get(p.teller_id);
    const parsed = target && index !== undefined ? this.parseShare(p.share, index, target) : null;
    const fold = () => {
      if (target && parsed && !parsed.error) target.shares.set(index, parsed);
    };
    if (this.inactive(at, type)) {
      fold();
      return;
    }
    if (!round || round.number !== p.round_number || round.status !== 'closed') {
      this.fail(at, type, 'share.round', `${type} would have been refused: round ${p.round_number} is not awaiting its tally`);
      fold();
      return;
    }
    if (index === undefined) {
      this.fail(at, type, 'ceremony.message', `${type} would have been refused: no teller ${p.teller_id}`);
      return;
    }
    if (parsed.error) {
      this.fail(at, type, 'share.malformed', `${type} would have been refused: ${parsed.error}`);
      return;
    }
    const previous = round.shares.get(index);
    if (previous) {
      if (previous.text === parsed.text) {
        this.a.fail(at, type, 'decision.unexpected', `the log has ${pyList([type])}, the rules give []`);
        return; // the same share re-sent: the rules record nothing
      }
      this.fail(at, type, 'share.duplicate', `${type} would have been refused: ${p.teller_id} already submitted a share`);
      fold();
      return;
    }
    const vk = this.verificationKeys.get(index);
    const ctx = tallyContext(this.sessionId, round.number, round.options);
    const check = (aggregate) => vk && aggregate.every((ct, j) => {
      try {
        verifyDecryption(vk, ct.alpha, parsed.partials[j], parsed.proofs[j], frame(ctx, u32be(index), u32be(j), enc(ct.alpha), enc(ct.beta)));
        return true;
      } catch {
        return false;
      }
    });
    if (!check(round.sum)) {
      this.fail(at, type, 'share.proof', `${type} would have been refused: the share of ${p.teller_id} does not verify`);
      fold();
      return;
    }
    if (round.committed && !check(round.committed)) {
      this.fail(at, type, 'share.aggregate', `${type} would have been refused: the share of ${p.teller_id} is not of the aggregate the closing committed`);
      fold();
      return;
    }
    if (p.index !== index) this.a.fail(at, type, 'share.malformed', `${type}: the log's content differs from the rules'`);
    fold();
    if (round.shares.size >= this.threshold) this.combine(round, at, type);
  }

  /** A share decoded for teller `index` of `round` ({ partials, proofs, text } or { error }). */
  parseShare(share, index, round) {
    try {
      const fields = share || {};
      if (fields.teller_index !== index) throw new Error(`the share is for teller ${fields.teller_index}, not ${index}`);
      const partials = fields.partials.map((x, j) => point(x, `partials[${j}]`, true));
      const proofs = fields.proofs.map((x, j) => ChaumPedersenProof.fromJSON(x, `proofs[${j}]`));
      if (partials.length !== round.options.length || proofs.length !== partials.length) throw new Error('one partial decryption per option');
      return { index, partials, proofs, text: JSON.stringify([fields.partials, fields.proofs]) };
    } catch (e) {
      return { error: e.message };
    }
  }

  /** The round's shares (its first t valid ones, in a log the rules wrote), Lagrange-combined. */
  combine(round, at, type) {
    const shares = [...round.shares.values()];
    const indices = shares.map((s) => s.index);
    const lambdas = indices.map((i) => lagrange(i, indices));
    const counts = round.sum.map((ct, j) => {
      let keyTimesAlpha = IDENTITY;
      shares.forEach((s, k) => {
        keyTimesAlpha = keyTimesAlpha.add(mulPublic(s.partials[j], lambdas[k]));
      });
      return smallLog(ct.beta.subtract(keyTimesAlpha), round.ballotCount);
    });
    if (counts.some((c) => c === null) || counts.reduce((x, y) => x + y, 0) !== round.ballotCount) {
      this.fail(at, type, 'tally.combination', `the shares do not combine to counts of the round's ${round.ballotCount} ballots`);
      return;
    }
    round.counts = Object.fromEntries(round.options.map((o, j) => [o, counts[j]]));
    const before = this.inconclusiveBefore();
    const outcome = roundOutcome({
      kind: round.kind, options: round.options, counts, settings: this.settings, inconclusiveBefore: before,
      sessionId: this.sessionId, roundNumber: round.number, lotsSeed: round.lotsSeed, candidate: round.candidate,
    });
    this.pending = tallyEvents(round, outcome, counts, round.lotsSeedText);
  }

  onCandidateElected() {
    this.phase = 'elected'; // by acclamation: decisions by ballot are folded (foldDecision)
  }

  onSessionAdjourned() {
    this.phase = 'adjourned';
  }

  onCheckpointSigned(p, at, type) {
    const own = [];
    const fail = (check, message) => own.push([check, message]);
    let cp = null;
    try {
      cp = { position: p.position, headHash: b64d(p.head_hash, 32, 'head_hash'), logRoot: b64d(p.log_root, 32, 'log_root'), signature: b64d(p.signature, 64, 'signature') };
      if (!Number.isSafeInteger(cp.position) || cp.position < 1) throw new Error('a checkpoint covers a positive position');
    } catch (e) {
      fail('checkpoint.position', e.message);
      cp = null;
    }
    if (cp) {
      const last = this.lastCheckpoint;
      if (cp.position >= at) fail('checkpoint.position', `covers position ${cp.position}, which is not before its own (${at})`);
      else if (last && cp.position <= last.position) fail('checkpoint.position', `covers position ${cp.position}, not after the previous checkpoint (${last.position})`);
      else if (this.a.treeBroken || this.a.leaves.length < at) fail('checkpoint.root', 'cannot be recomputed: lines before it could not be read');
      else {
        const head = this.a.entries[cp.position - 1].hash;
        if (!equalBytes(head, cp.headHash)) fail('checkpoint.head', `head_hash is not the hash of the event at position ${cp.position}`);
        if (!equalBytes(merkleRoot(this.a.leaves.slice(0, cp.position)), cp.logRoot)) fail('checkpoint.root', `log_root is not the Merkle root of positions 1..${cp.position}`);
      }
      const key = this.key();
      if (!key) fail('checkpoint.key', 'no checkpoint key to verify it with');
      else {
        try {
          verifySignature(key, checkpointMessage(cp.position, cp.headHash, cp.logRoot), cp.signature);
        } catch (e) {
          fail('checkpoint.signature', `the checkpoint is not signed by the session's checkpoint key: ${e.message}`);
        }
      }
    }
    for (const [check, message] of own) this.fail(at, type, check, message);
    if (!own.length && cp) {
      this.lastCheckpoint = cp;
      this.checkpoints.set(cp.position, { ...cp, cosigners: new Set() });
    }
  }

  onCheckpointCosigned(p, at, type) {
    const cp = this.checkpoints.get(p.position);
    const key = this.witnesses.get(p.witness_id) || this.tellerKeys.get(p.witness_id);
    if (!cp || !key || cp.cosigners.has(p.witness_id)) {
      this.fail(at, type, 'checkpoint.signature', `no cosignable checkpoint at ${p.position} for ${p.witness_id}`);
      return;
    }
    try {
      const message = signedMessage('cosignature', utf8(this.sessionId), u64be(p.position), cp.headHash, cp.logRoot);
      verifySignature(key, message, b64d(p.signature, 64, 'cosignature'));
    } catch (e) {
      this.fail(at, type, 'checkpoint.signature', `the cosignature of ${p.witness_id} does not verify: ${e.message}`);
      return;
    }
    cp.cosigners.add(p.witness_id);
  }

  finish(expected) {
    const end = expected;
    const a = this.a;
    if (this.pending.length) this.missing(end, null);
    if (this.phase !== 'elected' && this.phase !== 'adjourned') {
      a.failOrWarn(end, 'log.incomplete', `the log ends while the session is ${this.phase}: no result can be verified`);
    }
    const covered = this.lastCheckpoint ? this.lastCheckpoint.position : 0;
    if (this.lastFact > covered) a.failOrWarn(end, 'checkpoint.missing', `no signed checkpoint covers positions ${covered + 1}..${this.lastFact}`);
    if (this.witnessesRequired) {
      const positions = [...this.checkpoints.keys()].sort((x, y) => x - y);
      const lastPosition = positions[positions.length - 1];
      for (const position of positions) {
        const n = this.checkpoints.get(position).cosigners.size;
        if (n >= this.witnessesRequired) continue;
        const message = `the checkpoint at position ${position} is cosigned by ${n} witness(es), ${this.witnessesRequired} required`;
        if (position === lastPosition) a.failOrWarn(end, 'checkpoint.unwitnessed', message);
        else a.fail(end, null, 'checkpoint.unwitnessed', message);
      }
    }
    this.finishHeld(end - 1);
    for (const [code, receipt] of this.receipts) {
      if (!receipt.found) a.fail(null, null, 'receipt.unknown', `${code} is not in the log`);
      else if (!receipt.setChecked) a.failOrWarn(end, 'receipt.ballot_set', `${code}: round ${receipt.roundNumber} was never closed`);
      else if (!this.lastCheckpoint || this.lastCheckpoint.position < receipt.position) {
        a.failOrWarn(end, 'receipt.uncovered', `${code}: no signed checkpoint covers position ${receipt.position}`);
      }
    }
  }

  /** Each signed receipt a delegation kept: genuine, and the log still holds what it signs. */
  finishHeld(end) {
    const key = this.key();
    for (const h of this.a.held) {
      const r = h.receipt;
      const name = `receipt ${r.tracking_code} (round ${r.round_number}, ${r.delegation_id}, position ${r.position})`;
      if (this.sessionId && r.session_id !== this.sessionId) {
        this.fail(null, null, 'receipt.session', `${name} is of session ${r.session_id}, not of this log's ${this.sessionId}`);
        continue;
      }
      if (!key) {
        this.fail(null, null, 'receipt.signature', `${name}: the log names no checkpoint key to check it with`);
        continue;
      }
      try {
        verifySignature(key, receiptMessage(r), signedReceiptFromJSON(r).signatureBytes);
      } catch {
        this.fail(null, null, 'receipt.signature', `${name} is not signed by this log's checkpoint key: the log's key was replaced, or the receipt is not genuine`);
        continue;
      }
      const b = h.seenBallot;
      if (h.seenHash === null) {
        this.fail(end + 1, null, 'receipt.omitted', `${name}: the log ends at position ${end}, before the ballot the server signed this receipt for — it was cut from the record`);
      } else if (toHex(h.seenHash) !== r.head_hash || !b || b.round_number !== r.round_number || b.delegation_id !== r.delegation_id || b.tracking_code !== r.tracking_code) {
        this.fail(r.position, null, 'receipt.rewritten', `${name}: the log holds another event or chain at this position than the one the server signed — the record was rewritten at or before it`);
      }
    }
  }

  /** Each round's status and counts, for the report. */
  board() {
    return this.rounds.map((r) => ({ round_number: r.number, status: r.status, ballots: r.voters.size, counts: r.counts }));
  }
}

const renderCode = (hex) => renderTrackingCode(fromHex(hex));
