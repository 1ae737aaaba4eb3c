// Tellers: appointment (their codes go to the sheet), the key ceremony's progress, and the
// publication of the election key.

import { ApiError, path } from '../api.js';
import { byId, focus, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, busy, yesNo } from '../ui.js';
import { addCode } from './codes.js';
import { parseLines } from './forms.js';
import { call, refresh, sid, state } from './state.js';

export async function appointTellers(event) {
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

export function renderTellers() {
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
