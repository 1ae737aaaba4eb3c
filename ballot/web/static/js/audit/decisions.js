// The decisions of a tallied round, re-derived in the browser: the twin of
// ballot/domain/rules.py's `round_outcome` and `draw_lots` and of the events
// ballot/domain/decide/closing.py writes after a tally. The auditor (engine.js) expects exactly
// these events after the share that completes a tally (and a RoundVoided after a closing below
// the minimum tally), as ballot/domain/rederive.py does, and names what differs with the check
// names of ballot/audit/checks.py.
import { sha256 } from '@noble/hashes/sha2.js';
import { domainTag, frame, u32be, utf8 } from '../crypto/index.js';

export const BLANK = 'blank';
const YES = 'yes';
const NO = 'no';

/** Votes needed out of `valid`: the smallest v with den·v ≥ num·valid. */
export function required(valid, num = 2, den = 3) {
  if (valid < 0) throw new Error('valid must be non-negative');
  return Number((BigInt(num) * BigInt(valid) + BigInt(den) - 1n) / BigInt(den));
}

/** Whether `votes` of `valid` reach the majority (never with no valid vote). */
export function isElected(votes, valid, num = 2, den = 3) {
  return valid > 0 && den * votes >= num * valid;
}

function fewest(votes) {
  const ids = Object.keys(votes);
  if (!ids.length) return [];
  const low = Math.min(...ids.map((id) => votes[id]));
  return ids.filter((id) => votes[id] === low).sort(byCodePoint);
}

// Python sorts strings by code point; so must this (localeCompare would not).
function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The candidate the lot falls on among `tied` (rules.py's `draw_lots`). */
export function drawLots(seed, sessionId, roundNumber, tied) {
  const ordered = [...tied].sort(byCodePoint);
  if (!ordered.length) throw new Error('no tied candidates to draw lots among');
  const digest = sha256(frame(domainTag('lots/draw'), utf8(sessionId), u32be(roundNumber), seed, ...ordered.map(utf8)));
  let n = 0n;
  for (const byte of digest) n = (n << 8n) | BigInt(byte);
  return ordered[Number(n % BigInt(ordered.length))];
}

/**
 * What a tallied round decides, from its counts (aligned with `options`, blank last):
 * { blank, valid, required, decision, elected, eliminated, eliminated_by, tied }.
 */
export function roundOutcome({ kind, options, counts, settings, inconclusiveBefore, sessionId, roundNumber, lotsSeed, candidate }) {
  if (options.length !== counts.length || !options.length || options[options.length - 1] !== BLANK) throw new Error('counts must align with the options, blank last');
  const num = settings.majority_numerator ?? 2;
  const den = settings.majority_denominator ?? 3;
  const blank = counts[counts.length - 1];
  const votes = Object.fromEntries(options.slice(0, -1).map((o, i) => [o, counts[i]]));
  let valid = Object.values(votes).reduce((a, b) => a + b, 0);
  const out = (need, decision, extra = {}) => ({ blank, valid, required: need, decision, elected: null, eliminated: null, eliminated_by: null, tied: [], ...extra });
  if (kind === 'confirmation') {
    if (!candidate) throw new Error('a confirmation round needs its candidate');
    valid = votes[YES] + votes[NO];
    const need = required(valid, num, den);
    return isElected(votes[YES], valid, num, den) ? out(need, 'elected', { elected: candidate }) : out(need, 'not_confirmed');
  }
  if (kind === 'tiebreak') {
    const tied = fewest(votes);
    return tied.length === 1 ? out(null, 'eliminated', { eliminated: tied[0], eliminated_by: 'tiebreak' }) : out(null, 'tiebreak_required', { tied });
  }
  const need = required(valid, num, den);
  for (const [id, v] of Object.entries(votes)) if (isElected(v, valid, num, den)) return out(need, 'elected', { elected: id });
  const eliminateAfter = settings.eliminate_after ?? 3;
  if (!(eliminateAfter > 0 && inconclusiveBefore + 1 >= eliminateAfter)) return out(need, 'inconclusive');
  const tied = fewest(votes);
  if (tied.length === 1) return out(need, 'eliminated', { eliminated: tied[0], eliminated_by: 'fewest_votes' });
  if (settings.tie_break === 'lots') {
    if (!lotsSeed) throw new Error('a drawing of lots needs the revealed seed');
    return out(need, 'eliminated', { eliminated: drawLots(lotsSeed, sessionId, roundNumber, tied), eliminated_by: 'lots', tied });
  }
  return out(need, 'tiebreak_required', { tied });
}

/** The events the rules write after a tally: RoundTallied, then what it decides. */
export function tallyEvents(round, outcome, counts, lotsSeedText) {
  const votes = Object.fromEntries(round.options.map((o, i) => [o, counts[i]]));
  const n = round.number;
  const events = [{
    event_type: 'RoundTallied',
    payload: { round_number: n, kind: round.kind, counts: votes, ...outcome },
  }];
  if (outcome.decision === 'elected') {
    const won = round.kind === 'confirmation' ? votes[YES] : votes[outcome.elected];
    events.push({ event_type: 'CandidateElected', payload: { candidate_id: outcome.elected, by: round.kind === 'confirmation' ? 'confirmation' : 'ballot', round_number: n, votes: won, valid: outcome.valid, required: outcome.required } });
  } else if (outcome.decision === 'eliminated') {
    if (outcome.eliminated_by === 'lots') events.push({ event_type: 'LotsDrawn', payload: { round_number: n, seed: lotsSeedText, tied: outcome.tied, loser: outcome.eliminated } });
    events.push({ event_type: 'CandidateEliminated', payload: { candidate_id: outcome.eliminated, round_number: n, by: outcome.eliminated_by, votes: votes[outcome.eliminated] } });
  } else if (outcome.decision === 'not_confirmed') {
    events.push({ event_type: 'ConfirmationFailed', payload: { candidate_id: round.candidate, round_number: n, yes: votes[YES], no: votes[NO], required: outcome.required } });
  }
  return events;
}

/** The RoundVoided the rules write after a closing with fewer ballots than the minimum. */
export function belowMinTally(roundNumber, count, minTally) {
  return { event_type: 'RoundVoided', payload: { round_number: roundNumber, reason: 'below_min_tally', note: `${count} ballots, fewer than ${minTally}` } };
}

// A field's value as the event models hold it (their defaults filled), for comparison.
const DEFAULTS = {
  RoundTallied: { elected: null, eliminated: null, eliminated_by: null, tied: [] },
  CandidateElected: { round_number: null, votes: null, valid: null, required: null },
  RoundVoided: { note: '' },
  RoundOpened: { candidate: null, lots_commitment: null },
  CandidateNominated: { nominated_by: null },
};

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

/** The fields in which the recorded payload differs from the rules' (ballot/audit/checks.py). */
export function differingFields(eventType, expected, recorded) {
  const defaults = DEFAULTS[eventType] || {};
  const got = { ...defaults, ...recorded };
  const want = { ...defaults, ...expected };
  return new Set([...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => canonical(want[k]) !== canonical(got[k])));
}

// Event type → (fields that select a check, check), the first matching group per field: the
// decision events of ballot/audit/checks.py's _BY_FIELD.
const BY_FIELD = {
  RoundTallied: [
    [['counts', 'blank', 'valid'], 'tally.counts'],
    [['required', 'decision', 'elected'], 'decision.majority'],
    [['eliminated', 'eliminated_by', 'tied'], 'decision.elimination'],
    [['kind'], 'round.options'],
    [[], 'tally.counts'],
  ],
  CandidateEliminated: [[[], 'decision.elimination']],
  LotsDrawn: [[[], 'decision.lots']],
  CandidateElected: [[[], 'decision.elected']],
  ConfirmationFailed: [[[], 'decision.confirmation']],
  RoundVoided: [[[], 'round.min_tally']],
  ElectionKeyPublished: [[[], 'ceremony.key']],
  CredentialsAccepted: [[[], 'roll.credentials']],
  DelegationEnrolled: [[[], 'roll.enrollment']],
  TellersAppointed: [[[], 'ceremony.appointment']],
  KeyCeremonyCommitted: [[[], 'ceremony.message']],
  KeyCeremonySharesDealt: [[[], 'ceremony.message']],
  KeyCeremonyComplaintFiled: [[[], 'ceremony.message']],
  KeyCeremonyComplaintAnswered: [[[], 'ceremony.message']],
  RoundOpened: [
    [['roll'], 'roll.eligibility'],
    [['present', 'quorum_base'], 'round.quorum'],
    [['kind', 'options', 'candidate'], 'round.options'],
    [['election_key'], 'round.election_key'],
    [['lots_commitment'], 'round.lots_seed'],
    [[], 'round.opened'],
  ],
};

/** The SHA-256 commitment to a lots seed published at the opening (rules.py's). */
export function lotsCommitment(sessionId, roundNumber, seed) {
  return sha256(frame(domainTag('lots/commit'), utf8(sessionId), u32be(roundNumber), seed));
}

/** The checks a recorded decision that differs from the rules' fails, most specific first. */
export function differsChecks(eventType, fields) {
  const left = new Set(fields);
  const names = [];
  for (const [selector, name] of BY_FIELD[eventType] || [[[], 'rules.refused']]) {
    if ((!selector.length || selector.some((f) => left.has(f))) && !names.includes(name)) {
      names.push(name);
      for (const f of selector) left.delete(f);
      if (!left.size) break;
    }
  }
  return names;
}

/** A list of event types as Python prints it, for messages identical to ballot audit's. */
export function pyList(types) {
  return `[${types.map((t) => `'${t}'`).join(', ')}]`;
}
