// Pieces shared by the four pages (their start-up is page.js): error boxes, the live
// indicator, a modal confirmation, session pickers and the names of options, decisions and
// phases.

import { api, listSessions } from './api.js';
import { byId, h, newId, replace } from './dom.js';
import { onLanguageChange, problemText, t } from './i18n.js';

/** Say something to screen-reader users without moving focus (the page's #announcer). */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A separate task, so that repeating the same sentence is announced again.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** An alert box for a refusal: the translated message, the code and the server's detail. */
export function errorBox(error, { prefix } = {}) {
  const lines = [];
  const errors = error && error.problem && Array.isArray(error.problem.errors) ? error.problem.errors : [];
  for (const e of errors.slice(0, 5)) lines.push(`${(e.loc || []).join('.')}: ${e.msg}`);
  const detail = error && (error.detail || error.message);
  return h(
    'div',
    { class: 'error', role: 'alert', dataset: { code: (error && error.code) || '' } },
    h('strong', { text: prefix ? `${prefix} ${problemText(error)}` : problemText(error) }),
    (detail || error?.code) &&
      h(
        'details',
        {},
        h('summary', { text: t('common.technical_detail') }),
        h('p', {}, h('code', { text: error?.code || '' }), detail ? ` — ${detail}` : ''),
        lines.length ? h('ul', {}, lines.map((l) => h('li', { text: l }))) : null,
      ),
  );
}

/** Show an error in a container (replacing what it held), or clear it with `null`. */
export function showError(container, error, options) {
  if (error === null || error === undefined) replace(container);
  else replace(container, errorBox(error, options));
}

/** Keep a live indicator (an element with class live-status) in step with a Feed. */
export function liveIndicator(el) {
  let state = 'connecting';
  const render = () => {
    el.classList.remove('live', 'reconnecting', 'connecting');
    el.classList.add(state);
    el.textContent = t(`live.${state}`);
  };
  onLanguageChange(render);
  render();
  return (next) => {
    state = next;
    render();
  };
}

/**
 * Ask for confirmation in a modal <dialog> (focus is trapped and restored by the browser).
 * Resolves true if confirmed.
 */
export function confirmDialog(message, { confirm = t('common.confirm'), danger = false } = {}) {
  return new Promise((resolve) => {
    const titleId = newId('dlg');
    const yes = h('button', { type: 'submit', value: 'yes', class: danger ? 'danger' : '' }, confirm);
    const no = h('button', { type: 'submit', value: 'no', class: 'secondary' }, t('common.cancel'));
    const dialog = h(
      'dialog',
      { 'aria-labelledby': titleId },
      h('form', { method: 'dialog' }, h('p', { id: titleId, text: message }), h('div', { class: 'actions' }, yes, no)),
    );
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    dialog.showModal();
    no.focus();
  });
}

/** Run an async action from a button: disabled while busy, errors shown in `errors`. */
export async function busy(button, errors, action) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  if (errors) replace(errors);
  try {
    return await action();
  } catch (error) {
    if (errors) showError(errors, error);
    else throw error;
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/** Name of a ballot option: a candidate's name, or blank / yes / no in words. */
export function optionLabel(option, candidates = new Map()) {
  if (option === 'blank' || option === 'yes' || option === 'no') return t(`option.${option}`);
  const c = candidates.get(option);
  return c ? c.name : option;
}

/** Map candidate id → candidate row, from a session view. */
export function candidateMap(view) {
  return new Map((view?.candidates || []).map((c) => [c.candidate_id, c]));
}

/**
 * Fill a session <select> from the public list and keep it in step with `current`; calls
 * `onPick(id)` when the user chooses. Returns the sessions.
 */
export async function fillSessionPicker(select, current, onPick, { filter = () => true } = {}) {
  const sessions = (await listSessions()).filter(filter);
  replace(
    select,
    h('option', { value: '', text: t('session.choose') }),
    sessions.map((s) =>
      h('option', { value: s.session_id, selected: s.session_id === current }, `${s.title} (${s.session_id}) — ${t(`phase.${s.phase}`)}`),
    ),
  );
  select.value = current && sessions.some((s) => s.session_id === current) ? current : '';
  if (!select.dataset.bound) {
    select.dataset.bound = '1';
    select.addEventListener('change', () => onPick(select.value));
  }
  return sessions;
}

/** The public session view, or null if there is no such session. */
export async function loadSession(sessionId) {
  return api(`/api/v1/sessions/${encodeURIComponent(sessionId)}`);
}

/** A yes/no cell: a check or a cross, with the word for screen readers and print. */
export function yesNo(value) {
  return h('span', { class: value ? 'yes' : 'no', text: value ? t('common.yes') : t('common.no') });
}

/** A status tag. */
export function tag(text, kind = 'muted') {
  return h('span', { class: `tag ${kind}`, text });
}

export { byId };
