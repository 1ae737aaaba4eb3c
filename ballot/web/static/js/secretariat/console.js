// The session console: its skeleton (forms built once per session, which keep what is typed
// in them) and the redraw of its status parts (overview, roll, candidates, tellers, rounds,
// closing, codes sheet) when the session changes.

import { byId, h, replace } from '../dom.js';
import { formatNumber, t } from '../i18n.js';
import { renderCandidates, nominate } from './candidates.js';
import { renderClosing } from './closing.js';
import { renderCodes } from './codes.js';
import { issueAll, presentAll, registerMembers, renderRoll } from './roll.js';
import { renderRounds } from './rounds.js';
import { state } from './state.js';
import { appointTellers, renderTellers } from './tellers.js';

/** A panel: heading, forms, where its refusals go (#<id>-errors), its status part (#<bodyId>). */
function section(id, headingKey, bodyId, ...forms) {
  return h('section', { id, class: 'panel', 'aria-labelledby': `${id}-heading` }, h('h2', { id: `${id}-heading`, text: t(headingKey) }), forms, h('div', { id: `${id}-errors` }), h('div', { id: bodyId }));
}

export function buildConsole() {
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
    section('rounds', 'sec.rounds_heading', 'rounds-body'),
    section(
      'members',
      'sec.members_heading',
      'roll',
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
    ),
    section(
      'candidates',
      'sec.candidates_heading',
      'candidate-list',
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
    ),
    section(
      'tellers',
      'sec.tellers_heading',
      'tellers-body',
      h(
        'form',
        { id: 'tellers-form' },
        h('label', { for: 'teller-lines', text: t('sec.tellers_label') }),
        h('span', { class: 'hint', id: 'teller-hint' }),
        h('textarea', { id: 'teller-lines', name: 'lines', required: true, 'aria-describedby': 'teller-hint', spellcheck: 'false', placeholder: 'T1, Teller One\nT2, Teller Two\nT3, Teller Three' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('sec.appoint') })),
      ),
    ),
    section('closing', 'sec.closing_heading', 'closing-body'),
  );
  byId('register-form').addEventListener('submit', registerMembers);
  byId('nominate-form').addEventListener('submit', nominate);
  byId('tellers-form').addEventListener('submit', appointTellers);
  byId('issue-all').addEventListener('click', (e) => issueAll(e.currentTarget));
  byId('present-all').addEventListener('click', (e) => presentAll(e.currentTarget));
  root.hidden = false;
}

/** Redraw the status parts, keeping keyboard focus on the same control. */
export function render() {
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
