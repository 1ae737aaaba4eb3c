// The delegation page (/delegation): enroll this browser with the one-time code, follow the
// session, and cast one secret ballot per round — encrypted, proved and signed here — then show
// the receipt (tracking code) and check it on the bulletin board.
//
// Secrecy on this page: the choice exists only in the form and in local variables while the
// ballot is made; it is never stored, sent in clear, logged, or shown on the receipt.

import { ApiError, api, path } from './api.js';
import {
  BallotContext,
  b64d,
  b64e,
  ballotToJSON,
  encryptBallotWithNonces,
  revealToJSON,
  signingMessage,
  trackingCode,
  verifyBallotSignature,
  verifySignedReceipt,
} from './crypto/index.js';
import { byId, debounce, download, focus, h, newId, replace } from './dom.js';
import { formatDate, t } from './i18n.js';
import { deleteCredentials, keepReceipt, keptReceipt, loadCredentials, newSigningKey, saveCredentials, sign, storageWorks } from './keystore.js';
import { SessionPage, onlyConvened, reload } from './page.js';
import { qrCode } from './qr.js';
import { announce, busy, candidateMap, confirmDialog, errorBox, optionLabel, showError } from './ui.js';

const ROLE = 'delegation';
const state = {
  sessionId: null,
  cred: null,
  member: null,
  view: null,
  round: null, // the open round's definition
  onRoll: true,
  receipt: null, // the signed receipt (ballot-receipt/1) + {local, signed, contradicted}
  step: 'idle', // choose | review | casting
  choice: null, // index into round.options while choosing/reviewing; cleared after
  error: null, // the last refusal, re-rendered on language change
  receiptCheck: null,
};

// -- enrollment -----------------------------------------------------------------------------
async function enroll(event) {
  event.preventDefault();
  const button = event.submitter;
  await busy(button, byId('enroll-errors'), async () => {
    const code = byId('enroll-code').value.trim();
    if (!(await storageWorks())) throw new ApiError(0, { code: 'storage_unavailable' });
    const key = await newSigningKey();
    const enrolled = await api(path`/api/v1/sessions/${state.sessionId}/enrollment`, {
      method: 'POST',
      // With the role stated, a teller's code is refused before it is used up
      // (problem enrollment_role_mismatch); tellers enroll with `ballot teller`.
      body: { code, public_key: b64e(key.publicKey), role: 'delegation' },
    });
    if (enrolled.role !== 'delegation') {
      throw new ApiError(0, { code: 'teller_code_on_delegation_page' });
    }
    const record = {
      role: ROLE,
      sessionId: state.sessionId,
      subject: enrolled.subject,
      token: enrolled.token,
      key,
      publicKey: b64e(key.publicKey),
      enrolledAt: new Date().toISOString(),
    };
    await saveCredentials(record);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    byId('enroll-code').value = '';
    state.cred = record;
    announce(t('enroll.done', { id: record.subject }));
    await showDelegation(true);
  });
}

async function forget() {
  if (!(await confirmDialog(t('delegation.forget_confirm'), { confirm: t('delegation.forget'), danger: true }))) return;
  await deleteCredentials(ROLE, state.sessionId);
  state.cred = null;
  await page.pick(state.sessionId);
}

// -- the round ------------------------------------------------------------------------------
async function loadRound() {
  const sid = state.sessionId;
  const token = state.cred.token;
  const view = await api(path`/api/v1/sessions/${sid}`);
  state.view = view;
  const s = view.session;
  const previous = state.round ? state.round.round_number : null;
  state.round = null;
  state.receipt = null;
  state.onRoll = true;
  if (s.current_round && s.current_round_status === 'open') {
    const n = s.current_round;
    const [round, turnout] = await Promise.all([api(path`/api/v1/sessions/${sid}/rounds/${n}`), api(path`/api/v1/sessions/${sid}/rounds/${n}/turnout`)]);
    state.round = round;
    const me = state.cred.subject;
    const deposited = turnout.turnout.deposited_by.includes(me);
    state.onRoll = deposited || turnout.turnout.not_yet.includes(me);
    if (deposited) {
      const mine = await api(path`/api/v1/sessions/${sid}/rounds/${n}/ballots/mine`, { token });
      // The receipt kept at the cast is what counts: the server's answer now is compared to it.
      const kept = await keptReceipt(sid, n).catch(() => null);
      state.receipt = kept ? { ...(await holdReceipt(kept)), contradicted: kept.position !== mine.position || kept.head_hash !== mine.head_hash } : { ...(await holdReceipt(mine)), contradicted: false };
    }
    if (previous !== n) {
      state.step = 'choose';
      state.choice = null;
      state.receiptCheck = null;
      if (!deposited) announce(t('ballot.announce_open', { n }));
    }
  } else {
    state.step = 'idle';
    state.choice = null;
  }
}

async function refresh() {
  if (!state.cred) return;
  await reload(loadRound);
  renderRound();
}
const refreshSoon = debounce(refresh, 300);

function ballotForm(round, names) {
  const legendId = newId('legend');
  const items = round.options.map((option, index) => {
    const id = `option-${index}`;
    return h(
      'li',
      { class: option === 'blank' ? 'blank-option' : '' },
      h(
        'label',
        { for: id },
        h('input', {
          type: 'radio',
          id,
          name: 'choice',
          value: index,
          required: true,
          checked: state.choice === index,
          onchange: () => {
            state.choice = index;
          },
        }),
        h('span', { text: names(option) }),
      ),
    );
  });
  const kind = round.kind === 'confirmation' ? t('ballot.confirmation_question', { name: names(round.candidate) }) : t('ballot.instructions');
  const form = h(
    'form',
    { id: 'ballot-form', 'aria-labelledby': legendId },
    h(
      'fieldset',
      {},
      h('legend', { id: legendId, text: t('ballot.legend', { n: round.round_number }) }),
      h('p', { class: 'hint', text: kind }),
      h('ul', { class: 'options' }, items),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('ballot.review') })),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const picked = form.querySelector('input[name="choice"]:checked');
    if (!picked) return;
    state.choice = Number(picked.value);
    try {
      // Encrypted and signed now, before the delegation says whether it casts or checks this
      // ballot: a page cannot know which, so it cannot encrypt honestly only when checked.
      state.prepared = await prepareBallot(round, state.choice);
    } catch (error) {
      state.error = error;
      renderRound();
      return;
    }
    state.challenged = null;
    state.step = 'review';
    renderRound();
    focus(document.getElementById('review-heading'));
  });
  return form;
}

// The ballot of the review step: encrypted for `choice`, signed, its tracking code computed —
// and its nonces, kept only until it is cast (then dropped) or checked (then revealed).
async function prepareBallot(round, choice) {
  const cred = state.cred;
  const ctx = new BallotContext({
    sessionId: state.sessionId,
    roundNumber: round.round_number,
    electionKey: b64d(round.election_key, 32, 'election key'),
    delegationId: cred.subject,
    options: round.options,
  });
  const { ballot, nonces } = encryptBallotWithNonces(ctx, choice);
  const signature = await sign(cred.key, signingMessage(ctx, ballot));
  // A signature the server would refuse is caught here, before anything is sent.
  verifyBallotSignature(ctx, ballot, b64d(cred.publicKey, 32, 'public key'), signature);
  return { roundNumber: round.round_number, choice, ballot, nonces, signature, local: trackingCode(ctx, ballot, signature) };
}

// "Check this encrypted ballot": the page reveals the prepared ballot's choice and nonces; the
// server records it as spoiled (never counted) after checking it opens to that choice, and the
// delegation compares what it held with what it chose — here, or on another device.
async function challengeBallot(round) {
  const prepared = state.prepared;
  state.prepared = null;
  state.error = null;
  try {
    const opened = await api(path`/api/v1/sessions/${state.sessionId}/rounds/${round.round_number}/challenges`, {
      method: 'POST',
      token: state.cred.token,
      body: { ballot: ballotToJSON(prepared.ballot), signature: b64e(prepared.signature), reveal: revealToJSON(prepared.choice, prepared.nonces) },
    });
    state.challenged = { ...opened, chosen: round.options[prepared.choice] };
  } catch (error) {
    state.error = error;
  }
  state.step = 'choose';
  state.choice = null;
  renderRound();
  focus(document.getElementById('challenge-heading') || document.querySelector('#round .error') || document.getElementById('ballot-form'));
}

function challengePanel(names) {
  const c = state.challenged;
  const same = c.option === c.chosen;
  // The second device needs nothing but this link (or its QR code): /verify opens the checked
  // ballot from the public log. The file is for `ballot audit --challenge`.
  const verify = `${location.origin}/verify?session=${encodeURIComponent(state.sessionId)}#challenge=${encodeURIComponent(c.tracking_code)}`;
  const file = { type: 'ballot-challenge/1', session_id: c.session_id, round_number: c.round_number, delegation_id: c.delegation_id, tracking_code: c.tracking_code, chosen: c.chosen };
  const save = h('button', { type: 'button', class: 'secondary', id: 'save-challenge', text: t('challenge.save') });
  save.addEventListener('click', () => download(`checked-ballot-${c.tracking_code}.json`, `${JSON.stringify(file, null, 1)}\n`));
  return h(
    'section',
    { class: 'panel', id: 'challenge', 'aria-labelledby': 'challenge-heading', dataset: { match: same ? 'yes' : 'no' } },
    h('h3', { id: 'challenge-heading', text: t('challenge.heading') }),
    h('p', {}, t('challenge.held'), ' ', h('strong', { id: 'challenge-option', text: names(c.option) })),
    same
      ? h('p', { class: 'success', role: 'status', text: t('challenge.match') })
      : h('p', { class: 'error', role: 'alert', id: 'challenge-mismatch', text: t('challenge.mismatch', { chosen: names(c.chosen) }) }),
    h('p', { class: 'hint', text: t('challenge.spoiled', { code: c.tracking_code }) }),
    h('p', { class: 'hint' }, t('challenge.elsewhere'), ' ', h('a', { href: verify, id: 'challenge-verify-link', text: t('challenge.verify_link') }), '.'),
    qrCode(verify, t('challenge.qr_label')),
    h('div', { class: 'actions' }, save),
    h('p', { class: 'hint' }, t('challenge.cli'), ' ', h('code', { id: 'challenge-cli', text: `ballot audit --server ${location.origin} --session ${state.sessionId} --challenge checked-ballot-${c.tracking_code}.json` })),
    h('pre', { id: 'challenge-file', hidden: true, text: JSON.stringify(file) }),
  );
}

function reviewPanel(round, names) {
  const cast = h('button', { type: 'button', id: 'cast', text: t('ballot.cast') });
  const check = h('button', { type: 'button', class: 'secondary', id: 'check-ballot', text: t('challenge.check') });
  const back = h('button', { type: 'button', class: 'secondary', id: 'change', text: t('ballot.change') });
  check.addEventListener('click', () => challengeBallot(round));
  back.addEventListener('click', () => {
    state.prepared = null;
    state.step = 'choose';
    renderRound();
    const checked = document.querySelector('#ballot-form input:checked');
    focus(checked || document.getElementById('ballot-form'));
  });
  cast.addEventListener('click', () => castBallot(cast));
  return h(
    'div',
    { class: 'panel', id: 'review' },
    h('h3', { id: 'review-heading', text: t('ballot.review_heading') }),
    h('p', {}, t('ballot.review_text'), ' ', h('strong', { id: 'review-choice', text: names(round.options[state.choice]) })),
    state.prepared ? h('p', { class: 'hint', id: 'prepared-code' }, t('challenge.prepared'), ' ', h('span', { class: 'tracking-code', text: state.prepared.local })) : null,
    h('p', { class: 'hint', text: t('ballot.review_final') }),
    h('p', { class: 'hint', id: 'challenge-explain', text: t('challenge.explain') }),
    h('div', { class: 'actions' }, cast, check, back),
  );
}

// The fields of a receipt file (the cast response is exactly one).
const RECEIPT_KEYS = ['type', 'session_id', 'round_number', 'delegation_id', 'tracking_code', 'position', 'head_hash', 'signature'];

function receiptFile(receipt) {
  return Object.fromEntries(RECEIPT_KEYS.map((k) => [k, receipt[k]]));
}

// Check the server's signature on a receipt with the session's checkpoint key, and keep a signed
// one in IndexedDB beside the key (the first kept for a round stays).
async function holdReceipt(receipt, local = null) {
  const file = receiptFile(receipt);
  let signed = false;
  try {
    verifySignedReceipt(file, b64d(state.view?.checkpoint_key || '', 32, 'checkpoint key'));
    signed = true;
  } catch {
    signed = false;
  }
  const kept = signed ? await keepReceipt(file).catch(() => file) : file;
  return { ...kept, local, signed };
}

function receiptDownload(receipt) {
  const text = `${JSON.stringify(receiptFile(receipt), null, 2)}\n`;
  const link = h('a', {
    class: 'button secondary',
    id: 'download-receipt',
    href: URL.createObjectURL(new Blob([text], { type: 'application/json' })),
    download: `receipt-${receipt.session_id}-round-${receipt.round_number}.json`,
    text: t('receipt.download'),
  });
  const file = h('details', { id: 'receipt-file-box' }, h('summary', { text: t('receipt.file_summary') }), h('pre', { id: 'receipt-file', class: 'receipt-file', text }));
  return [link, file];
}

function receiptPanel(receipt) {
  const sid = state.sessionId;
  const code = receipt.tracking_code;
  const boardLink = `/?session=${encodeURIComponent(sid)}#receipt=${encodeURIComponent(code)}`;
  const check = h('button', { type: 'button', class: 'secondary', id: 'check-receipt', text: t('receipt.check_now') });
  const result = h('div', { id: 'receipt-check', 'aria-live': 'polite' });
  const [download, file] = receiptDownload(receipt);
  if (state.receiptCheck) result.append(state.receiptCheck());
  check.addEventListener('click', () =>
    busy(check, result, async () => {
      const proof = await api(path`/api/v1/sessions/${sid}/receipts/${code}`);
      state.receiptCheck = () =>
        h('p', { class: 'success', role: 'status' }, t('receipt.on_board', { n: proof.round_number, position: proof.position }), ' ', proof.counted === null ? t('receipt.counted_pending') : proof.counted ? t('receipt.counted_yes') : t('receipt.counted_no'));
      replace(result, state.receiptCheck());
    }),
  );
  return h(
    'section',
    { class: 'panel', id: 'receipt', 'aria-labelledby': 'receipt-heading' },
    h('h3', { id: 'receipt-heading', text: t('receipt.cast_heading', { n: receipt.round_number }) }),
    h('p', { text: t('receipt.your_code') }),
    h('p', {}, h('span', { class: 'tracking-code', id: 'tracking-code', text: code })),
    h('p', { class: 'hint', text: t('receipt.explain') }),
    h('p', { class: 'hint', text: t('receipt.position', { position: receipt.position }) }),
    receipt.local && receipt.local !== code ? h('p', { class: 'error', role: 'alert', text: t('receipt.mismatch', { local: receipt.local }) }) : null,
    receipt.signed
      ? h('p', { class: 'hint', id: 'receipt-signed', dataset: { verified: 'yes' }, text: t('receipt.signed_kept') })
      : h('p', { class: 'error', role: 'alert', id: 'receipt-signed', dataset: { verified: 'no' }, text: t('receipt.not_signed') }),
    receipt.contradicted ? h('p', { class: 'error', role: 'alert', id: 'receipt-contradicted', text: t('receipt.contradicted') }) : null,
    h('div', { class: 'actions no-print' }, h('a', { class: 'button secondary', href: boardLink, text: t('receipt.open_board') }), check, download),
    file,
    result,
  );
}

function renderRound() {
  const el = byId('round');
  const view = state.view?.session;
  if (!view) return;
  const names = (o) => optionLabel(o, candidateMap(view));
  const parts = [];
  if (state.error) parts.push(errorBox(state.error));
  const round = state.round;
  if (view.outcome) {
    parts.push(h('div', { class: 'outcome' }, h('p', {}, h('strong', { text: t('board.elected', { name: view.outcome.name }) }))));
  }
  if (!round) {
    parts.push(h('div', { class: 'panel', id: 'no-round' }, h('h3', { text: t('ballot.no_round_heading') }), h('p', { text: view.phase === 'convened' ? t('ballot.no_round') : t(`phase.${view.phase}`) })));
  } else if (state.receipt) {
    parts.push(receiptPanel(state.receipt));
  } else if (!state.onRoll) {
    parts.push(h('div', { class: 'warning', id: 'not-on-roll' }, t('ballot.not_on_roll', { n: round.round_number })));
  } else if (state.step === 'review' || state.step === 'casting') {
    parts.push(reviewPanel(round, names));
  } else {
    if (state.challenged) parts.push(challengePanel(names));
    parts.push(ballotForm(round, names));
  }
  replace(el, parts);
  if (state.step === 'casting') {
    for (const b of el.querySelectorAll('#review button')) b.disabled = true;
    el.querySelector('#review').setAttribute('aria-busy', 'true');
    el.querySelector('#review').append(h('p', { role: 'status', id: 'casting-status', text: t('ballot.casting') }));
  }
}

async function castBallot() {
  const round = state.round;
  const cred = state.cred;
  const choice = state.choice;
  state.step = 'casting';
  state.error = null;
  renderRound();
  // Let the browser paint the "encrypting" status before the CPU-bound work.
  await new Promise((resolve) => setTimeout(resolve, 30));
  try {
    const usable = state.prepared && state.prepared.roundNumber === round.round_number && state.prepared.choice === choice;
    const prepared = usable ? state.prepared : await prepareBallot(round, choice);
    state.prepared = null; // its nonces are dropped: a cast ballot is never opened
    const { ballot, signature, local } = prepared;
    const receipt = await api(path`/api/v1/sessions/${state.sessionId}/rounds/${round.round_number}/ballots`, {
      method: 'POST',
      token: cred.token,
      body: { ballot: ballotToJSON(ballot), signature: b64e(signature) },
    });
    state.receipt = { ...(await holdReceipt(receipt, local)), contradicted: false };
    state.step = 'idle';
    state.choice = null;
    renderRound();
    announce(t('receipt.cast_heading', { n: round.round_number }));
    focus(document.getElementById('receipt-heading'));
  } catch (error) {
    state.error = error;
    state.step = 'choose';
    state.choice = null;
    if (error.code === 'already_voted' || error.code === 'round_not_open' || error.code === 'not_eligible') {
      try {
        await loadRound();
      } catch {
        // keep the refusal on screen; the next feed message refreshes
      }
    }
    renderRound();
    const alert = document.querySelector('#round .error');
    if (alert) focus(alert);
  }
}

// -- page states ----------------------------------------------------------------------------
async function showDelegation(fresh = false) {
  byId('enroll').hidden = true;
  byId('delegation').hidden = false;
  const cred = state.cred;
  try {
    await api(path`/api/v1/sessions/${state.sessionId}/me`, { token: cred.token });
  } catch (error) {
    if (error.status === 401) {
      replace(byId('round'), h('div', { class: 'warning', role: 'alert', id: 'revoked' }, t('delegation.revoked')));
      state.view = null;
      return;
    }
    showError(byId('errors'), error);
  }
  try {
    const roll = await api(path`/api/v1/sessions/${state.sessionId}/roll`);
    state.member = roll.members.find((m) => m.member_id === cred.subject) || null;
  } catch {
    state.member = null;
  }
  renderIdentity();
  await refresh();
  if (fresh) focus(byId('delegation-heading'));
}

function renderIdentity() {
  if (!state.cred) return;
  const name = state.member ? state.member.name : state.cred.subject;
  byId('delegation-heading').textContent = t('delegation.of', { name, id: state.cred.subject });
  byId('delegation-meta').textContent = t('delegation.enrolled_at', { at: formatDate(state.cred.enrolledAt) });
  byId('key-storage').textContent = state.cred.key.kind === 'webcrypto' ? t('delegation.key_webcrypto') : t('delegation.key_seed');
}

function onMessage(message) {
  // Turnout messages (one per ballot anyone casts) are not needed here.
  if (message.kind === 'turnout' || message.kind === 'presence' || message.kind === 'checkpoint') return;
  if (state.step === 'casting') return;
  // While the delegation is choosing or reviewing, re-draw only if the round ends under it, so
  // the form does not change (or lose focus) unexpectedly.
  const ends = ['round_closed', 'round_voided', 'adjourned'].includes(message.kind);
  if ((state.step === 'choose' || state.step === 'review') && state.round && !ends) return;
  refreshSoon();
}

const page = new SessionPage(state, {
  reset: () => ({ cred: null, view: null, round: null, receipt: null, error: null, step: 'idle', choice: null, prepared: null, challenged: null }),
  hide: ['enroll', 'delegation'],
  async enter(sessionId) {
    try {
      state.cred = await loadCredentials(ROLE, sessionId);
    } catch {
      state.cred = null;
    }
    if (!state.cred || !state.cred.token) {
      byId('enroll').hidden = false;
      return false;
    }
    await showDelegation();
    return true;
  },
  onMessage,
});

async function main() {
  await page.init({
    onLanguage() {
      renderIdentity();
      renderRound();
    },
  });
  byId('enroll-form').addEventListener('submit', async (event) => {
    await enroll(event);
    if (state.cred) page.follow(); // just enrolled: follow the session from now on
  });
  byId('forget').addEventListener('click', forget);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.step !== 'casting' && state.step !== 'review') refreshSoon();
  });
  await page.open(onlyConvened);
}

main();
