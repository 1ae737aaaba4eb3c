// Form pieces of the console: "code, name" lines typed in bulk, a labelled check box, and a
// modal asking for a reason.

import { h, newId } from '../dom.js';
import { t } from '../i18n.js';

/** Lines "ID, name[, observer]" (also ; or tab; # starts a comment): the entries and the problems. */
export function parseLines(text) {
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

/** A check box labelled for screen readers (the visible label is the column's). */
export function checkbox(id, label, checked, onchange, disabled = false) {
  const input = h('input', { type: 'checkbox', id, checked, disabled });
  input.addEventListener('change', () => onchange(input.checked, input));
  return h('span', { class: 'check' }, input, h('label', { for: id, class: 'visually-hidden', text: label }));
}

/** A modal asking for a short reason; resolves to the text, or null if cancelled. */
export function reasonDialog(message, confirmLabel) {
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
