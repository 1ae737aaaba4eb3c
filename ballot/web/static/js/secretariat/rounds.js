// Rounds: open, close, void; the open round's turnout live (who has deposited, who not yet);
// the next round and what blocks it; the rounds so far.

import { path } from '../api.js';
import { byId, debounce, h, replace } from '../dom.js';
import { formatNumber, t } from '../i18n.js';
import { announce, busy, candidateMap, confirmDialog, optionLabel } from '../ui.js';
import { reasonDialog } from './forms.js';
import { call, memberName, refresh, sid, state } from './state.js';

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

/** A turnout message: the figures updated in place at once, the lists re-read soon after. */
export function onTurnout(message) {
  if (state.turnout && state.turnout.round_number === message.round) {
    state.turnout = { ...state.turnout, deposited: message.deposited };
    const text = document.getElementById('turnout-text');
    const bar = document.getElementById('sec-turnout');
    if (text) text.textContent = t('board.turnout', { deposited: message.deposited, eligible: message.eligible });
    if (bar) bar.value = message.deposited;
  }
  refreshTurnoutSoon();
}

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

export function renderRounds() {
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
