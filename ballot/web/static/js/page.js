// The start-up and session life cycle the four pages share: languages and the current-page link,
// the live indicator, the session picker (the session the link names with ?session=, else the
// page's choice), switching sessions (the feed of the old one stopped, the page's state reset,
// ?session= kept in step) and following the chosen session's live feed.

import { byId, param, replace, setParam } from './dom.js';
import { Feed } from './feed.js';
import { initI18n, onLanguageChange } from './i18n.js';
import { fillSessionPicker, liveIndicator, showError } from './ui.js';

/** Start a page: languages, the current-page link, the insecure-context warning. */
export async function initPage() {
  await initI18n();
  for (const a of document.querySelectorAll('.site-header nav a')) {
    if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
  }
  if (!window.isSecureContext) {
    const warning = document.getElementById('insecure-warning');
    if (warning) warning.hidden = false;
  }
}

/** Run `load` then `draw`, clearing the page's #errors; a failure of either is shown there. */
export async function reload(load, draw = () => {}) {
  try {
    await load();
    replace(byId('errors'));
    draw();
  } catch (error) {
    showError(byId('errors'), error);
  }
}

/** The latest session, for the pages that open one anyway (board, secretariat). */
export function latest(sessions) {
  return sessions.length ? sessions[sessions.length - 1].session_id : null;
}

/** The convened session if there is exactly one (delegation, teller: no guess among several). */
export function onlyConvened(sessions) {
  const convened = sessions.filter((s) => s.phase === 'convened');
  return convened.length === 1 ? convened[0].session_id : null;
}

/**
 * A page that shows one session at a time. `state` is the page's own state object; this sets
 * its `sessionId`. On a pick: `reset()` gives the fields to reset, the elements `hide` are
 * hidden and `clear` emptied, then (for a session) `enter(sessionId)` loads and shows it and,
 * unless it returns false, the session's feed is followed with `onMessage`.
 */
export class SessionPage {
  constructor(state, { reset = () => ({}), hide = [], clear = ['errors'], enter, onMessage }) {
    Object.assign(this, { state, reset, hide, clear, enter, onMessage });
    this.feed = null;
    this.live = () => {};
    this.pick = this.pick.bind(this);
  }

  /**
   * Start the page: languages, the live indicator; on a change of language `onLanguage()`
   * redraws and the picker is filled again (while `pickerShown()`).
   */
  async init({ onLanguage = () => {}, pickerShown = () => true } = {}) {
    await initPage();
    this.live = liveIndicator(byId('live'));
    onLanguageChange(() => {
      onLanguage();
      if (pickerShown()) this.refillPicker();
    });
  }

  /**
   * Fill the picker and open the session the link names (?session=), else `choose(sessions)`'s
   * (asked in either case). A failure to list the sessions is shown in #errors, or thrown with
   * `raise`. Resolves to the sessions.
   */
  async open(choose, { raise = false } = {}) {
    const wanted = param('session');
    let sessions = [];
    try {
      sessions = await fillSessionPicker(byId('session'), wanted, this.pick);
    } catch (error) {
      if (raise) throw error;
      showError(byId('errors'), error);
    }
    const chosen = choose(sessions);
    const initial = wanted || chosen;
    if (initial) byId('session').value = initial;
    await this.pick(initial);
    return sessions;
  }

  /** Fill the picker again (the list, in the current language), keeping the current session. */
  refillPicker() {
    return fillSessionPicker(byId('session'), this.state.sessionId, this.pick).catch(() => {});
  }

  /** Show session `sessionId` (or none). */
  async pick(sessionId) {
    this.stop();
    Object.assign(this.state, this.reset(), { sessionId: sessionId || null });
    setParam('session', sessionId);
    for (const id of this.hide) byId(id).hidden = true;
    for (const id of this.clear) replace(byId(id));
    if (!sessionId) return;
    if ((await this.enter(sessionId)) === false) return;
    this.follow();
  }

  /** Follow the current session's live feed from the position of its view (if not already). */
  follow() {
    if (this.feed) return;
    const { state } = this;
    this.feed = new Feed(state.sessionId, { after: state.view ? state.view.position : 0, onMessage: this.onMessage, onStatus: this.live }).start();
  }

  /** Stop following the feed. */
  stop() {
    if (this.feed) this.feed.stop();
    this.feed = null;
  }
}
