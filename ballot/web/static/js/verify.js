// The verifier (/verify): the audit of `ballot audit`, run in this browser on a session's public
// event log (this server's, or a file), with the ballots' proofs checked by Web Workers; and a
// checked (challenged) ballot looked up in that log and opened here. It needs no token and
// trusts nothing the server says beyond the log it hands over — which the audit itself checks.
//
// Links: /verify?session=ID — #key=KEY (the checkpoint key the secretariat published, never
// sent to a server), #run (start at once), #challenge=CODE (check that ballot at once).

import { Auditor, UnusableInput } from './audit/engine.js';
import { checkWithWorkers } from './audit/pool.js';
import { b64d } from './crypto/encoding.js';
import { CryptoError } from './crypto/group.js';
import { BallotContext, ballotFromJSON, checkReveal, trackingCode } from './crypto/ballot.js';
import { signedReceiptFromJSON } from './crypto/receipt.js';
import { byId, download, focus, h, param, replace } from './dom.js';
import { formatNumber, t } from './i18n.js';
import { initPage } from './page.js';
import { announce, errorBox, optionLabel } from './ui.js';

const FRAGMENT = new URLSearchParams(location.hash.slice(1));
const YIELD_EVERY = 1000;

/** A tracking code as printed, from what a person typed (ballot/audit/receipts.py's twin). */
export function normalizeCode(code) {
  const aliases = { I: '1', L: '1', O: '0' };
  const cleaned = [...String(code).toUpperCase()].filter((c) => !'- \t'.includes(c)).map((c) => aliases[c] || c).join('');
  return cleaned.length === 16 ? [0, 4, 8, 12].map((i) => cleaned.slice(i, i + 4)).join('-') : cleaned;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

function status(text, done = 0, total = 1) {
  const bar = byId('audit-progress');
  bar.hidden = false;
  bar.max = Math.max(1, total);
  bar.value = Math.min(done, total);
  byId('audit-status').textContent = text;
}

/** The log's lines: the chosen file's, else this server's export of the session. */
async function logText(sessionId) {
  const file = byId('verify-log').files[0];
  if (file) return file.text();
  if (!sessionId) throw new CryptoError('invalid_encoding', t('verify.no_session'));
  const response = await fetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/events`, { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new CryptoError('invalid_encoding', `${response.status} ${response.statusText}`);
  return response.text();
}

async function receiptFiles() {
  const out = [];
  for (const file of byId('verify-receipts').files) {
    const obj = JSON.parse(await file.text());
    signedReceiptFromJSON(obj); // its shape, or a clear refusal before the audit starts
    out.push(obj);
  }
  return out;
}

function publishedKey() {
  const text = byId('verify-key').value.trim().replace(/=+$/, '');
  return text ? b64d(text, 32, 'checkpoint key') : null;
}

/** Audit the log; returns { report, auditor }. */
async function audit() {
  const sessionId = byId('verify-session').value.trim();
  const started = performance.now();
  status(t('verify.progress_load'));
  const options = { checkpointKey: publishedKey(), signedReceipts: await receiptFiles(), allowIncomplete: true };
  const lines = (await logText(sessionId)).split('\n').filter((line) => line !== '');
  const auditor = new Auditor(options);
  for (let i = 0; i < lines.length; i++) {
    auditor.feedLine(lines[i]);
    if (i % YIELD_EVERY === 0) {
      status(t('verify.progress_read', { done: formatNumber(i), total: formatNumber(lines.length) }), i, lines.length);
      await pause();
    }
  }
  const report = await auditor.finish(checkWithWorkers, (step, done, total) => {
    status(t(`verify.progress_${step}`, { done: formatNumber(done), total: formatNumber(total) }), done, total);
  });
  report.wall_milliseconds = Math.round(performance.now() - started);
  return { report, auditor };
}

function renderReport(report) {
  const ok = report.verified;
  const seconds = (report.wall_milliseconds / 1000).toFixed(1);
  const verdict = h('p', { id: 'audit-verdict', class: ok ? 'verified' : 'error', role: ok ? null : 'alert', dataset: { verified: ok ? 'yes' : 'no', codes: report.failed_checks.join(' ') } },
    h('strong', { text: ok ? t('verify.verified', { events: formatNumber(report.events), ballots: formatNumber(report.ballots), seconds }) : t('verify.failed', { n: formatNumber(report.failures.length) }) }));
  const failures = report.failures.slice(0, 50).map((f) => h('li', { dataset: { check: f.check } }, h('code', { text: f.check }), ` ${f.position ? t('verify.at', { position: f.position }) : ''} ${f.message}`));
  const warnings = report.warnings.map((w) => h('li', { dataset: { check: w.check } }, h('code', { text: w.check }), ` ${w.message}`));
  const json = JSON.stringify(report, null, 1);
  const save = h('button', { type: 'button', id: 'download-report', text: t('verify.download_report') });
  save.addEventListener('click', () => download(`audit-${report.session_id || 'log'}.json`, json));
  replace(byId('audit-result'),
    verdict,
    failures.length ? h('ul', { id: 'audit-failures' }, failures) : null,
    warnings.length ? h('div', {}, h('p', { text: t('verify.warnings') }), h('ul', { id: 'audit-warnings' }, warnings)) : null,
    report.not_checked.length ? h('p', { class: 'round-meta', id: 'audit-not-checked', text: t('verify.not_checked', { checks: report.not_checked.join(', ') }) }) : h('p', { class: 'round-meta', id: 'audit-all-checked', text: t('verify.all_checked') }),
    h('div', { class: 'actions' }, save),
    h('pre', { id: 'audit-report', hidden: true, text: json }));
  status(ok ? t('verify.done_ok') : t('verify.done_failed'), 1, 1);
  announce(verdict.textContent);
}

async function runSession(event) {
  event?.preventDefault();
  const button = byId('verify-run');
  button.disabled = true;
  try {
    renderReport((await audit()).report);
  } catch (error) {
    replace(byId('audit-result'), errorBox(error instanceof UnusableInput ? new CryptoError('invalid_encoding', error.message) : error));
    byId('audit-progress').hidden = true;
  } finally {
    button.disabled = false;
  }
}

/** The checked ballot `code`, from the audited log: its round's key and options, opened here. */
function openChallenge(auditor, code) {
  const entries = auditor.entries;
  const found = entries.find((e) => e.record.event_type === 'BallotChallenged' && e.record.payload.tracking_code === code);
  if (!found) throw new CryptoError('challenge_malformed', t('verify.challenge_missing', { code }));
  const p = found.record.payload;
  const opened = entries.find((e) => e.record.event_type === 'RoundOpened' && e.record.payload.round_number === p.round_number && e.at < found.at);
  const convened = entries.find((e) => e.record.event_type === 'SessionConvened');
  if (!opened || !convened) throw new CryptoError('challenge_mismatch', 'the log does not open this ballot\'s round');
  const round = opened.record.payload;
  const ctx = new BallotContext({ sessionId: convened.record.payload.session_id, roundNumber: p.round_number, electionKey: b64d(round.election_key, 32, 'election key'), delegationId: p.delegation_id, options: round.options });
  const ballot = ballotFromJSON(p.ballot);
  if (trackingCode(ctx, ballot, b64d(p.signature, 64, 'signature')) !== code) throw new CryptoError('challenge_mismatch', 'the recorded ballot is not the one this tracking code was made from');
  const choice = checkReveal(ctx, ballot, p.reveal);
  if (round.options[choice] !== p.option) throw new CryptoError('challenge_mismatch', 'the recorded option is not the revealed one');
  const names = new Map(entries.filter((e) => e.record.event_type === 'CandidateNominated').map((e) => [e.record.payload.candidate_id, e.record.payload]));
  return { option: optionLabel(round.options[choice], names), round: p.round_number, delegation: p.delegation_id };
}

async function runChallenge(event) {
  event?.preventDefault();
  const code = normalizeCode(byId('challenge-code').value);
  const out = byId('challenge-result');
  replace(out, h('p', { text: t('verify.progress_load') }));
  try {
    const { report, auditor } = await audit();
    renderReport(report);
    let verdict;
    try {
      const opened = openChallenge(auditor, code);
      verdict = h('p', { id: 'challenge-verified', class: 'verified', dataset: { verified: report.verified ? 'yes' : 'unverified-log', option: opened.option } },
        h('strong', { text: t('challenge.found', { code, n: opened.round }) }), h('br'),
        h('span', { id: 'challenge-option-held', text: t('challenge.verified', { option: opened.option }) }),
        report.verified ? null : h('span', { text: ` ${t('verify.challenge_log_failed')}` }));
    } catch (error) {
      verdict = errorBox(error, { prefix: t('challenge.not_verified') });
      verdict.id = 'challenge-verified';
      verdict.dataset.verified = 'no';
    }
    replace(out, verdict);
    announce(verdict.textContent);
  } catch (error) {
    replace(out, errorBox(error));
  }
}

async function main() {
  await initPage();
  byId('verify-session').value = param('session') || '';
  byId('verify-key').value = FRAGMENT.get('key') || '';
  byId('verify-form').addEventListener('submit', runSession);
  byId('challenge-form').addEventListener('submit', runChallenge);
  if (FRAGMENT.get('challenge')) {
    byId('challenge-code').value = FRAGMENT.get('challenge');
    focus(byId('verify-challenge-heading'));
    await runChallenge();
  } else if (FRAGMENT.has('run')) {
    await runSession();
  }
}

main();
