// The session's recorded acts judged as the rules judge them (ballot/domain/decide/roll.py,
// closing.py, witnesses.py and guards.py): convening, the roll of member states, credentials,
// enrollment, presence, voting rights, nominations, withdrawals, acclamation, the tellers'
// appointment, witnesses and adjournment. `actVerdict` says whether the rules refuse the act
// (and with which check of ballot/audit/checks.py), would record nothing for it (an exact
// re-send: `decision.unexpected` in the log), or would record it with other fields.

/** `at` (the log's timestamp form, microseconds) plus `seconds`, in the same form. */
export function addSeconds(at, seconds) {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z$/.exec(at);
  if (!match) return null;
  const moved = new Date(Date.parse(`${match[1]}Z`) + seconds * 1000).toISOString();
  return `${moved.slice(0, 19)}.${match[2]}Z`;
}

/**
 * What the rules make of the act `type` with payload `p`: null (recorded as it is),
 * { refusal: [check, message] }, { noop: true } or { expected: payload } (the fields the
 * rules would record, to compare). `ctx`: { phase,
 * inProgress, settings, field } (audit/rounds.js's Field).
 */
export function actVerdict(type, p, ctx) {
  const { phase, inProgress, settings, field } = ctx;
  const refuse = (check, message) => ({ refusal: [check, message] });
  const active = () => {
    if (phase === 'new') return refuse('session.sequence', 'convene the session first');
    if (phase === 'elected') return refuse('session.concluded', 'a candidate has been elected; nothing more can happen in this session');
    if (phase === 'adjourned') return refuse('session.concluded', 'the session is adjourned');
    return null;
  };
  const lifetime = settings.enrollment_code_lifetime_seconds ?? 86400;
  const member = field.members.get(p.member_id ?? p.delegation_id);
  switch (type) {
    case 'SessionConvened':
      return phase === 'new' ? null : refuse('session.settings', 'the session is convened');
    case 'MemberStateRegistered':
      return active() || (field.idsInUse().has(p.member_id) ? refuse('roll.member', `${p.member_id} is already used in this session`) : null);
    case 'CandidateNominated':
      return active()
        || (inProgress ? refuse('candidates.nomination', `round ${inProgress.number} is ${inProgress.status}; a nomination must wait`) : null)
        || (!field.nominationsOpen ? refuse('candidates.nomination', 'nominations closed when the first round opened') : null)
        || (field.idsInUse().has(p.candidate_id) ? refuse('candidates.nomination', `${p.candidate_id} is already used in this session`) : null)
        || (p.nominated_by != null && !field.members.has(p.nominated_by) ? refuse('candidates.nomination', `no member state ${p.nominated_by}`) : null);
    case 'CredentialsAccepted': {
      const refused = active() || (!member ? refuse('roll.member', `no member state ${p.member_id}`) : null);
      if (refused) return refused;
      return { expected: { ...p, expires_at: addSeconds(p.accepted_at, lifetime) } };
    }
    case 'DelegationEnrolled': {
      const refused = active();
      if (refused) return refused;
      const teller = field.tellers.get(p.delegation_id);
      const holder = member || teller;
      if (!holder) return refuse('roll.enrollment', `no delegation or teller ${p.delegation_id}`);
      if (member && !member.credentials) return refuse('roll.enrollment', `no code issued to ${p.delegation_id}`);
      if (holder.used) return holder.key === p.public_key ? { noop: true } : refuse('roll.enrollment', 'this enrollment code has already been redeemed');
      if (!holder.expires || p.enrolled_at > holder.expires) return refuse('roll.enrollment', 'the enrollment code has expired');
      return { expected: { ...p, role: member ? 'member' : 'teller' } };
    }
    case 'PresenceRecorded':
      return active() || (!member ? refuse('roll.member', `no member state ${p.member_id}`) : null) || (member.present === !!p.present ? { noop: true } : null);
    case 'VotingRightsChanged':
      return active()
        || (!member ? refuse('roll.member', `no member state ${p.member_id}`) : null)
        || (member.observer ? refuse('roll.voting_rights', `${p.member_id} is an observer`) : null)
        || (p.restored && !p.arrears ? refuse('roll.voting_rights', 'only a vote lost for arrears can be restored') : null)
        || (member.arrears === !!p.arrears && member.restored === !!p.restored && member.suspended === !!p.suspended ? { noop: true } : null);
    case 'CandidateWithdrawn': {
      const status = field.candidates.get(p.candidate_id);
      return active()
        || (inProgress ? refuse('candidates.withdrawal', `round ${inProgress.number} is ${inProgress.status}; a withdrawal must wait`) : null)
        || (status === undefined ? refuse('candidates.withdrawal', `no candidate ${p.candidate_id}`) : null)
        || (status !== 'standing' ? refuse('candidates.withdrawal', `${p.candidate_id} is ${status}`) : null);
    }
    case 'CandidateElected': {
      if (p.by !== 'acclamation') return null; // a decision: audit/decisions.js
      const status = field.candidates.get(p.candidate_id);
      const standing = field.standing();
      return active()
        || (inProgress ? refuse('decision.elected', `round ${inProgress.number} is ${inProgress.status}; an acclamation must wait`) : null)
        || ((settings.sole_candidate ?? 'acclamation') !== 'acclamation' ? refuse('decision.elected', 'a sole candidate faces a confirmation ballot') : null)
        || (status === undefined ? refuse('decision.elected', `no candidate ${p.candidate_id}`) : null)
        || (status !== 'standing' ? refuse('decision.elected', `${p.candidate_id} is ${status}`) : null)
        || (standing.length !== 1 || standing[0] !== p.candidate_id || field.pendingTiebreak.length ? refuse('decision.elected', `${standing.length} candidates are standing`) : null);
    }
    case 'SessionAdjourned':
      return active() || (inProgress ? refuse('round.sequence', `round ${inProgress.number} is ${inProgress.status}; adjournment must wait`) : null);
    case 'TellersAppointed': {
      const refused = active()
        || (field.tellers.size ? refuse('ceremony.appointment', 'the tellers are already appointed') : null)
        || ((p.tellers || []).length !== (settings.tellers ?? 3) ? refuse('ceremony.appointment', `the session has ${settings.tellers ?? 3} tellers`) : null)
        || (new Set(p.tellers.map((t) => t.teller_id)).size !== p.tellers.length ? refuse('ceremony.appointment', 'teller ids must be distinct') : null)
        || (p.tellers.some((t) => field.idsInUse().has(t.teller_id)) ? refuse('ceremony.appointment', 'a teller id is already used in this session') : null);
      if (refused) return refused;
      const expires = addSeconds(p.appointed_at, lifetime);
      const tellers = p.tellers.map((t, i) => ({ ...t, index: i + 1, expires_at: expires }));
      return { expected: { ...p, tellers, threshold: settings.threshold ?? 2 } };
    }
    case 'WitnessAdmitted': {
      if (phase === 'new') return refuse('session.sequence', 'convene the session first');
      if (phase === 'adjourned') return refuse('session.concluded', 'the session is adjourned');
      const known = field.witnesses.get(p.witness_id);
      if (known && known.name === p.name && known.key === p.public_key) return { noop: true };
      return field.idsInUse().has(p.witness_id) ? refuse('roll.member', `${p.witness_id} is already in use`) : null;
    }
    default:
      return null;
  }
}
