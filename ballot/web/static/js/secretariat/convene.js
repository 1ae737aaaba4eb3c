// Convening a session: the title, the optional id and every rule (SessionSettings).

import { byId, focus, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, busy, fillSessionPicker } from '../ui.js';
import { call, state } from './state.js';

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
  { name: 'witnesses_required', type: 'number', value: 0, min: 0, max: 16 },
];

export function buildConveneForm() {
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

/** Convene from the form, then show the new session (`page`: the console's SessionPage). */
export async function convene(event, page) {
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
    await fillSessionPicker(byId('session'), created.session_id, page.pick);
    await page.pick(created.session_id);
    focus(byId('overview-heading'));
  });
}
