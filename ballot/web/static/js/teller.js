// The teller page (/teller): status and instructions only. A teller's cryptographic work —
// enrollment with its own key, the key ceremony, the decryption shares — is done by the
// `ballot teller` command-line program on the teller's computer, never in this browser: the
// program makes the teller's keys and keeps them sealed in its --key-file, so the enrollment
// code must be redeemed by the program, not by a page.
//
// Everything shown is public (session view, board, event log). A teller may say which teller
// it is (remembered in this browser; not a secret) to have its own row and next step marked.

import { api, path } from './api.js';
import { byId, debounce, h, replace } from './dom.js';
import { formatNumber, t } from './i18n.js';
import { SessionPage, onlyConvened, reload } from './page.js';
import { tag, yesNo } from './ui.js';

const WHO_PREFIX = 'ballot-web.teller-id.';

const state = {
  sessionId: null,
  me: null, // teller id chosen on this page
  view: null,
  board: null,
  ceremony: null,
  shares: new Map(), // round number → Set of teller ids whose decryption share is in the log
  logPosition: 0,
};

function remembered() {
  try {
    return localStorage.getItem(WHO_PREFIX + state.sessionId);
  } catch {
    return null;
  }
}

function remember(tellerId) {
  try {
    if (tellerId) localStorage.setItem(WHO_PREFIX + state.sessionId, tellerId);
    else localStorage.removeItem(WHO_PREFIX + state.sessionId);
  } catch {
    // not remembered
  }
}

// -- loading --------------------------------------------------------------------------------
async function readNewEvents() {
  // Decryption shares are public events; the page reads the log from where it stopped, so a
  // long session is not read twice.
  const text = await api(`${path`/api/v1/sessions/${state.sessionId}/events`}?after=${state.logPosition}`);
  for (const line of String(text).split('\n')) {
    if (!line) continue;
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (!record || typeof record !== 'object') continue;
    state.logPosition = Math.max(state.logPosition, record.position);
    if (record.event_type === 'DecryptionShareSubmitted') {
      const p = record.payload;
      if (!state.shares.has(p.round_number)) state.shares.set(p.round_number, new Set());
      state.shares.get(p.round_number).add(p.teller_id);
    }
  }
}

async function refresh() {
  if (!state.sessionId) return;
  await reload(async () => {
    const sid = state.sessionId;
    const [view, board, ceremony] = await Promise.all([
      api(path`/api/v1/sessions/${sid}`),
      api(path`/api/v1/sessions/${sid}/board`),
      api(path`/api/v1/sessions/${sid}/key-ceremony`),
    ]);
    await readNewEvents();
    Object.assign(state, { view, board, ceremony });
  }, render);
}
const refreshSoon = debounce(refresh, 400);

// -- rendering ------------------------------------------------------------------------------
function command(text) {
  return h('pre', {}, h('code', { text }));
}

function renderIdentity() {
  const s = state.view.session;
  const select = h(
    'select',
    { id: 'teller-who' },
    h('option', { value: '', text: t('teller.who_none') }),
    s.tellers.map((x) => h('option', { value: x.teller_id, selected: x.teller_id === state.me, text: `${x.index}. ${x.name} (${x.teller_id})` })),
  );
  select.addEventListener('change', () => {
    state.me = select.value || null;
    remember(state.me);
    render();
    byId('teller-who').focus();
  });
  const server = location.origin;
  replace(
    byId('identity-body'),
    s.tellers.length ? h('div', {}, h('label', { for: 'teller-who', text: t('teller.who_label') }), h('span', { class: 'hint', text: t('teller.who_hint') }), select) : h('p', { text: t('sec.no_tellers') }),
    h('h3', { text: t('teller.enroll_heading') }),
    h('p', { text: t('teller.enroll_text') }),
    command(`ballot teller enroll --server ${server} --session ${s.session_id} --code <CODE> --key-file teller-${s.session_id}.sealed`),
    h('p', { text: t('teller.run_text') }),
    command(`ballot teller run --key-file teller-${s.session_id}.sealed`),
    h('p', { class: 'hint', text: t('teller.passphrase_text') }),
  );
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
    ['teller.step_appointed', rows.length === n, `${formatNumber(rows.length)} / ${formatNumber(n)}`],
    ['teller.step_enrolled', rows.length === n && count(rows, 'enrolled') === n, `${formatNumber(count(rows, 'enrolled'))} / ${formatNumber(n)}`],
    ['teller.step_committed', rows.length === n && count(rows, 'committed') === n, `${formatNumber(count(rows, 'committed'))} / ${formatNumber(n)}`],
    ['teller.step_dealt', rows.length === n && count(rows, 'dealt') === n, `${formatNumber(count(rows, 'dealt'))} / ${formatNumber(n)}`],
    ['teller.step_published', Boolean(c.election_key), c.election_key ? t('common.yes') : t('common.no')],
  ];
  replace(
    byId('ceremony'),
    h('p', { text: t('teller.threshold', { k: s.settings.threshold, n }) }),
    h('ol', { class: 'steps', id: 'ceremony-steps' }, steps.map(([key, done, figure]) => h('li', { dataset: { done: done ? '1' : '0' } }, done ? tag(t('teller.done'), 'ok') : tag(t('teller.pending'), 'warn'), ' ', t(key), ` — ${figure}`))),
    c.complaints.length ? h('p', { class: 'warning', text: t('teller.complaints', { filed: c.complaints.length, answered: c.answers.length }) }) : null,
    rows.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { id: 'ceremony-table' },
            h('caption', { text: t('teller.table_caption') }),
            h('thead', {}, h('tr', {}, ['sec.col_teller', 'sec.col_name', 'sec.col_enrolled', 'teller.col_committed', 'teller.col_dealt', 'teller.col_qualified'].map((k) => h('th', { scope: 'col', text: t(k) })))),
            h(
              'tbody',
              {},
              rows.map((x) =>
                h(
                  'tr',
                  { class: state.me === x.teller_id ? 'mine' : '', dataset: { teller: x.teller_id } },
                  h('th', { scope: 'row', class: 'mono' }, `${x.index}. ${x.teller_id}`, state.me === x.teller_id ? h('span', { class: 'visually-hidden', text: ` (${t('teller.you')})` }) : null),
                  h('td', { text: x.name }),
                  h('td', {}, yesNo(x.enrolled)),
                  h('td', {}, yesNo(x.committed)),
                  h('td', {}, yesNo(x.dealt)),
                  h('td', {}, yesNo(x.qualified)),
                ),
              ),
            ),
          ),
        )
      : null,
    c.election_key ? h('p', {}, t('teller.key'), ' ', h('code', { text: c.election_key })) : null,
  );
}

function renderRounds() {
  const s = state.view.session;
  const rounds = state.board.rounds;
  const k = s.settings.threshold;
  const awaiting = rounds.filter((r) => r.status === 'closed');
  const items = [...rounds].reverse().map((r) => {
    const submitted = [...(state.shares.get(r.round_number) || [])];
    let status;
    if (r.status === 'closed') status = tag(t('teller.awaiting'), 'warn');
    else if (r.status === 'tallied') status = tag(t('status.tallied'), 'ok');
    else status = tag(t(`status.${r.status}`), 'muted');
    const mine = state.me && r.status === 'closed' ? (submitted.includes(state.me) ? tag(t('teller.mine_submitted'), 'ok') : tag(t('teller.mine_awaited'), 'err')) : null;
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
          h('table', { id: 'teller-rounds-table' }, h('caption', { text: t('teller.rounds_caption') }), h('thead', {}, h('tr', {}, ['sec.col_round', 'sec.col_status', 'figures.deposited', 'teller.col_shares'].map((key) => h('th', { scope: 'col', class: key === 'figures.deposited' ? 'num' : '', text: t(key) })))), h('tbody', {}, items)),
        )
      : h('p', { text: t('board.no_rounds') }),
  );
}

function nextStep() {
  const s = state.view.session;
  const mine = s.tellers.find((x) => x.teller_id === state.me);
  if (!s.tellers.length) return t('teller.next_wait_appointment');
  if (!mine) return t('teller.next_identify');
  if (!mine.enrolled) return t('teller.next_enroll');
  if (!mine.committed || !mine.dealt) return t('teller.next_ceremony');
  if (!s.election_key) return t('teller.next_wait_key');
  const owed = state.board.rounds.filter((r) => r.status === 'closed' && !(state.shares.get(r.round_number) || new Set()).has(state.me));
  return owed.length ? t('teller.next_share', { rounds: owed.map((r) => r.round_number).join(', ') }) : t('teller.next_wait_round');
}

function renderHowto() {
  replace(byId('next-step'), nextStep());
  replace(byId('howto'), [t('teller.howto_install'), t('teller.howto_enroll'), t('teller.howto_ceremony'), t('teller.howto_rounds'), t('teller.howto_check')].map((text) => h('li', { text })));
}

function render() {
  if (!state.view || !state.board || !state.ceremony) return;
  byId('teller-view').hidden = false;
  if (state.me && !state.view.session.tellers.some((x) => x.teller_id === state.me)) state.me = null;
  renderIdentity();
  renderCeremony();
  renderRounds();
  renderHowto();
}

function onMessage(message) {
  if (message.kind === 'turnout' || message.kind === 'presence') return;
  refreshSoon();
}

const page = new SessionPage(state, {
  reset: () => ({ me: null, view: null, board: null, ceremony: null, shares: new Map(), logPosition: 0 }),
  hide: ['teller-view'],
  async enter() {
    state.me = remembered();
    await refresh();
  },
  onMessage,
});

async function main() {
  await page.init({ onLanguage: render });
  // Key-ceremony messages are not in the public live feed: look again every 15 s as well.
  setInterval(() => {
    if (state.sessionId && document.visibilityState === 'visible') refresh();
  }, 15000);
  await page.open(onlyConvened);
}

main();
