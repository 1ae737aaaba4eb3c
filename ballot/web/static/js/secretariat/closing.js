// Closing: a checkpoint signed on demand, the adjournment, the audit downloads.

import { path } from '../api.js';
import { byId, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, busy } from '../ui.js';
import { reasonDialog } from './forms.js';
import { call, refresh, sid, state } from './state.js';

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

export function renderClosing() {
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
