// Interface languages: English, French and Spanish (the IOM's official languages).
//
// Strings live in /static/i18n/{lang}.json as flat "area.name" keys; "{name}" placeholders are
// filled by t(). Static markup names its string with data-i18n="key" (text) or
// data-i18n-attr="attr:key;attr:key" (attributes). The choice is remembered in localStorage
// (it is not a secret) and can be forced with ?lang=fr.

export const LANGUAGES = Object.freeze({ en: 'English', fr: 'Français', es: 'Español' });
const STORAGE_KEY = 'ballot-web.lang';

let current = 'en';
let strings = {};
let english = {};
const listeners = [];
const cache = new Map();

async function load(lang) {
  if (!cache.has(lang)) {
    cache.set(
      lang,
      fetch(`/static/i18n/${lang}.json`, { cache: 'no-cache' }).then((r) => {
        if (!r.ok) throw new Error(`language file ${lang}: HTTP ${r.status}`);
        return r.json();
      }),
    );
  }
  return cache.get(lang);
}

function storedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: fall back to the browser's preference
  }
}

/** The language to start in: ?lang=, then the remembered choice, then the browser's. */
export function preferredLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked && asked in LANGUAGES) return asked;
  const stored = storedLanguage();
  if (stored && stored in LANGUAGES) return stored;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (base in LANGUAGES) return base;
  }
  return 'en';
}

/** The current language code. */
export function language() {
  return current;
}

/** Whether a key exists in the current language (or English). */
export function has(key) {
  return Object.hasOwn(strings, key) || Object.hasOwn(english, key);
}

/** The string for `key` in the current language, English if missing, else the key itself. */
export function t(key, params = {}) {
  let text = Object.hasOwn(strings, key) ? strings[key] : Object.hasOwn(english, key) ? english[key] : key;
  for (const [name, value] of Object.entries(params)) {
    text = text.split(`{${name}}`).join(typeof value === 'number' ? formatNumber(value) : String(value));
  }
  return text;
}

/** A number in the current language's notation. */
export function formatNumber(n) {
  return new Intl.NumberFormat(current).format(n);
}

/** A date and time (ISO 8601 text or Date) in the current language. */
export function formatDate(value) {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/** Translate the static markup under `root`. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/** Switch language: load its strings, set <html lang>, re-translate, notify the page. */
export async function setLanguage(lang) {
  if (!(lang in LANGUAGES)) lang = 'en';
  const [chosen, base] = await Promise.all([load(lang), load('en')]);
  current = lang;
  strings = chosen;
  english = base;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered; still applied
  }
  applyStatic();
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
  for (const select of document.querySelectorAll('select.language-picker')) select.value = lang;
  for (const fn of listeners) fn(lang);
}

/** Run `fn(lang)` after every language change (pages re-render their dynamic parts). */
export function onLanguageChange(fn) {
  listeners.push(fn);
}

/** Fill the language pickers (select.language-picker) and start in the preferred language. */
export async function initI18n() {
  for (const select of document.querySelectorAll('select.language-picker')) {
    select.replaceChildren();
    for (const [code, name] of Object.entries(LANGUAGES)) {
      const option = document.createElement('option');
      option.value = code;
      option.lang = code;
      option.textContent = name;
      select.append(option);
    }
    select.addEventListener('change', () => setLanguage(select.value));
  }
  await setLanguage(preferredLanguage());
}

/**
 * A refusal in words: the translation of its problem (or crypto) code, else the server's own
 * `detail`, else a generic sentence. Works for ApiError, CryptoError and plain errors.
 */
export function problemText(error) {
  const code = error && error.code;
  if (code && has(`problem.${code}`)) return t(`problem.${code}`);
  if (code && has(`crypto.${code}`)) return t(`crypto.${code}`);
  const detail = error && (error.detail || error.message);
  return detail ? String(detail) : t('problem.unknown');
}
