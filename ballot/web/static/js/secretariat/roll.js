// Members: registration in bulk, credentials (one-time codes), presence and voting rights.

import { path } from '../api.js';
import { byId, focus, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, busy, confirmDialog, errorBox, tag, yesNo } from '../ui.js';
import { addCode } from './codes.js';
import { checkbox, parseLines } from './forms.js';
import { call, refresh, sid, state } from './state.js';

export async function registerMembers(event) {
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

async function issueCredentials(member, button) {
  if (member.credentials_accepted && !(await confirmDialog(t('sec.reissue_confirm', { name: member.name }), { confirm: t('sec.reissue'), danger: true }))) return;
  await busy(button, byId('members-errors'), async () => {
    const issued = await call(path`/api/v1/sessions/${sid()}/members/${member.member_id}/credentials`, { method: 'POST' });
    addCode(issued, 'delegation', member.name);
    announce(t('sec.code_issued', { name: member.name }));
    await refresh();
  });
}

export async function issueAll(button) {
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

export async function presentAll(button) {
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

export function renderRoll() {
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
