// What a round opening must be, re-derived in the browser: the roll of member states and the
// candidates standing as the log left them, then the twin of ballot/domain/round_plan.py's
// `next_round_plan` and ballot/domain/decide/casting.py's opening — its kind, options, the
// electoral roll, the quorum figures, or the refusal the rules would give — with the check
// names of ballot/audit/checks.py.

const YES = 'yes';
const NO = 'no';
const BLANK = 'blank';

const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** The member states and candidates, followed through the log's events (evolve.py's fold). */
export class Field {
  constructor() {
    this.members = new Map(); // id -> { observer, credentials, present, arrears, restored, suspended }
    this.candidates = new Map(); // id -> 'standing' | 'withdrawn' | 'eliminated' | 'elected'
    this.pendingTiebreak = [];
    this.nominationsOpen = true; // until the first round opens; again after a failed confirmation
    this.tellers = new Map(); // id -> { expires, used, key }
    this.witnesses = new Map(); // id -> { name, key }
  }

  /** Every member, candidate, teller and witness id (they share one namespace). */
  idsInUse() {
    return new Set([...this.members.keys(), ...this.candidates.keys(), ...this.tellers.keys(), ...this.witnesses.keys()]);
  }

  /** Fold one event of the roll or the candidates (anything else is ignored). */
  apply(type, p) {
    const m = this.members.get(p.member_id);
    switch (type) {
      case 'MemberStateRegistered':
        this.members.set(p.member_id, { observer: !!p.observer, credentials: false, present: false, arrears: false, restored: false, suspended: false, expires: null, used: false, key: null });
        break;
      case 'CredentialsAccepted':
        // A new code: whatever key was enrolled before is revoked.
        if (m) Object.assign(m, { credentials: true, expires: p.expires_at, used: false, key: null });
        break;
      case 'DelegationEnrolled': {
        const holder = p.role === 'teller' ? this.tellers.get(p.delegation_id) : this.members.get(p.delegation_id);
        if (holder) Object.assign(holder, { used: true, key: p.public_key });
        break;
      }
      case 'TellersAppointed':
        for (const t of p.tellers || []) this.tellers.set(t.teller_id, { expires: t.expires_at, used: false, key: null });
        break;
      case 'WitnessAdmitted':
        this.witnesses.set(p.witness_id, { name: p.name, key: p.public_key });
        break;
      case 'RoundOpened':
        this.nominationsOpen = false;
        break;
      case 'ConfirmationFailed':
        this.nominationsOpen = true;
        break;
      case 'PresenceRecorded':
        if (m) m.present = !!p.present;
        break;
      case 'VotingRightsChanged':
        if (m) Object.assign(m, { arrears: !!p.arrears, restored: !!p.restored, suspended: !!p.suspended });
        break;
      case 'CandidateNominated':
        this.candidates.set(p.candidate_id, 'standing');
        break;
      case 'CandidateWithdrawn':
        if (this.candidates.has(p.candidate_id)) this.candidates.set(p.candidate_id, 'withdrawn');
        // A withdrawal from a tie for fewest does what the tie-break ballot was for.
        if (this.pendingTiebreak.includes(p.candidate_id)) this.pendingTiebreak = [];
        if (!this.standing().length) this.nominationsOpen = true; // nobody left: nominate anew
        break;
      case 'CandidateEliminated':
        if (this.candidates.has(p.candidate_id)) this.candidates.set(p.candidate_id, 'eliminated');
        break;
      case 'CandidateElected':
        if (this.candidates.has(p.candidate_id)) this.candidates.set(p.candidate_id, 'elected');
        break;
      default:
    }
  }

  /** After a tally (evolve.py): a tie for fewest awaits its tie-break ballot, or is settled. */
  tallied(kind, outcome) {
    if (outcome.decision === 'tiebreak_required') this.pendingTiebreak = [...outcome.tied];
    else if (kind === 'tiebreak') this.pendingTiebreak = [];
  }

  standing() {
    return [...this.candidates].filter(([, s]) => s === 'standing').map(([id]) => id).sort(byCodePoint);
  }

  /** The sorted ids eligible now: credentials accepted, present, with voting rights. */
  electoralRoll() {
    return [...this.members].filter(([, m]) => m.credentials && m.present && hasVotingRights(m)).map(([id]) => id).sort(byCodePoint);
  }

  /** [present, base] of the quorum rule (observers never count). */
  quorumFigures(base) {
    const counted = [...this.members.values()].filter((m) => (base === 'members' ? !m.observer : hasVotingRights(m)));
    return [counted.filter((m) => m.present).length, counted.length];
  }
}

function hasVotingRights(m) {
  return !m.observer && !(m.arrears && !m.restored) && !m.suspended;
}

/**
 * The RoundOpened the rules write for the recorded one `p`, or the refusal they give:
 * { refusal: [check, message] } or { payload }. `context`: { phase, electionKey, rounds,
 * settings, series, inconclusiveBefore, inProgress }.
 */
export function expectedOpening(field, p, context) {
  const { phase, electionKey, rounds, settings, inProgress, inconclusiveBefore } = context;
  const refuse = (check, message) => ({ refusal: [check, message] });
  if (phase === 'new') return refuse('session.sequence', 'convene the session first');
  if (phase === 'elected' || phase === 'adjourned') return refuse('session.concluded', `the session is ${phase}`);
  if (!electionKey) return refuse('round.sequence', 'the key ceremony has not published a key');
  if (inProgress) return refuse('round.sequence', `round ${inProgress.number} is ${inProgress.status}; the next round must wait`);
  const number = rounds + 1;
  if (p.round_number !== number) return refuse('round.sequence', `the next round is ${number}, not ${p.round_number}`);
  const standing = field.standing();
  let kind;
  let pool;
  let candidate = null;
  if (field.pendingTiebreak.length) [kind, pool] = ['tiebreak', field.pendingTiebreak];
  else if (!standing.length) return refuse('round.sequence', 'no candidate is standing; nominate candidates first');
  else if (standing.length === 1) {
    if ((settings.sole_candidate ?? 'acclamation') === 'acclamation') return refuse('round.sequence', `${standing[0]} is the only candidate standing: record election by acclamation`);
    [kind, pool, candidate] = ['confirmation', standing, standing[0]];
  } else [kind, pool] = ['election', standing];
  const base = settings.quorum_base ?? 'members';
  const [present, counted] = field.quorumFigures(base);
  if (!(2 * present > counted)) return refuse('round.quorum', `${present} present of ${counted} (${base})`);
  const eliminateAfter = settings.eliminate_after ?? 3;
  const needsLots = kind === 'election' && settings.tie_break === 'lots' && eliminateAfter > 0 && inconclusiveBefore + 1 >= eliminateAfter;
  if (needsLots && (p.lots_commitment === null || p.lots_commitment === undefined)) return refuse('round.lots_seed', `round ${number} may end in a drawing of lots: commit to a seed`);
  const options = kind === 'confirmation' ? [YES, NO, BLANK] : [...[...pool].sort(byCodePoint), BLANK];
  return {
    payload: {
      round_number: number, kind, options, candidate, roll: field.electoralRoll(), present, quorum_base: counted,
      election_key: electionKey, lots_commitment: p.lots_commitment ?? null, opened_at: p.opened_at,
    },
  };
}
