// The secretariat console (/secretariat): sign in with the operator token (kept in this tab's
// sessionStorage only), convene, register member states, nominate candidates, accept
// credentials and print enrollment codes, presence and voting rights, tellers and the election
// key, rounds with live turnout, withdrawal, acclamation, checkpoints, adjournment.
//
// Forms are built once per session and keep what is typed in them; only the status parts
// (tables, turnout, round controls) are redrawn when the session changes.
//
// This module signs in and starts the page; the console's parts are in secretariat/: the one
// state object and the reload (state.js), the skeleton and overview (console.js), convening
// (convene.js), members (roll.js), candidates, tellers, rounds, closing and the codes sheet.

import { ApiError, api } from './api.js';
import { byId, focus } from './dom.js';
import { SessionPage, latest } from './page.js';
import { busy } from './ui.js';
import { clearCodes, printCodes } from './secretariat/codes.js';
import { buildConsole, render } from './secretariat/console.js';
import { buildConveneForm, convene } from './secretariat/convene.js';
import { onTurnout } from './secretariat/rounds.js';
import { redrawWith, refresh, refreshSoon, state } from './secretariat/state.js';

const TOKEN_KEY = 'ballot-web.secretariat-token';

redrawWith(render);

// -- sign-in -----------------------------------------------------------------------------------
function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

async function checkToken(token) {
  // /me accepts the secretariat token for any session id: a cheap "is this token right?".
  const me = await api('/api/v1/sessions/console/me', { token });
  if (me.role !== 'secretariat') throw new ApiError(403, { code: 'forbidden' });
}

async function signIn(event) {
  event.preventDefault();
  await busy(event.submitter, byId('login-errors'), async () => {
    const token = byId('token').value.trim();
    await checkToken(token);
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // kept in memory only
    }
    byId('token').value = '';
    state.token = token;
    await showConsole();
    focus(byId('page-title'));
  });
}

function signOut() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  page.stop();
  state.token = null;
  byId('console').hidden = true;
  byId('login').hidden = false;
  focus(byId('token'));
}

// -- page ------------------------------------------------------------------------------------
function onMessage(message) {
  if (message.kind === 'turnout') {
    onTurnout(message);
    return;
  }
  refreshSoon();
}

const page = new SessionPage(state, {
  reset: () => ({ view: null, roll: [], board: null, turnout: null }),
  hide: ['session-console'],
  async enter() {
    buildConsole();
    await refresh();
  },
  onMessage,
});

async function showConsole() {
  byId('login').hidden = true;
  byId('console').hidden = false;
  await page.open(
    (sessions) => {
      if (!sessions.length) byId('convene').hidden = false; // nothing to pick: convene one
      return latest(sessions);
    },
    { raise: true }, // a failure reaches the sign-in (its errors, or the stored token dropped)
  );
}

function relabel() {
  const values = new FormData(byId('convene-form'));
  buildConveneForm();
  for (const [k, v] of values) {
    const el = byId('convene-form').elements.namedItem(k);
    if (el) el.value = v;
  }
  if (state.sessionId && state.view) {
    // Rebuild the skeleton's labels but keep what was typed.
    const kept = ['register-lines', 'teller-lines', 'candidate-id', 'candidate-name'].map((id) => [id, document.getElementById(id)?.value || '']);
    buildConsole();
    for (const [id, v] of kept) byId(id).value = v;
    render();
  }
}

async function main() {
  await page.init({ onLanguage: relabel, pickerShown: () => Boolean(state.token) });
  buildConveneForm();
  byId('login-form').addEventListener('submit', signIn);
  byId('convene-form').addEventListener('submit', (event) => convene(event, page));
  byId('sign-out').addEventListener('click', signOut);
  byId('show-convene').addEventListener('click', () => {
    byId('convene').hidden = false;
    focus(byId('convene-heading'));
  });
  byId('print-codes').addEventListener('click', printCodes);
  byId('clear-codes').addEventListener('click', clearCodes);
  window.addEventListener('afterprint', () => document.body.classList.remove('printing-codes'));
  window.addEventListener('beforeunload', (event) => {
    // Codes are shown once: leaving before printing them would lose them.
    if (state.codes.length && !state.codesPrinted) event.preventDefault();
  });
  const token = storedToken();
  if (token) {
    try {
      await checkToken(token);
      state.token = token;
      await showConsole();
      return;
    } catch {
      signOut();
      return;
    }
  }
  byId('login').hidden = false;
}

main();
