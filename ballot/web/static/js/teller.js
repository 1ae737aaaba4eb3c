// The teller page (/teller): status and instructions. The teller's cryptographic work (key
// ceremony, decryption shares) is done by the `ballot teller` command-line program, never here.
//
// Enrollment: a teller may redeem its one-time code here. The page then makes the teller's
// Ed25519 signing key and hands it over at once as a credentials file for `ballot teller`
// (docs/web-client.md, "Teller credentials file"); the page itself keeps only the bearer token,
// in this tab's sessionStorage, to show the teller's own status. A teller who enrolled with the
// command-line program can paste its token instead (or read the public status without one).

import { ApiError, api, path } from './api.js';
import { b64e, generateSigningKey, publicKeyFromSeed } from './crypto/index.js';
import { byId, debounce, download, focus, h, param, replace, setParam } from './dom.js';
import { Feed } from './feed.js';
import { formatNumber, onLanguageChange, t } from './i18n.js';
import { announce, busy, fillSessionPicker, initPage, liveIndicator, showError, tag, yesNo } from './ui.js';

const TOKEN_PREFIX = 'ballot-web.teller-token.';

const state = {
  sessionId: null,
  me: null, // {subject, token}
  view: null,
  board: null,
  ceremony: null,
  shares: new Map(), // round number → Set of teller ids whose decryption share is in the log
  complaints: [],
  logPosition: 0,
  pendingFile: null, // the credentials file not yet saved (holds the signing seed)
  feed: null,
  live: null,
};

function tokenKey() {
  return TOKEN_PREFIX + state.sessionId;
}

function loadMe() {
  try {
    const raw = sessionStorage.getItem(tokenKey());
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function saveMe(me) {
  try {
    if (me) sessionStorage.setItem(tokenKey(), JSON.stringify(me));
    else sessionStorage.removeItem(tokenKey());
  } catch {
    // this tab only, in memory
  }
}

// -- enrollment and sign-in -----------------------------------------------------------------
async function enroll(event) {
  event.preventDefault();
  const out = byId('identity-errors');
  await busy(event.submitter, out, async () => {
    const code = byId('teller-code').value.trim();
    const seed = generateSigningKey();
    const enrolled = await api(path`/api/v1/sessions/${state.sessionId}/enrollment`, {
      method: 'POST',
      body: { code, public_key: b64e(publicKeyFromSeed(seed)) },
    });
    if (enrolled.role !== 'teller') throw new ApiError(0, { code: 'delegation_code_on_teller_page' });
    byId('teller-code').value = '';
    state.pendingFile = {
      format: 'ballot-teller-credentials/1',
      server: location.origin,
      session_id: state.sessionId,
      teller_id: enrolled.subject,
      teller_index: enrolled.teller_index,
      token: enrolled.token,
      signing_seed: b64e(seed),
    };
    seed.fill(0);
    state.me = { subject: enrolled.subject, token: enrolled.token };
    saveMe(state.me);
    renderIdentity();
    focus(byId('credentials-file-heading'));
    await refresh();
  });
}

function saveFile() {
  const file = state.pendingFile;
  if (!file) return;
  download(`teller-${file.session_id}-${file.teller_id}.json`, `${JSON.stringify(file, null, 2)}\n`);
}

function fileSaved() {
  // The seed leaves the page's memory: from now on only the file holds it.
  state.pendingFile = null;
  renderIdentity();
  announce(t('teller.file_forgotten'));
}

async function signIn(event) {
  event.preventDefault();
  await busy(event.submitter, byId('identity-errors'), async () => {
    const token = byId('teller-token').value.trim();
    const me = await api(path`/api/v1/sessions/${state.sessionId}/me`, { token });
    if (me.role !== 'teller') throw new ApiError(403, { code: 'not_a_teller_token' });
    byId('teller-token').value = '';
    state.me = { subject: me.subject, token };
    saveMe(state.me);
    renderIdentity();
    await refresh();
  });
}

function signOut() {
  state.me = null;
  saveMe(null);
  renderIdentity();
  render();
}

// -- loading --------------------------------------------------------------------------------
async function readNewEvents() {
  // The log is public; only the types that matter here are kept, and reading resumes where it
  // stopped, so a long session is not read twice.
  const text = await api(`${path`/api/v1/sessions/${state.sessionId}/events`}?after=${state.logPosition}`);
  for (const line of String(text).split('\n')) {
    if (!line) continue;
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    state.logPosition = Math.max(state.logPosition, record.position);
    const p = record.payload;
    if (record.event_type === 'DecryptionShareSubmitted') {
      if (!state.shares.has(p.round_number)) state.shares.set(p.round_number, new Set());
      state.shares.get(p.round_number).add(p.teller_id);
    } else if (record.event_type === 'KeyCeremonyComplaintFiled') {
      state.complaints.push({ teller: p.teller_id, against: p.against });
    }
  }
}

async function refresh() {
  if (!state.sessionId) return;
  try {
    const sid = state.sessionId;
    const token = state.me ? state.me.token : undefined;
    const [view, board, ceremony] = await Promise.all([
      api(path`/api/v1/sessions/${sid}`),
      api(path`/api/v1/sessions/${sid}/board`),
      api(path`/api/v1/sessions/${sid}/key-ceremony`, { token }).catch((error) => {
        if (error.status === 401 && state.me) {
          // The token is no longer valid (re-enrolled elsewhere): read the public status.
          state.me = null;
          saveMe(null);
          renderIdentity();
          return api(path`/api/v1/sessions/${sid}/key-ceremony`);
        }
        throw error;
      }),
    ]);
    await readNewEvents();
    Object.assign(state, { view, board, ceremony });
    replace(byId('errors'));
    render();
  } catch (error) {
    showError(byId('errors'), error);
  }
}
const refreshSoon = debounce(refresh, 400);

// -- rendering ------------------------------------------------------------------------------
function myTeller() {
  if (!state.me || !state.view) return null;
  return state.view.session.tellers.find((x) => x.teller_id === state.me.subject) || null;
}

function renderIdentity() {
  const body = byId('identity-body');
  const parts = [h('div', { id: 'identity-errors' })];
  if (state.pendingFile) {
    const f = state.pendingFile;
    parts.push(
      h(
        'div',
        { class: 'warning', id: 'credentials-file' },
        h('h3', { id: 'credentials-file-heading', text: t('teller.file_heading', { id: f.teller_id }) }),
        h('p', { text: t('teller.file_text') }),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'save-file', text: t('teller.save_file'), onclick: saveFile }),
          h('button', { type: 'button', id: 'file-saved', class: 'secondary', text: t('teller.file_saved'), onclick: fileSaved }),
        ),
      ),
    );
  }
  if (state.me) {
    const mine = myTeller();
    parts.push(
      h('p', { id: 'teller-identity' }, t('teller.signed_in', { id: state.me.subject }), mine ? ` — ${mine.name} (${t('teller.index', { index: mine.index })})` : ''),
      h('button', { type: 'button', class: 'secondary', id: 'teller-sign-out', text: t('teller.sign_out'), onclick: signOut }),
    );
  } else {
    parts.push(
      h('p', { text: t('teller.identity_intro') }),
      h(
        'div',
        { class: 'grid-2' },
        h(
          'form',
          { id: 'teller-enroll-form', onsubmit: enroll },
          h('h3', { text: t('teller.enroll_heading') }),
          h('label', { for: 'teller-code', text: t('enroll.code_label') }),
          h('span', { class: 'hint', id: 'teller-code-hint', text: t('teller.enroll_hint') }),
          h('input', { id: 'teller-code', type: 'text', class: 'code-input', autocomplete: 'off', spellcheck: 'false', required: true, minlength: 10, 'aria-describedby': 'teller-code-hint' }),
          h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('enroll.submit') })),
        ),
        h(
          'form',
          { id: 'teller-token-form', onsubmit: signIn },
          h('h3', { text: t('teller.token_heading') }),
          h('label', { for: 'teller-token', text: t('teller.token_label') }),
          h('span', { class: 'hint', id: 'teller-token-hint', text: t('teller.token_hint') }),
          h('input', { id: 'teller-token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'teller-token-hint' }),
          h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('teller.token_submit') })),
        ),
      ),
    );
  }
  replace(body, parts);
}

function count(rows, field) {
  return rows.filter((r) => r[field]).length;
}

function renderCeremony() {
  const s = state.view.session;
  const c = state.ceremony;
  const rows = s.tellers;
  const n = s.settings.tellers;
  const steps = [
    ['teller.step_appointed', rows.length > 0, `${formatNumber(rows.length)} / ${formatNumber(n)}`],
    ['teller.step_enrolled', rows.length > 0 && count(rows, 'enrolled') === n, `${formatNumber(count(rows, 'enrolled'))} / ${formatNumber(n)}`],
    ['teller.step_committed', rows.length > 0 && count(rows, 'committed') === n, `${formatNumber(c.commitments.length)} / ${formatNumber(n)}`],
    ['teller.step_dealt', rows.length > 0 && count(rows, 'dealt') === n, `${formatNumber(count(rows, 'dealt'))} / ${formatNumber(n)}`],
    ['teller.step_published', Boolean(c.election_key), c.election_key ? t('common.yes') : t('common.no')],
  ];
  replace(
    byId('ceremony'),
    h('p', { text: t('teller.threshold', { k: s.settings.threshold, n }) }),
    h('ol', { class: 'steps', id: 'ceremony-steps' }, steps.map(([key, done, figure]) => h('li', { dataset: { done: done ? '1' : '0' } }, done ? tag(t('teller.done'), 'ok') : tag(t('teller.pending'), 'warn'), ' ', t(key), ` — ${figure}`))),
    c.complaints.length ? h('p', { class: 'warning', text: t('teller.complaints', { filed: c.complaints.length, answered: c.answers.length }) }) : null,
    state.me && c.shares_for_me.length ? h('p', { class: 'hint', text: t('teller.shares_for_me', { count: c.shares_for_me.length }) }) : null,
    rows.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { id: 'ceremony-table' },
            h('caption', { text: t('teller.table_caption') }),
            h('thead', {}, h('tr', {}, ['sec.col_teller', 'sec.col_name', 'sec.col_enrolled', 'teller.col_committed', 'teller.col_dealt', 'teller.col_qualified'].map((k) => h('th', { scope: 'col', text: t(k) })))),
            h('tbody', {}, rows.map((x) => h('tr', { class: state.me && state.me.subject === x.teller_id ? 'mine' : '' }, h('th', { scope: 'row', class: 'mono', text: `${x.index}. ${x.teller_id}` }), h('td', { text: x.name }), h('td', {}, yesNo(x.enrolled)), h('td', {}, yesNo(x.committed)), h('td', {}, yesNo(x.dealt)), h('td', {}, yesNo(x.qualified))))),
          ),
        )
      : h('p', { text: t('sec.no_tellers') }),
    c.election_key ? h('p', {}, t('teller.key'), ' ', h('code', { text: c.election_key })) : null,
  );
}

function renderRounds() {
  const s = state.view.session;
  const rounds = state.board.rounds;
  const k = s.settings.threshold;
  const me = state.me ? state.me.subject : null;
  const awaiting = rounds.filter((r) => r.status === 'closed');
  const items = [...rounds].reverse().map((r) => {
    const submitted = [...(state.shares.get(r.round_number) || [])];
    let status;
    if (r.status === 'closed') status = tag(t('teller.awaiting'), 'warn');
    else if (r.status === 'tallied') status = tag(t('status.tallied'), 'ok');
    else status = tag(t(`status.${r.status}`), 'muted');
    const mine = me && r.status === 'closed' ? (submitted.includes(me) ? tag(t('teller.mine_submitted'), 'ok') : tag(t('teller.mine_awaited'), 'err')) : null;
    return h(
      'tr',
      { dataset: { round: r.round_number, status: r.status } },
      h('th', { scope: 'row', text: r.round_number }),
      h('td', {}, status, mine ? ' ' : '', mine),
      h('td', { class: 'num', text: formatNumber(r.deposited) }),
      h('td', { text: submitted.length ? `${submitted.join(', ')} (${formatNumber(submitted.length)} / ${formatNumber(k)})` : `0 / ${formatNumber(k)}` }),
    );
  });
  replace(
    byId('teller-rounds'),
    h('p', { id: 'awaiting-summary', class: awaiting.length ? 'warning' : 'hint', text: awaiting.length ? t('teller.awaiting_rounds', { rounds: awaiting.map((r) => r.round_number).join(', '), k }) : t('teller.nothing_awaiting') }),
    items.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h('table', { id: 'teller-rounds-table' }, h('caption', { text: t('teller.rounds_caption') }), h('thead', {}, h('tr', {}, ['sec.col_round', 'sec.col_status', 'figures.deposited', 'teller.col_shares'].map((key) => h('th', { scope: 'col', text: t(key) })))), h('tbody', {}, items)),
        )
      : h('p', { text: t('board.no_rounds') }),
  );
}

function renderHowto() {
  const s = state.view.session;
  const mine = myTeller();
  const me = state.me ? state.me.subject : null;
  const steps = [t('teller.howto_install'), t('teller.howto_enroll'), t('teller.howto_ceremony'), t('teller.howto_rounds'), t('teller.howto_check')];
  let next;
  if (!s.tellers.length) next = t('teller.next_wait_appointment');
  else if (!me) next = t('teller.next_identify');
  else if (mine && !mine.committed) next = t('teller.next_commit');
  else if (mine && !mine.dealt) next = t('teller.next_deal');
  else if (!s.election_key) next = t('teller.next_wait_key');
  else {
    const owed = state.board.rounds.filter((r) => r.status === 'closed' && !(state.shares.get(r.round_number) || new Set()).has(me));
    next = owed.length ? t('teller.next_share', { rounds: owed.map((r) => r.round_number).join(', ') }) : t('teller.next_wait_round');
  }
  replace(byId('howto'), steps.map((text) => h('li', { text })));
  const nextEl = document.getElementById('next-step') || h('p', { id: 'next-step', class: 'notice', role: 'status' });
  nextEl.textContent = next;
  byId('howto').before(nextEl);
}

function render() {
  if (!state.view || !state.board || !state.ceremony) return;
  byId('teller-view').hidden = false;
  renderCeremony();
  renderRounds();
  renderHowto();
}

function onMessage(message) {
  if (message.kind === 'turnout' || message.kind === 'presence') return;
  refreshSoon();
}

async function pick(sessionId) {
  if (state.feed) state.feed.stop();
  Object.assign(state, { sessionId: sessionId || null, me: null, view: null, board: null, ceremony: null, shares: new Map(), complaints: [], logPosition: 0, feed: null });
  setParam('session', sessionId);
  byId('teller-view').hidden = true;
  replace(byId('errors'));
  if (!sessionId) return;
  state.me = loadMe();
  renderIdentity();
  await refresh();
  // The ceremony's own events are not in the public feed, so the page also polls gently.
  state.feed = new Feed(sessionId, { after: state.view ? state.view.position : 0, onMessage, onStatus: state.live }).start();
}

async function main() {
  await initPage();
  state.live = liveIndicator(byId('live'));
  onLanguageChange(() => {
    renderIdentity();
    render();
    fillSessionPicker(byId('session'), state.sessionId, pick).catch(() => {});
  });
  window.addEventListener('beforeunload', (event) => {
    if (state.pendingFile) event.preventDefault();
  });
  setInterval(() => {
    if (state.sessionId && document.visibilityState === 'visible') refresh();
  }, 15000);
  const wanted = param('session');
  let sessions = [];
  try {
    sessions = await fillSessionPicker(byId('session'), wanted, pick);
  } catch (error) {
    showError(byId('errors'), error);
  }
  const convened = sessions.filter((s) => s.phase === 'convened');
  const initial = wanted || (convened.length === 1 ? convened[0].session_id : null);
  if (initial) byId('session').value = initial;
  await pick(initial);
}

main();
