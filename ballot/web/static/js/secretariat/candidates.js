// Candidates: nomination, withdrawal (with a reason), acclamation of a sole candidate.

import { path } from '../api.js';
import { byId, focus, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, busy, confirmDialog, tag } from '../ui.js';
import { reasonDialog } from './forms.js';
import { call, memberName, refresh, sid, state } from './state.js';

export async function nominate(event) {
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

export function renderCandidates() {
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
