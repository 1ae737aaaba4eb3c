// The enrollment codes sheet: codes are shown once, kept only in this page's memory, printed
// alone (one card per delegation or teller), and the page warns before leaving unprinted ones.

import { byId, h, replace } from '../dom.js';
import { formatDate, t } from '../i18n.js';
import { confirmDialog } from '../ui.js';
import { sid, state } from './state.js';

/** Keep an issued code for the sheet (`kind`: delegation or teller). */
export function addCode(issued, kind, name) {
  state.codes.push({ ...issued, kind, name, sessionId: sid(), sessionTitle: state.view?.session.title || sid() });
  state.codesPrinted = false;
}

export function renderCodes() {
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

export function printCodes() {
  document.body.classList.add('printing-codes');
  state.codesPrinted = true;
  window.print();
}

export async function clearCodes() {
  if (!state.codesPrinted && !(await confirmDialog(t('codes.clear_confirm'), { confirm: t('codes.clear'), danger: true }))) return;
  state.codes = [];
  state.codesPrinted = true;
  renderCodes();
}
