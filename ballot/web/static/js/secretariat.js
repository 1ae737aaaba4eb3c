// The secretariat console (/secretariat): sign in with the operator token (kept in this tab's
// sessionStorage only), convene, register member states, nominate candidates, accept
// credentials and print enrollment codes, presence and voting rights, tellers and the election
// key, rounds with live turnout, withdrawal, acclamation, checkpoints, adjournment.
//
// Forms are built once per session and keep what is typed in them; only the status parts
// (tables, turnout, round controls) are redrawn when the session changes.

import { ApiError, api, path } from './api.js';
import { byId, debounce, focus, h, newId, param, replace, setParam } from './dom.js';
import { Feed } from './feed.js';
import { formatDate, formatNumber, onLanguageChange, t } from './i18n.js';
import { initPage } from './page.js';
import {
  announce,
  busy,
  candidateMap,
  confirmDialog,
  errorBox,
  fillSessionPicker,
  liveIndicator,
  optionLabel,
  showError,
  tag,
  yesNo,
} from './ui.js';

const TOKEN_KEY = 'ballot-web.secretariat-token';

/** Defaults of SessionSettings (ballot/domain/settings.py). */
const SETTINGS = [
  { name: 'eliminate_after', type: 'number', value: 3, min: 0, max: 1000 },
  { name: 'tie_break', type: 'select', value: 'ballot', choices: ['ballot', 'lots'] },
  { name: 'sole_candidate', type: 'select', value: 'acclamation', choices: ['acclamation', 'confirmation'] },
  { name: 'quorum_base', type: 'select', value: 'members', choices: ['members', 'voting_members'] },
  { name: 'majority_numerator', type: 'number', value: 2, min: 1, max: 1000 },
  { name: 'majority_denominator', type: 'number', value: 3, min: 1, max: 1000 },
  { name: 'min_tally', type: 'number', value: 5, min: 1, max: 1000000 },
  { name: 'tellers', type: 'number', value: 3, min: 1, max: 64 },
  { name: 'threshold', type: 'number', value: 2, min: 1, max: 64 },
  { name: 'enrollment_code_lifetime_hours', type: 'number', value: 24, min: 1, max: 366 * 24 },
];

const state = {
  token: null,
  sessionId: null,
  view: null,
  roll: [],
  board: null,
  turnout: null,
  codes: [],
  codesPrinted: true,
  feed: null,
  live: null,
};

function call(url, options = {}) {
  return api(url, { ...options, token: state.token });
}

function sid() {
  return state.sessionId;
}

// -- sign-in -----------------------------------------------------------------------------------
function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

async function checkToken(token) {
  // /me accepts the secretariat token for any session id: a cheap "is this token right?".
  const me = await api('/api/v1/sessions/console/me', { token });
  if (me.role !== 'secretariat') throw new ApiError(403, { code: 'forbidden' });
}

async function signIn(event) {
  event.preventDefault();
  await busy(event.submitter, byId('login-errors'), async () => {
    const token = byId('token').value.trim();
    await checkToken(token);
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // kept in memory only
    }
    byId('token').value = '';
    state.token = token;
    await showConsole();
    focus(byId('page-title'));
  });
}

function signOut() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  if (state.feed) state.feed.stop();
  state.token = null;
  byId('console').hidden = true;
  byId('login').hidden = false;
  focus(byId('token'));
}

// -- convene ----------------------------------------------------------------------------------
function buildConveneForm() {
  const form = byId('convene-form');
  const settings = SETTINGS.map((s) => {
    const id = `setting-${s.name}`;
    const hintId = `${id}-hint`;
    const control =
      s.type === 'select'
        ? h('select', { id, name: s.name, 'aria-describedby': hintId }, s.choices.map((c) => h('option', { value: c, selected: c === s.value, dataset: { i18nOption: `settings.${s.name}.${c}` }, text: t(`settings.${s.name}.${c}`) })))
        : h('input', { id, name: s.name, type: 'number', value: s.value, min: s.min, max: s.max, required: true, 'aria-describedby': hintId });
    return h('div', {}, h('label', { for: id, text: t(`settings.${s.name}`) }), h('span', { class: 'hint', id: hintId, text: t(`settings.${s.name}.hint`) }), control);
  });
  replace(
    form,
    h('label', { for: 'convene-title', text: t('sec.session_title') }),
    h('input', { id: 'convene-title', name: 'title', type: 'text', required: true, maxlength: 200 }),
    h('label', { for: 'convene-id', text: t('sec.session_id') }),
    h('span', { class: 'hint', id: 'convene-id-hint', text: t('sec.session_id_hint') }),
    h('input', { id: 'convene-id', name: 'session_id', type: 'text', pattern: '[a-z0-9][a-z0-9\\-]{0,62}', 'aria-describedby': 'convene-id-hint', autocomplete: 'off', spellcheck: 'false' }),
    h('fieldset', {}, h('legend', { text: t('sec.settings') }), h('div', { class: 'settings' }, settings)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('sec.convene') }), h('button', { type: 'button', class: 'secondary', id: 'cancel-convene', text: t('common.cancel'), onclick: () => hideConvene() })),
  );
}

function hideConvene() {
  byId('convene').hidden = true;
  if (state.sessionId) byId('session-console').hidden = false;
}

async function convene(event) {
  event.preventDefault();
  const form = event.target;
  await busy(event.submitter, byId('convene-errors'), async () => {
    const data = new FormData(form);
    const settings = {};
    for (const s of SETTINGS) {
      const raw = data.get(s.name);
      if (s.name === 'enrollment_code_lifetime_hours') settings.enrollment_code_lifetime_seconds = Math.round(Number(raw) * 3600);
      else settings[s.name] = s.type === 'number' ? Number(raw) : raw;
    }
    const body = { title: String(data.get('title')).trim(), settings };
    const chosen = String(data.get('session_id') || '').trim();
    if (chosen) body.session_id = chosen;
    const created = await call('/api/v1/sessions', { method: 'POST', body });
    form.reset();
    byId('convene').hidden = true;
    announce(t('sec.convened', { id: created.session_id }));
    await fillSessionPicker(byId('session'), created.session_id, pick);
    await pick(created.session_id);
    focus(byId('overview-heading'));
  });
}

// -- the session console's skeleton (forms built once per session) -----------------------------
function section(id, headingKey, ...children) {
  return h('section', { id, class: 'panel', 'aria-labelledby': `${id}-heading` }, h('h2', { id: `${id}-heading`, text: t(headingKey) }), children);
}

function buildConsole() {
  const root = byId('session-console');
  replace(
    root,
    h('section', { id: 'overview', 'aria-labelledby': 'overview-heading' }, h('h2', { id: 'overview-heading' }), h('div', { id: 'overview-body' })),
    h(
      'nav',
      { class: 'subnav no-print', 'aria-label': t('sec.sections') },
      h('ul', {}, [
        ['rounds', 'sec.rounds_heading'],
        ['members', 'sec.members_heading'],
        ['candidates', 'sec.candidates_heading'],
        ['tellers', 'sec.tellers_heading'],
        ['closing', 'sec.closing_heading'],
      ].map(([id, key]) => h('li', {}, h('a', { href: `#${id}`, text: t(key) })))),
    ),
    section('rounds', 'sec.rounds_heading', h('div', { id: 'rounds-errors' }), h('div', { id: 'rounds-body' })),
    section(
      'members',
      'sec.members_heading',
      h(
        'form',
        { id: 'register-form' },
        h('label', { for: 'register-lines', text: t('sec.register_label') }),
        h('span', { class: 'hint', id: 'register-hint', text: t('sec.register_hint') }),
        h('textarea', { id: 'register-lines', name: 'lines', required: true, 'aria-describedby': 'register-hint', spellcheck: 'false', placeholder: 'PRT, Portugal\nSEN, Senegal' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('sec.register') })),
        h('div', { id: 'register-result', 'aria-live': 'polite' }),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', id: 'issue-all', class: 'secondary', text: t('sec.issue_all') }),
        h('button', { type: 'button', id: 'present-all', class: 'secondary', text: t('sec.present_all') }),
      ),
      h('div', { id: 'members-errors' }),
      h('div', { id: 'roll' }),
    ),
    section(
      'candidates',
      'sec.candidates_heading',
      h(
        'form',
        { id: 'nominate-form' },
        h('div', { class: 'settings' },
          h('div', {}, h('label', { for: 'candidate-id', text: t('sec.candidate_id') }), h('input', { id: 'candidate-id', name: 'candidate_id', type: 'text', required: true, maxlength: 64, autocomplete: 'off', spellcheck: 'false' })),
          h('div', {}, h('label', { for: 'candidate-name', text: t('sec.candidate_name') }), h('input', { id: 'candidate-name', name: 'name', type: 'text', required: true, maxlength: 200 })),
          h('div', {}, h('label', { for: 'candidate-by', text: t('sec.nominated_by') }), h('select', { id: 'candidate-by', name: 'nominated_by' })),
        ),
        h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('sec.nominate') })),
      ),
      h('div', { id: 'candidates-errors' }),
      h('div', { id: 'candidate-list' }),
    ),
    section(
      'tellers',
      'sec.tellers_heading',
      h(
        'form',
        { id: 'tellers-form' },
        h('label', { for: 'teller-lines', text: t('sec.tellers_label') }),
        h('span', { class: 'hint', id: 'teller-hint' }),
        h('textarea', { id: 'teller-lines', name: 'lines', required: true, 'aria-describedby': 'teller-hint', spellcheck: 'false', placeholder: 'T1, Teller One\nT2, Teller Two\nT3, Teller Three' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('sec.appoint') })),
      ),
      h('div', { id: 'tellers-errors' }),
      h('div', { id: 'tellers-body' }),
    ),
    section(
      'closing',
      'sec.closing_heading',
      h('div', { id: 'closing-errors' }),
      h('div', { id: 'closing-body' }),
    ),
  );
  byId('register-form').addEventListener('submit', registerMembers);
  byId('nominate-form').addEventListener('submit', nominate);
  byId('tellers-form').addEventListener('submit', appointTellers);
  byId('issue-all').addEventListener('click', (e) => issueAll(e.currentTarget));
  byId('present-all').addEventListener('click', (e) => presentAll(e.currentTarget));
  root.hidden = false;
}

// -- loading and redrawing -------------------------------------------------------------------
async function load() {
  const id = sid();
  const [view, roll, board] = await Promise.all([call(path`/api/v1/sessions/${id}`), call(path`/api/v1/sessions/${id}/roll`), call(path`/api/v1/sessions/${id}/board`)]);
  state.view = view;
  state.roll = roll.members;
  state.board = board;
  const s = view.session;
  state.turnout = null;
  if (s.current_round && s.current_round_status === 'open') {
    state.turnout = (await call(path`/api/v1/sessions/${id}/rounds/${s.current_round}/turnout`)).turnout;
  }
}

/** Redraw the status parts, keeping keyboard focus on the same control. */
function render() {
  if (!state.view) return;
  const active = document.activeElement && document.activeElement.id;
  renderOverview();
  renderRoll();
  renderCandidates();
  renderTellers();
  renderRounds();
  renderClosing();
  renderCodes();
  if (active && document.activeElement?.id !== active) {
    const again = document.getElementById(active);
    if (again) again.focus();
  }
}

async function refresh() {
  if (!sid()) return;
  try {
    await load();
    replace(byId('errors'));
    render();
  } catch (error) {
    showError(byId('errors'), error);
  }
}
const refreshSoon = debounce(refresh, 300);

async function refreshTurnout() {
  const s = state.view?.session;
  if (!s || !s.current_round) return;
  try {
    state.turnout = (await call(path`/api/v1/sessions/${sid()}/rounds/${s.current_round}/turnout`)).turnout;
    renderRounds();
  } catch {
    // the next message retries
  }
}
const refreshTurnoutSoon = debounce(refreshTurnout, 500);

function memberName(id) {
  const m = state.roll.find((x) => x.member_id === id);
  return m ? m.name : id;
}

function figure(label, value) {
  return h('div', {}, h('dt', { text: label }), h('dd', { text: typeof value === 'number' ? formatNumber(value) : value }));
}

function renderOverview() {
  const s = state.view.session;
  byId('overview-heading').textContent = `${s.title} (${s.session_id})`;
  const settings = s.settings;
  replace(
    byId('overview-body'),
    h(
      'dl',
      { class: 'figures' },
      figure(t('sec.phase'), t(`phase.${s.phase}`)),
      figure(t('sec.members'), s.members),
      figure(t('figures.present'), s.present),
      figure(t('sec.eligible_now'), s.eligible_now),
      figure(t('sec.rounds'), s.rounds),
      figure(t('sec.majority'), `${settings.majority_numerator}/${settings.majority_denominator}`),
    ),
    h(
      'p',
      { class: 'hint' },
      t('sec.settings_summary', {
        eliminate: settings.eliminate_after,
        tie: t(`settings.tie_break.${settings.tie_break}`),
        sole: t(`settings.sole_candidate.${settings.sole_candidate}`),
        quorum: t(`settings.quorum_base.${settings.quorum_base}`),
        min: settings.min_tally,
        k: settings.threshold,
        n: settings.tellers,
      }),
    ),
    h('p', {}, h('a', { id: 'board-link', href: boardLink(s.session_id, state.view.checkpoint_key), text: t('sec.open_board') }), ' · ', h('a', { href: `/delegation?session=${encodeURIComponent(s.session_id)}`, text: t('sec.delegation_link') })),
    state.view.checkpoint_key ? h('p', { class: 'hint', text: t('sec.board_link_hint') }) : null,
  );
}

// The board's link carries the session's checkpoint key in its fragment (never sent to a server):
// published with it, it lets anyone check receipts against that key, not one a server names.
function boardLink(sessionId, checkpointKey) {
  const link = `/?session=${encodeURIComponent(sessionId)}`;
  return checkpointKey ? `${link}#key=${encodeURIComponent(checkpointKey)}` : link;
}

// -- members ---------------------------------------------------------------------------------
function parseLines(text) {
  const out = [];
  const problems = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const parts = trimmed.split(/[,;\t]/).map((p) => p.trim());
    const [id, name, flag] = parts;
    if (!id || !name) {
      problems.push(t('sec.line_invalid', { line: i + 1 }));
      return;
    }
    out.push({ id, name, observer: /^observer$|^observateur$|^observador$/i.test(flag || '') });
  });
  return { entries: out, problems };
}

async function registerMembers(event) {
  event.preventDefault();
  const result = byId('register-result');
  const area = byId('register-lines');
  const { entries, problems } = parseLines(area.value);
  const failed = [];
  const progress = h('progress', { max: entries.length, value: 0, 'aria-label': t('sec.registering') });
  replace(result, progress);
  await busy(event.submitter, null, async () => {
    let done = 0;
    for (const entry of entries) {
      try {
        await call(path`/api/v1/sessions/${sid()}/members`, { method: 'POST', body: { member_id: entry.id, name: entry.name, observer: entry.observer } });
        done += 1;
      } catch (error) {
        failed.push({ entry, error });
      }
      progress.value += 1;
    }
    // Keep only the lines that failed, so they can be corrected and sent again.
    area.value = failed.map((f) => `${f.entry.id}, ${f.entry.name}${f.entry.observer ? ', observer' : ''}`).join('\n');
    replace(
      result,
      h('p', { class: failed.length || problems.length ? 'warning' : 'success', role: 'status', text: t('sec.registered', { done, failed: failed.length + problems.length }) }),
      problems.length ? h('ul', {}, problems.map((p) => h('li', { text: p }))) : null,
      failed.map((f) => errorBox(f.error, { prefix: `${f.entry.id}:` })),
    );
  });
  await refresh();
}

function addCode(issued, kind, name) {
  state.codes.push({ ...issued, kind, name, sessionId: sid(), sessionTitle: state.view?.session.title || sid() });
  state.codesPrinted = false;
}

async function issueCredentials(member, button) {
  if (member.credentials_accepted && !(await confirmDialog(t('sec.reissue_confirm', { name: member.name }), { confirm: t('sec.reissue'), danger: true }))) return;
  await busy(button, byId('members-errors'), async () => {
    const issued = await call(path`/api/v1/sessions/${sid()}/members/${member.member_id}/credentials`, { method: 'POST' });
    addCode(issued, 'delegation', member.name);
    announce(t('sec.code_issued', { name: member.name }));
    await refresh();
  });
}

async function issueAll(button) {
  const todo = state.roll.filter((m) => !m.observer && !m.credentials_accepted);
  await busy(button, byId('members-errors'), async () => {
    for (const m of todo) {
      const issued = await call(path`/api/v1/sessions/${sid()}/members/${m.member_id}/credentials`, { method: 'POST' });
      addCode(issued, 'delegation', m.name);
    }
    announce(t('sec.codes_issued', { count: todo.length }));
    await refresh();
    if (todo.length) focus(byId('codes-heading'));
  });
}

async function presentAll(button) {
  const todo = state.roll.filter((m) => !m.observer && m.credentials_accepted && !m.present);
  await busy(button, byId('members-errors'), async () => {
    for (const m of todo) {
      await call(path`/api/v1/sessions/${sid()}/members/${m.member_id}/presence`, { method: 'PUT', body: { present: true } });
    }
    await refresh();
  });
}

async function setPresence(member, present, input) {
  await busy(input, byId('members-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/members/${member.member_id}/presence`, { method: 'PUT', body: { present } });
  });
  await refresh(); // also puts the box back as it was after a refusal
}

async function setRights(member, flags, input) {
  await busy(input, byId('members-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/members/${member.member_id}/voting-rights`, { method: 'PUT', body: flags });
  });
  await refresh();
}

function checkbox(id, label, checked, onchange, disabled = false) {
  const input = h('input', { type: 'checkbox', id, checked, disabled });
  input.addEventListener('change', () => onchange(input.checked, input));
  return h('span', { class: 'check' }, input, h('label', { for: id, class: 'visually-hidden', text: label }));
}

function renderRoll() {
  const members = state.roll;
  const convened = state.view.session.phase === 'convened';
  byId('issue-all').disabled = !convened || !members.some((m) => !m.observer && !m.credentials_accepted);
  byId('present-all').disabled = !convened || !members.some((m) => !m.observer && m.credentials_accepted && !m.present);
  if (!members.length) {
    replace(byId('roll'), h('p', { text: t('sec.no_members') }));
    return;
  }
  const rows = members.map((m) => {
    const mid = m.member_id.replace(/[^A-Za-z0-9_-]/g, '_');
    const credentials = m.observer
      ? tag(t('sec.observer'))
      : h(
          'span',
          {},
          m.credentials_accepted ? tag(t('sec.accepted'), 'ok') : tag(t('sec.not_accepted'), 'warn'),
          ' ',
          h('button', {
            type: 'button',
            class: 'small secondary',
            id: `cred-${mid}`,
            disabled: !convened,
            text: m.credentials_accepted ? t('sec.reissue') : t('sec.issue'),
            'aria-label': `${m.credentials_accepted ? t('sec.reissue') : t('sec.issue')} — ${m.name}`,
            onclick: (e) => issueCredentials(m, e.currentTarget),
          }),
        );
    const rights = m.observer
      ? '—'
      : h(
          'span',
          { class: 'rights' },
          ['arrears', 'restored', 'suspended'].map((flag) =>
            h(
              'span',
              { class: 'check' },
              h('input', {
                type: 'checkbox',
                id: `${flag}-${mid}`,
                checked: m[flag],
                disabled: !convened,
                onchange: (e) => setRights(m, { arrears: m.arrears, restored: m.restored, suspended: m.suspended, [flag]: e.currentTarget.checked }, e.currentTarget),
              }),
              ' ',
              h('label', { for: `${flag}-${mid}`, class: 'inline', text: t(`sec.${flag}`) }),
              ' ',
            ),
          ),
        );
    return h(
      'tr',
      { dataset: { member: m.member_id } },
      h('th', { scope: 'row', class: 'mono', text: m.member_id }),
      h('td', { text: m.name }),
      h('td', {}, credentials),
      h('td', {}, m.observer ? '—' : yesNo(m.enrolled)),
      h('td', {}, m.observer ? '—' : checkbox(`present-${mid}`, `${t('figures.present')} — ${m.name}`, m.present, (v, input) => setPresence(m, v, input), !convened)),
      h('td', {}, rights),
      h('td', {}, m.observer ? '—' : yesNo(m.eligible)),
    );
  });
  replace(
    byId('roll'),
    h(
      'div',
      { class: 'table-wrap', role: 'region', 'aria-labelledby': 'roll-caption', tabindex: 0 },
      h(
        'table',
        { id: 'roll-table' },
        h('caption', { id: 'roll-caption', text: t('sec.roll_caption', { count: members.length }) }),
        h('thead', {}, h('tr', {}, ['sec.col_code', 'sec.col_name', 'sec.col_credentials', 'sec.col_enrolled', 'sec.col_present', 'sec.col_rights', 'sec.col_eligible'].map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', {}, rows),
      ),
    ),
  );
}

// -- candidates ------------------------------------------------------------------------------
async function nominate(event) {
  event.preventDefault();
  const form = event.target;
  await busy(event.submitter, byId('candidates-errors'), async () => {
    const data = new FormData(form);
    const body = { candidate_id: String(data.get('candidate_id')).trim(), name: String(data.get('name')).trim() };
    if (data.get('nominated_by')) body.nominated_by = String(data.get('nominated_by'));
    await call(path`/api/v1/sessions/${sid()}/candidates`, { method: 'POST', body });
    form.reset();
    announce(t('sec.nominated', { name: body.name }));
    await refresh();
    focus(byId('candidate-id'));
  });
}

/** A modal asking for a short reason; resolves to the text, or null if cancelled. */
function reasonDialog(message, confirmLabel) {
  return new Promise((resolve) => {
    const inputId = newId('reason');
    const input = h('input', { id: inputId, type: 'text', maxlength: 500 });
    const dialog = h(
      'dialog',
      { 'aria-label': message },
      h(
        'form',
        { method: 'dialog' },
        h('p', { text: message }),
        h('label', { for: inputId, text: t('sec.reason') }),
        input,
        h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'yes', class: 'danger', text: confirmLabel }), h('button', { type: 'submit', value: 'no', class: 'secondary', text: t('common.cancel') })),
      ),
    );
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes' ? input.value.trim() : null);
      dialog.remove();
    });
    dialog.showModal();
    input.focus();
  });
}

async function withdraw(candidate, button) {
  const reason = await reasonDialog(t('sec.withdraw_confirm', { name: candidate.name }), t('sec.withdraw'));
  if (reason === null) return;
  await busy(button, byId('candidates-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/candidates/${candidate.candidate_id}/withdrawal`, { method: 'POST', body: { reason } });
    await refresh();
  });
}

async function acclaim(candidate, button) {
  if (!(await confirmDialog(t('sec.acclaim_confirm', { name: candidate.name }), { confirm: t('sec.acclaim') }))) return;
  await busy(button, byId('candidates-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/acclamation`, { method: 'POST', body: { candidate_id: candidate.candidate_id } });
    await refresh();
  });
}

function renderCandidates() {
  const s = state.view.session;
  const by = byId('candidate-by');
  const chosen = by.value;
  replace(by, h('option', { value: '', text: t('sec.nominated_by_none') }), state.roll.filter((m) => !m.observer).map((m) => h('option', { value: m.member_id, selected: m.member_id === chosen, text: `${m.name} (${m.member_id})` })));
  const open = s.phase === 'convened' && s.nominations_open;
  for (const el of byId('nominate-form').elements) el.disabled = !open;
  const standing = s.candidates.filter((c) => c.status === 'standing');
  const roundInProgress = s.current_round_status === 'open' || s.current_round_status === 'closed';
  const canAcclaim = s.phase === 'convened' && standing.length === 1 && s.settings.sole_candidate === 'acclamation' && !roundInProgress;
  const rows = s.candidates.map((c) =>
    h(
      'tr',
      { dataset: { candidate: c.candidate_id } },
      h('th', { scope: 'row', class: 'mono', text: c.candidate_id }),
      h('td', { text: c.name }),
      h('td', { text: c.nominated_by ? memberName(c.nominated_by) : '—' }),
      h('td', {}, tag(t(`candidate_status.${c.status}`), c.status === 'standing' ? 'ok' : c.status === 'elected' ? 'ok' : 'muted'), c.round_number ? ` (${t('sec.round_n', { n: c.round_number })})` : ''),
      h(
        'td',
        {},
        c.status === 'standing' && s.phase === 'convened' && !roundInProgress
          ? h('button', { type: 'button', class: 'small secondary', id: `withdraw-${c.candidate_id}`, text: t('sec.withdraw'), 'aria-label': `${t('sec.withdraw')} — ${c.name}`, onclick: (e) => withdraw(c, e.currentTarget) })
          : null,
        c.status === 'standing' && canAcclaim
          ? h('button', { type: 'button', class: 'small', id: `acclaim-${c.candidate_id}`, text: t('sec.acclaim'), onclick: (e) => acclaim(c, e.currentTarget) })
          : null,
      ),
    ),
  );
  replace(
    byId('candidate-list'),
    open ? null : h('p', { class: 'hint', text: t('sec.nominations_closed') }),
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { id: 'candidates-table' }, h('caption', { text: t('sec.candidates_caption') }), h('thead', {}, h('tr', {}, ['sec.col_id', 'sec.col_name', 'sec.nominated_by', 'sec.col_status', 'sec.col_actions'].map((k) => h('th', { scope: 'col', text: t(k) })))), h('tbody', {}, rows)))
      : h('p', { text: t('sec.no_candidates') }),
  );
}

// -- tellers ---------------------------------------------------------------------------------
async function appointTellers(event) {
  event.preventDefault();
  const { entries, problems } = parseLines(byId('teller-lines').value);
  await busy(event.submitter, byId('tellers-errors'), async () => {
    if (problems.length) throw new ApiError(0, { code: 'validation_error', detail: problems.join('; ') });
    const issued = await call(path`/api/v1/sessions/${sid()}/tellers`, { method: 'POST', body: { tellers: entries.map((e) => ({ teller_id: e.id, name: e.name })) } });
    for (const code of issued.codes) addCode(code, 'teller', entries.find((e) => e.id === code.subject)?.name || code.subject);
    byId('teller-lines').value = '';
    await refresh();
    focus(byId('codes-heading'));
  });
}

async function publishKey(button) {
  await busy(button, byId('tellers-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/key-ceremony/election-key`, { method: 'POST' });
    announce(t('sec.key_published'));
    await refresh();
  });
}

function renderTellers() {
  const s = state.view.session;
  const appointed = s.tellers.length > 0;
  byId('tellers-form').hidden = appointed || s.phase !== 'convened';
  byId('teller-hint').textContent = t('sec.tellers_hint', { n: s.settings.tellers, k: s.settings.threshold });
  if (!appointed) {
    replace(byId('tellers-body'), h('p', { text: t('sec.no_tellers') }));
    return;
  }
  const rows = s.tellers.map((x) =>
    h('tr', { dataset: { teller: x.teller_id } }, h('th', { scope: 'row', class: 'mono', text: `${x.index}. ${x.teller_id}` }), h('td', { text: x.name }), h('td', {}, yesNo(x.enrolled)), h('td', {}, yesNo(x.committed)), h('td', {}, yesNo(x.dealt)), h('td', {}, yesNo(x.qualified))),
  );
  const publish = h('button', { type: 'button', id: 'publish-key', text: t('sec.publish_key'), disabled: Boolean(s.election_key) || s.phase !== 'convened', onclick: (e) => publishKey(e.currentTarget) });
  replace(
    byId('tellers-body'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'tellers-table' }, h('caption', { text: t('sec.tellers_caption', { k: s.settings.threshold, n: s.settings.tellers }) }), h('thead', {}, h('tr', {}, ['sec.col_teller', 'sec.col_name', 'sec.col_enrolled', 'teller.col_committed', 'teller.col_dealt', 'teller.col_qualified'].map((k) => h('th', { scope: 'col', text: t(k) })))), h('tbody', {}, rows))),
    s.election_key
      ? h('p', { class: 'success', id: 'key-status' }, t('sec.key_is_published'), ' ', h('code', { text: s.election_key }))
      : h('div', {}, h('p', { class: 'hint', id: 'key-status', text: t('sec.key_not_published') }), publish),
  );
}

// -- rounds ----------------------------------------------------------------------------------
async function openRound(button) {
  await busy(button, byId('rounds-errors'), async () => {
    const round = await call(path`/api/v1/sessions/${sid()}/rounds`, { method: 'POST' });
    announce(t('sec.round_opened', { n: round.round_number }));
    await refresh();
  });
}

async function closeRound(n, button) {
  const turnout = state.turnout;
  const message = t('sec.close_confirm', { n, deposited: turnout ? turnout.deposited : 0, eligible: turnout ? turnout.eligible : 0 });
  if (!(await confirmDialog(message, { confirm: t('sec.close_round'), danger: true }))) return;
  await busy(button, byId('rounds-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/rounds/${n}/close`, { method: 'POST' });
    announce(t('sec.round_closed', { n }));
    await refresh();
  });
}

async function voidRound(n, button) {
  const reason = await reasonDialog(t('sec.void_confirm', { n }), t('sec.void_round'));
  if (reason === null) return;
  await busy(button, byId('rounds-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/rounds/${n}/void`, { method: 'POST', body: { reason } });
    await refresh();
  });
}

function nameList(ids) {
  if (!ids.length) return h('p', { class: 'hint', text: '—' });
  return h('ul', { class: 'names' }, ids.map((id) => h('li', { text: `${memberName(id)} (${id})` })));
}

function renderRounds() {
  const s = state.view.session;
  const candidates = candidateMap(s);
  const names = (o) => optionLabel(o, candidates);
  const parts = [];
  const current = s.current_round ? state.board.rounds.find((r) => r.round_number === s.current_round) : null;
  if (current && current.status === 'open') {
    const turnout = state.turnout || { deposited: current.deposited, eligible: current.eligible, deposited_by: [], not_yet: [] };
    parts.push(
      h(
        'div',
        { class: 'panel', id: 'current-round' },
        h('h3', { text: t('sec.round_open_heading', { n: current.round_number, kind: t(`kind.${current.kind}`) }) }),
        h('p', { class: 'hint', text: `${t('sec.options')}: ${current.options.map(names).join(' · ')}` }),
        h('label', { for: 'sec-turnout', id: 'turnout-text', text: t('board.turnout', { deposited: turnout.deposited, eligible: turnout.eligible }) }),
        h('progress', { id: 'sec-turnout', max: Math.max(1, turnout.eligible), value: turnout.deposited }),
        h('div', { class: 'grid-2' },
          h('div', {}, h('h4', { text: t('sec.deposited_by', { count: turnout.deposited_by.length }) }), nameList(turnout.deposited_by)),
          h('div', {}, h('h4', { text: t('sec.not_yet', { count: turnout.not_yet.length }) }), nameList(turnout.not_yet)),
        ),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'close-round', class: 'danger', text: t('sec.close_round'), onclick: (e) => closeRound(current.round_number, e.currentTarget) }),
          h('button', { type: 'button', id: 'void-round', class: 'secondary', text: t('sec.void_round'), onclick: (e) => voidRound(current.round_number, e.currentTarget) }),
        ),
      ),
    );
  } else if (current && current.status === 'closed') {
    parts.push(
      h(
        'div',
        { class: 'panel', id: 'current-round' },
        h('h3', { text: t('sec.round_closed_heading', { n: current.round_number }) }),
        h('p', { text: t('sec.awaiting_shares', { k: s.settings.threshold, n: s.settings.tellers, deposited: current.deposited }) }),
        h('div', { class: 'actions' }, h('button', { type: 'button', id: 'void-round', class: 'secondary', text: t('sec.void_round'), onclick: (e) => voidRound(current.round_number, e.currentTarget) })),
      ),
    );
  }
  const next = s.next_round;
  if (next) {
    const blocked = next.blocked_by;
    parts.push(
      h(
        'div',
        { class: 'panel', id: 'next-round' },
        h('h3', { text: t('sec.next_round', { n: next.round_number }) }),
        next.kind ? h('p', { text: `${t(`kind.${next.kind}`)} — ${next.options.map(names).join(' · ')}` }) : null,
        blocked ? h('p', { class: 'warning', id: 'blocked-by', dataset: { code: blocked } }, problemLine(blocked)) : null,
        h('button', { type: 'button', id: 'open-round', disabled: Boolean(blocked), text: t('sec.open_round', { n: next.round_number }), onclick: (e) => openRound(e.currentTarget) }),
      ),
    );
  } else if (!current || current.status === 'tallied' || current.status === 'voided') {
    parts.push(h('p', { class: 'hint', text: s.phase === 'convened' ? t('sec.no_next_round') : t(`phase.${s.phase}`) }));
  }
  const history = [...state.board.rounds].reverse();
  if (history.length) {
    parts.push(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { id: 'rounds-table' },
          h('caption', { text: t('sec.rounds_caption') }),
          h('thead', {}, h('tr', {}, ['sec.col_round', 'sec.col_kind', 'sec.col_status', 'figures.deposited', 'figures.valid', 'figures.required', 'figures.decision'].map((k) => h('th', { scope: 'col', class: k.startsWith('figures.') && k !== 'figures.decision' ? 'num' : '', text: t(k) })))),
          h(
            'tbody',
            {},
            history.map((r) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row', text: r.round_number }),
                h('td', { text: t(`kind.${r.kind}`) }),
                h('td', { text: t(`status.${r.status}`) }),
                h('td', { class: 'num', text: formatNumber(r.deposited) }),
                h('td', { class: 'num', text: r.valid === null ? '—' : formatNumber(r.valid) }),
                h('td', { class: 'num', text: r.required === null ? '—' : formatNumber(r.required) }),
                h('td', { text: r.decision ? t(`decision_short.${r.decision}`) + (r.elected ? ` — ${names(r.elected)}` : r.eliminated ? ` — ${names(r.eliminated)}` : '') : '—' }),
              ),
            ),
          ),
        ),
      ),
    );
  }
  replace(byId('rounds-body'), parts);
}

function problemLine(code) {
  return t(`problem.${code}`);
}

// -- closing: checkpoints, adjournment -----------------------------------------------------------
async function checkpoint(button) {
  await busy(button, byId('closing-errors'), async () => {
    const result = await call(path`/api/v1/sessions/${sid()}/checkpoints`, { method: 'POST' });
    const last = result.checkpoints[result.checkpoints.length - 1];
    announce(last ? t('sec.checkpoint_signed', { position: last.position }) : t('sec.checkpoint_none'));
    replace(byId('closing-errors'), h('p', { class: 'success', role: 'status', text: last ? t('sec.checkpoint_signed', { position: last.position }) : t('sec.checkpoint_none') }));
  });
}

async function adjourn(button) {
  const reason = await reasonDialog(t('sec.adjourn_confirm'), t('sec.adjourn'));
  if (reason === null) return;
  await busy(button, byId('closing-errors'), async () => {
    await call(path`/api/v1/sessions/${sid()}/adjournment`, { method: 'POST', body: { reason } });
    await refresh();
  });
}

function renderClosing() {
  const s = state.view.session;
  replace(
    byId('closing-body'),
    h('p', { class: 'hint', text: t('sec.checkpoint_hint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'sign-checkpoint', class: 'secondary', text: t('sec.sign_checkpoint'), onclick: (e) => checkpoint(e.currentTarget) }),
      h('button', { type: 'button', id: 'adjourn', class: 'danger', disabled: s.phase !== 'convened', text: t('sec.adjourn'), onclick: (e) => adjourn(e.currentTarget) }),
    ),
    h('ul', {},
      h('li', {}, h('a', { href: path`/api/v1/sessions/${s.session_id}/events`, download: `${s.session_id}-events.jsonl`, text: t('audit.events') })),
      h('li', {}, h('a', { href: path`/api/v1/sessions/${s.session_id}/checkpoints`, download: `${s.session_id}-checkpoints.json`, text: t('audit.checkpoints') })),
    ),
  );
}

// -- the enrollment codes sheet -------------------------------------------------------------------
function renderCodes() {
  const sheet = byId('codes');
  sheet.hidden = state.codes.length === 0;
  const origin = location.origin;
  replace(
    byId('code-cards'),
    state.codes.map((c) =>
      h(
        'article',
        { class: 'code-card', dataset: { subject: c.subject } },
        h('h3', { text: c.kind === 'teller' ? t('codes.teller', { name: c.name, id: c.subject }) : t('codes.delegation', { name: c.name, id: c.subject }) }),
        h('p', { text: c.sessionTitle }),
        h('p', {}, t('codes.code_label'), ' ', h('span', { class: 'code', text: c.code })),
        c.expires_at ? h('p', { text: t('codes.expires', { at: formatDate(c.expires_at) }) }) : null,
        h('p', { text: c.kind === 'teller' ? t('codes.teller_how', { url: `${origin}/teller?session=${c.sessionId}` }) : t('codes.delegation_how', { url: `${origin}/delegation?session=${c.sessionId}` }) }),
      ),
    ),
  );
}

function printCodes() {
  document.body.classList.add('printing-codes');
  state.codesPrinted = true;
  window.print();
}

async function clearCodes() {
  if (!state.codesPrinted && !(await confirmDialog(t('codes.clear_confirm'), { confirm: t('codes.clear'), danger: true }))) return;
  state.codes = [];
  state.codesPrinted = true;
  renderCodes();
}

// -- page ------------------------------------------------------------------------------------
function onMessage(message) {
  if (message.kind === 'turnout') {
    if (state.turnout && state.turnout.round_number === message.round) {
      state.turnout = { ...state.turnout, deposited: message.deposited };
      const text = document.getElementById('turnout-text');
      const bar = document.getElementById('sec-turnout');
      if (text) text.textContent = t('board.turnout', { deposited: message.deposited, eligible: message.eligible });
      if (bar) bar.value = message.deposited;
    }
    refreshTurnoutSoon();
    return;
  }
  refreshSoon();
}

async function pick(sessionId) {
  if (state.feed) state.feed.stop();
  Object.assign(state, { sessionId: sessionId || null, view: null, roll: [], board: null, turnout: null, feed: null });
  setParam('session', sessionId);
  byId('session-console').hidden = true;
  replace(byId('errors'));
  if (!sessionId) return;
  buildConsole();
  await refresh();
  state.feed = new Feed(sessionId, { after: state.view ? state.view.position : 0, onMessage, onStatus: state.live }).start();
}

async function showConsole() {
  byId('login').hidden = true;
  byId('console').hidden = false;
  const wanted = param('session');
  const sessions = await fillSessionPicker(byId('session'), wanted, pick);
  const initial = wanted || (sessions.length ? sessions[sessions.length - 1].session_id : null);
  if (initial) byId('session').value = initial;
  if (!sessions.length) byId('convene').hidden = false;
  await pick(initial);
}

async function main() {
  await initPage();
  state.live = liveIndicator(byId('live'));
  buildConveneForm();
  byId('login-form').addEventListener('submit', signIn);
  byId('convene-form').addEventListener('submit', convene);
  byId('sign-out').addEventListener('click', signOut);
  byId('show-convene').addEventListener('click', () => {
    byId('convene').hidden = false;
    focus(byId('convene-heading'));
  });
  byId('print-codes').addEventListener('click', printCodes);
  byId('clear-codes').addEventListener('click', clearCodes);
  window.addEventListener('afterprint', () => document.body.classList.remove('printing-codes'));
  window.addEventListener('beforeunload', (event) => {
    // Codes are shown once: leaving before printing them would lose them.
    if (state.codes.length && !state.codesPrinted) event.preventDefault();
  });
  onLanguageChange(() => {
    const values = new FormData(byId('convene-form'));
    buildConveneForm();
    for (const [k, v] of values) {
      const el = byId('convene-form').elements.namedItem(k);
      if (el) el.value = v;
    }
    if (state.sessionId && state.view) {
      // Rebuild the skeleton's labels but keep what was typed.
      const kept = ['register-lines', 'teller-lines', 'candidate-id', 'candidate-name'].map((id) => [id, document.getElementById(id)?.value || '']);
      buildConsole();
      for (const [id, v] of kept) byId(id).value = v;
      render();
    }
    if (state.token) fillSessionPicker(byId('session'), state.sessionId, pick).catch(() => {});
  });
  const token = storedToken();
  if (token) {
    try {
      await checkToken(token);
      state.token = token;
      await showConsole();
      return;
    } catch {
      signOut();
      return;
    }
  }
  byId('login').hidden = false;
}

main();
