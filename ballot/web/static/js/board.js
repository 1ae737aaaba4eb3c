// The public results board (/): pick a session; every round's figures and bar chart with the
// two-thirds line; the open round's turnout live; the outcome; receipts, verified in the browser;
// audit downloads.

import { api, path } from './api.js';
import { roundChart } from './chart.js';
import { b64d } from './crypto/encoding.js';
import { CryptoError } from './crypto/group.js';
import { BallotContext, ballotFromJSON, checkReveal } from './crypto/ballot.js';
import { checkReceiptAgainstRecord, verifyBallotSet, verifyEventRecord, verifyReceipt, verifySignedReceipt } from './crypto/receipt.js';
import { byId, debounce, focus, h, param, replace } from './dom.js';
import { formatDate, formatNumber, problemText, t } from './i18n.js';
import { SessionPage, latest, reload } from './page.js';
import { announce, candidateMap, errorBox, optionLabel, showError } from './ui.js';

const NARROW = window.matchMedia('(max-width: 40rem)');
const state = { sessionId: null, view: null, board: null, turnout: null, deposits: new Map(), openDeposits: new Set() };

function figure(label, value, key) {
  return h('div', { dataset: { figure: key } }, h('dt', { text: label }), h('dd', { text: value === null || value === undefined ? '—' : formatNumber(value) }));
}

function decisionText(r, names) {
  if (r.status === 'voided') return t('decision.voided', { reason: t(`void.${r.void_reason || 'declared'}`) });
  if (!r.decision) return t(`status.${r.status}`);
  const params = {
    elected: r.elected ? names(r.elected) : '',
    eliminated: r.eliminated ? names(r.eliminated) : '',
    tied: (r.tied || []).map(names).join(', '),
    by: r.eliminated_by ? t(`eliminated_by.${r.eliminated_by}`) : '',
  };
  return t(`decision.${r.decision}`, params);
}

// Who deposited a ballot in a round — never what it says: the public roll-call of the urn that
// SPEC §3 publishes per round. Fetched, with the roll's names, when a reader opens the list; the
// list of a round that is no longer open never changes, so it is kept (the open round's is
// fetched again).
async function depositList(r) {
  const kept = state.deposits.get(r.round_number);
  if (kept) return kept;
  const [reply, roll] = await Promise.all([
    api(path`/api/v1/sessions/${state.sessionId}/rounds/${r.round_number}/turnout`),
    api(path`/api/v1/sessions/${state.sessionId}/roll`),
  ]);
  const names = new Map(roll.members.map((m) => [m.member_id, m.name]));
  const list = reply.turnout.deposited_by.map((id) => ({ id, name: names.get(id) || id }));
  if (reply.turnout.status !== 'open') state.deposits.set(r.round_number, list);
  return list;
}

function depositedBy(r) {
  const list = h('ol', { class: 'deposited-by' });
  const details = h(
    'details',
    {
      class: 'deposits',
      // Re-rendering (every live event) keeps a list the reader opened open.
      open: state.openDeposits.has(r.round_number),
      ontoggle: async () => {
        if (!details.open) {
          state.openDeposits.delete(r.round_number);
          return;
        }
        state.openDeposits.add(r.round_number);
        try {
          const entries = await depositList(r);
          replace(
            list,
            entries.length
              ? entries.map((e) => h('li', { dataset: { member: e.id }, text: e.name === e.id ? e.id : `${e.name} (${e.id})` }))
              : h('li', { text: t('board.deposited_none') }),
          );
          details.dataset.loaded = 'yes';
        } catch (error) {
          showError(byId('errors'), error);
        }
      },
    },
    h('summary', { text: t('board.deposited_by', { n: formatNumber(r.deposited ?? 0) }) }),
    list,
  );
  return details;
}

function renderRound(r, names) {
  const heading = t('board.round_heading', { n: r.round_number, kind: t(`kind.${r.kind}`) });
  const section = h(
    'section',
    { class: 'round', id: `round-${r.round_number}`, 'aria-label': heading, dataset: { status: r.status } },
    h('h3', { text: heading }),
    h('p', { class: 'round-meta' }, `${t(`status.${r.status}`)} · ${t('board.opened_at', { at: formatDate(r.opened_at) })}`, r.closed_at ? ` · ${t('board.closed_at', { at: formatDate(r.closed_at) })}` : ''),
  );
  if (r.status === 'tallied' && r.votes) {
    section.append(roundChart(r, names, { compact: NARROW.matches }));
  }
  section.append(
    h(
      'dl',
      { class: 'figures' },
      figure(t('figures.eligible'), r.eligible, 'eligible'),
      figure(t('figures.present'), r.present, 'present'),
      figure(t('figures.deposited'), r.deposited, 'deposited'),
      figure(t('figures.blank'), r.blank, 'blank'),
      figure(t('figures.valid'), r.valid, 'valid'),
      figure(t('figures.required'), r.required, 'required'),
    ),
    h('p', { class: 'decision', dataset: { decision: r.decision || r.status } }, h('strong', { text: `${t('figures.decision')}: ` }), decisionText(r, names)),
    depositedBy(r),
  );
  if (r.status === 'tallied' && r.votes) {
    // The exact figures as a table too (screen readers, print, copy-paste).
    const rows = Object.entries(r.votes).map(([o, v]) => h('tr', {}, h('th', { scope: 'row', text: names(o) }), h('td', { class: 'num', text: formatNumber(v) })));
    if (r.blank !== null) rows.push(h('tr', {}, h('th', { scope: 'row', text: t('option.blank') }), h('td', { class: 'num', text: formatNumber(r.blank) })));
    section.append(
      h(
        'details',
        {},
        h('summary', { text: t('board.table_summary') }),
        h(
          'div',
          { class: 'table-wrap' },
          h('table', {}, h('caption', { text: t('chart.title', { n: r.round_number }) }), h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('board.option') }), h('th', { scope: 'col', class: 'num', text: t('board.votes') }))), h('tbody', {}, rows)),
        ),
      ),
    );
  }
  return section;
}

function renderCurrent() {
  const el = byId('current');
  const open = (state.board?.rounds || []).find((r) => r.status === 'open');
  if (!open) {
    replace(el);
    return;
  }
  const deposited = state.turnout && state.turnout.round === open.round_number ? state.turnout.deposited : open.deposited;
  replace(
    el,
    h(
      'div',
      { class: 'panel', id: 'open-round' },
      h('h2', { text: t('board.open_heading', { n: open.round_number }) }),
      h('label', { for: 'turnout-bar', text: t('board.turnout', { deposited, eligible: open.eligible }) }),
      h('progress', { id: 'turnout-bar', max: Math.max(1, open.eligible), value: deposited }),
    ),
  );
}

function render() {
  if (!state.view || !state.board) return;
  const view = state.view.session;
  const candidates = candidateMap(view);
  const names = (o) => optionLabel(o, candidates);
  byId('session-view').hidden = false;
  byId('session-title').textContent = view.title;
  byId('session-meta').textContent = `${t(`phase.${view.phase}`)} · ${t('board.members', { members: view.members, present: view.present })} · ${t('board.majority', { num: view.settings.majority_numerator, den: view.settings.majority_denominator })}`;
  const outcome = state.board.outcome;
  replace(
    byId('outcome'),
    outcome &&
      h(
        'div',
        { class: 'outcome', role: 'region', 'aria-label': t('board.outcome_label') },
        h('p', {}, h('strong', { text: t('board.elected', { name: outcome.name }) })),
        h('p', { text: outcome.by === 'acclamation' ? t('by.acclamation') : t('board.elected_detail', { round: outcome.round_number ?? '', votes: outcome.votes ?? 0, valid: outcome.valid ?? 0, required: outcome.required ?? 0, by: t(`by.${outcome.by}`) }) }),
      ),
  );
  renderCurrent();
  const rounds = [...state.board.rounds].reverse();
  replace(
    byId('rounds'),
    h('h2', { text: t('board.rounds_heading') }),
    rounds.length ? rounds.map((r) => renderRound(r, names)) : h('p', { text: t('board.no_rounds') }),
  );
  byId('download-events').href = path`/api/v1/sessions/${state.sessionId}/events`;
  byId('download-events').setAttribute('download', `${state.sessionId}-events.jsonl`);
  byId('download-checkpoints').href = path`/api/v1/sessions/${state.sessionId}/checkpoints`;
  byId('download-checkpoints').setAttribute('download', `${state.sessionId}-checkpoints.json`);
  // The full audit runs on /verify; the key goes in the fragment only when this page was given it
  // as the published one, so the server never sees it and never supplies it.
  const key = publishedKey();
  byId('verify-link').href = `${path`/verify?session=${state.sessionId}`}#run${key ? `&key=${encodeURIComponent(key)}` : ''}`;
  renderWitnesses();
}

// Who, besides the server, vouched for each checkpoint: witnesses and tellers that checked it
// extends every earlier one they saw (docs/audit.md, "Witnessed checkpoints").
function renderWitnesses() {
  const list = state.checkpoints || [];
  const required = state.view?.session?.settings?.witnesses_required || 0;
  replace(
    byId('checkpoint-list'),
    list.map((c) =>
      h('li', { dataset: { position: String(c.position), witnessed: c.cosigned_by.length >= Math.max(required, 1) ? 'yes' : 'no' } },
        c.cosigned_by.length
          ? t('audit.cosigned', { position: c.position, witnesses: c.cosigned_by.join(', ') })
          : t('audit.not_cosigned', { position: c.position })),
    ),
  );
}

async function refresh() {
  if (!state.sessionId) return;
  await reload(async () => {
    const [view, board, checkpoints] = await Promise.all([
      api(path`/api/v1/sessions/${state.sessionId}`),
      api(path`/api/v1/sessions/${state.sessionId}/board`),
      api(path`/api/v1/sessions/${state.sessionId}/checkpoints`),
    ]);
    state.view = view;
    state.board = board;
    state.checkpoints = checkpoints.checkpoints;
  }, render);
}
const refreshSoon = debounce(refresh, 250);

function onMessage(message) {
  if (message.kind === 'turnout') {
    state.turnout = message;
    const open = (state.board?.rounds || []).find((r) => r.round_number === message.round);
    if (open) open.deposited = message.deposited;
    renderCurrent();
    return;
  }
  if (message.kind === 'result') announce(t('board.announce_result', { n: message.round_number }));
  if (message.kind === 'round_opened') announce(t('board.announce_opened', { n: message.round }));
  if (message.kind === 'elected') announce(t('board.announce_elected'));
  refreshSoon();
}

const page = new SessionPage(state, {
  reset: () => ({ view: null, board: null, turnout: null, checkpoints: [], deposits: new Map(), openDeposits: new Set() }),
  hide: ['session-view'],
  clear: ['receipt-result'],
  async enter(sessionId) {
    try {
      state.view = await api(path`/api/v1/sessions/${sessionId}`);
    } catch (error) {
      showError(byId('errors'), error);
      return false;
    }
    await refresh();
    return true;
  },
  onMessage,
});

// The checkpoint key the secretariat published, if this page's link carries it (#key=…, never sent
// to the server) for the session it names (?session=…): then that key, not the one the server
// names, is what checkpoints must be signed with — a server that signs with a key of its own is
// caught. Read once, when the page loads: another session picked here has no published key.
const LINKED = (() => {
  const key = new URLSearchParams(location.hash.slice(1)).get('key');
  return { sessionId: param('session'), key: key ? key.trim().replace(/=+$/, '') : null };
})();

function publishedKey() {
  return LINKED.key && state.sessionId === LINKED.sessionId ? LINKED.key : null;
}

// The page checks the look-up itself rather than trusting the server's word: the BallotCast record
// must hash to its event, hold this code and a ballot that hashes to it under the round's context,
// and be included in a checkpoint signed by the session's key (crypto/receipt.js).
async function verifyInBrowser(reply, code) {
  try {
    const round = await api(path`/api/v1/sessions/${state.sessionId}/rounds/${reply.round_number}`);
    const sessionKey = state.view?.checkpoint_key || null;
    const published = publishedKey();
    if (published && sessionKey !== published) {
      throw new CryptoError('checkpoint_key_unpublished', 'the server names another checkpoint key than the published one');
    }
    if (published && !reply.checkpoint && round.status === 'tallied') {
      // Checkpoints are signed at the close and at the tally: a tallied round's ballots are
      // covered, and a reply without its checkpoint escapes the published key.
      throw new CryptoError('checkpoint_missing', 'no signed checkpoint is given for a ballot of a tallied round');
    }
    if (sessionKey && reply.checkpoint_key !== sessionKey) {
      throw new CryptoError('checkpoint_signature_invalid', 'the reply names another checkpoint key than the session');
    }
    const checkpointKey = sessionKey ? b64d(sessionKey, 32, 'checkpoint key') : null;
    const result = verifyReceipt(reply, code, {
      round: { sessionId: state.sessionId, options: round.options, electionKey: b64d(round.election_key, 32, 'election key') },
      checkpointKey,
    });
    return { status: result.covered ? 'yes' : 'partial', counted: reply.ballot_set ? countedVerdict(reply, result, checkpointKey) : null };
  } catch (error) {
    return { status: 'no', error, counted: reply.ballot_set ? { status: 'no', error } : null };
  }
}

// "Counted" is checked too once the round is closed: the reply's ballot_set proves the ballot is
// in the set its RoundClosed event commits to (ballots_root), in a checkpoint signed by the key.
function countedVerdict(reply, verified, checkpointKey) {
  try {
    verifyBallotSet(reply, verified, { checkpointKey });
    return { status: 'yes' };
  } catch (error) {
    return { status: 'no', error };
  }
}

function countedLine(verdict, proof) {
  const claim = proof.counted === null ? t('receipt.counted_pending') : proof.counted ? t('receipt.counted_yes') : t('receipt.counted_no');
  const counted = verdict.counted;
  if (!counted) return h('li', { id: 'receipt-counted', text: claim });
  if (counted.status === 'yes') {
    const set = proof.ballot_set;
    const text = t('receipt.counted_verified', { n: proof.round_number, index: set.leaf_index + 1, position: set.checkpoint.position });
    return h('li', { id: 'receipt-counted', dataset: { verified: 'yes' } }, h('strong', { text }));
  }
  const reason = problemText(counted.error);
  return h('li', { id: 'receipt-counted', dataset: { verified: 'no', code: counted.error?.code || '' } }, h('strong', { text: t('receipt.counted_not_verified', { reason }) }));
}

function verificationLine(verdict, reply) {
  if (verdict.status === 'no') {
    const box = errorBox(verdict.error, { prefix: t('receipt.not_verified') });
    box.id = 'receipt-verification';
    box.dataset.verified = 'no';
    return box;
  }
  const text = verdict.status === 'yes' ? t('receipt.verified', { position: reply.checkpoint.position }) : t('receipt.verified_partly');
  return h('p', { id: 'receipt-verification', dataset: { verified: verdict.status } }, h('strong', { text }));
}

// A signed receipt file the delegation kept: the server signed it with the session's key (the
// published one, if the link carries it) when it recorded the ballot, so the record must still
// hold that ballot at that position with that chain hash.
async function signedReceiptFile() {
  const input = byId('receipt-file');
  const chosen = input.files && input.files[0];
  if (!chosen) return null;
  try {
    return JSON.parse(await chosen.text());
  } catch {
    throw new CryptoError('invalid_encoding', 'the receipt file is not JSON');
  }
}

function signedLine(file, proof) {
  if (!file) return null;
  try {
    const key = publishedKey() || state.view?.checkpoint_key || '';
    const receipt = verifySignedReceipt(file, b64d(key, 32, 'checkpoint key'));
    checkReceiptAgainstRecord(receipt, proof);
    return h('p', { id: 'receipt-signed', dataset: { verified: 'yes' } }, h('strong', { text: t('receipt.signed_checked', { position: receipt.position }) }));
  } catch (error) {
    const box = errorBox(error, { prefix: t('receipt.not_verified') });
    box.id = 'receipt-signed';
    box.dataset.verified = 'no';
    box.dataset.code = error.code || '';
    return box;
  }
}

async function checkReceipt(event) {
  event.preventDefault();
  const out = byId('receipt-result');
  let file = null;
  try {
    file = await signedReceiptFile();
  } catch (error) {
    replace(out, errorBox(error));
    return;
  }
  const typed = byId('receipt-code').value.trim().toUpperCase();
  const code = typed || (file && typeof file.tracking_code === 'string' ? file.tracking_code : '');
  if (!code || !state.sessionId) return;
  try {
    const proof = await api(path`/api/v1/sessions/${state.sessionId}/receipts/${code}`);
    const verdict = await verifyInBrowser(proof, code);
    const signed = signedLine(file, proof);
    replace(
      out,
      h(
        'div',
        { class: verdict.status === 'no' ? 'warning' : 'success', role: 'status', id: 'receipt-found' },
        h('p', {}, h('strong', { text: t('receipt.found', { code: proof.tracking_code }) })),
        h('ul', {},
          h('li', { text: t('receipt.round', { n: proof.round_number }) }),
          h('li', { text: t('receipt.delegation', { id: proof.delegation_id }) }),
          h('li', { text: t('receipt.position', { position: proof.position }) }),
          countedLine(verdict, proof),
          h('li', { text: proof.checkpoint ? t('receipt.checkpoint', { position: proof.checkpoint.position, hashes: proof.inclusion_proof.length }) : t('receipt.no_checkpoint') }),
          proof.checkpoint_key
            ? h('li', { id: 'receipt-key' }, t(publishedKey() === proof.checkpoint_key ? 'receipt.key_published' : 'receipt.key'), ' ', h('code', { text: proof.checkpoint_key }))
            : null,
        ),
        verificationLine(verdict, proof),
        signed,
      ),
    );
  } catch (error) {
    if (error.code === 'not_found' && file) {
      // The server no longer knows a ballot it signed a receipt for: the record was cut.
      const line = signedLine(file, { record: null });
      if (line.dataset.code === 'receipt_contradicted') {
        replace(out, line);
        return;
      }
    }
    replace(out, errorBox(error.code === 'not_found' ? Object.assign(error, { code: 'receipt_not_found' }) : error));
  }
}

// A spoiled (challenged) ballot, checked here rather than taken on the server's word: its record
// re-hashes to its event, and its ciphertexts are exactly the encryption of the revealed choice
// with the revealed nonces under the round's election key (crypto/ballot.js checkReveal).
async function checkChallenge(code) {
  const out = byId('receipt-result');
  try {
    const found = await api(path`/api/v1/sessions/${state.sessionId}/challenges/${code}`);
    let verdict;
    try {
      const { record } = verifyEventRecord(found.record);
      const p = record.payload;
      if (record.event_type !== 'BallotChallenged' || p.tracking_code !== found.tracking_code) throw new CryptoError('challenge_mismatch', 'the record is not this challenged ballot');
      const round = await api(path`/api/v1/sessions/${state.sessionId}/rounds/${p.round_number}`);
      const ctx = new BallotContext({ sessionId: state.sessionId, roundNumber: p.round_number, electionKey: b64d(round.election_key, 32, 'election key'), delegationId: p.delegation_id, options: round.options });
      const choice = checkReveal(ctx, ballotFromJSON(p.ballot), p.reveal);
      if (round.options[choice] !== p.option) throw new CryptoError('challenge_mismatch', 'the recorded option is not the revealed one');
      verdict = h('p', { id: 'challenge-verified', dataset: { verified: 'yes' } }, h('strong', { text: t('challenge.verified', { option: optionLabel(p.option, candidateMap(state.view.session)) }) }));
    } catch (error) {
      verdict = errorBox(error, { prefix: t('challenge.not_verified') });
      verdict.id = 'challenge-verified';
      verdict.dataset.verified = 'no';
    }
    replace(out, h('div', { class: 'panel', id: 'challenge-found' }, h('p', {}, h('strong', { text: t('challenge.found', { code: found.tracking_code, n: found.round_number }) })), verdict));
  } catch (error) {
    replace(out, errorBox(error));
  }
}

async function main() {
  await page.init({ onLanguage: render });
  byId('receipt-form').addEventListener('submit', checkReceipt);
  NARROW.addEventListener('change', () => render());
  await page.open(latest);
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('challenge')) {
    await checkChallenge(hash.get('challenge'));
    focus(byId('receipt-heading'));
  } else if (hash.get('receipt')) {
    byId('receipt-code').value = hash.get('receipt');
    byId('receipt-form').requestSubmit();
    focus(byId('receipt-heading'));
  }
}

main();
