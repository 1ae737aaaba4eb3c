// The console's one state object, the calls made with the operator token, and the reload
// after every change (the sections call refresh(); what redraws is named by the entry module,
// so that no section imports the console that draws it).

import { api, path } from '../api.js';
import { debounce } from '../dom.js';
import { reload } from '../page.js';

export const state = {
  token: null,
  sessionId: null,
  view: null,
  roll: [],
  board: null,
  turnout: null,
  codes: [],
  codesPrinted: true,
};

/** An API call with the operator token. */
export function call(url, options = {}) {
  return api(url, { ...options, token: state.token });
}

/** The session shown. */
export function sid() {
  return state.sessionId;
}

export function memberName(id) {
  const m = state.roll.find((x) => x.member_id === id);
  return m ? m.name : id;
}

async function load() {
  const id = sid();
  const [view, roll, board] = await Promise.all([call(path`/api/v1/sessions/${id}`), call(path`/api/v1/sessions/${id}/roll`), call(path`/api/v1/sessions/${id}/board`)]);
  state.view = view;
  state.roll = roll.members;
  state.board = board;
  const s = view.session;
  state.turnout = null;
  if (s.current_round && s.current_round_status === 'open') {
    state.turnout = (await call(path`/api/v1/sessions/${id}/rounds/${s.current_round}/turnout`)).turnout;
  }
}

let redraw = () => {};

/** Name what redraws the console after a reload (console.js's render). */
export function redrawWith(fn) {
  redraw = fn;
}

/** Reload the session and redraw; a failure is shown in #errors. */
export async function refresh() {
  if (!sid()) return;
  await reload(load, () => redraw());
}
export const refreshSoon = debounce(refresh, 300);
