// The bar chart of one round (SVG, no library): votes per option as horizontal bars, blank
// ballots apart (they are not "present and voting"), and a dashed line at the majority
// required. Text alternatives: <title> and <desc>, and the figures printed beside the chart.

import { newId, s } from './dom.js';
import { formatNumber, t } from './i18n.js';

// Two layouts in SVG user units; the compact one keeps labels readable on a phone (the SVG is
// scaled to the width of its container).
const LAYOUTS = {
  wide: { width: 720, label: 220, plot: 420, name: 28 },
  compact: { width: 400, label: 150, plot: 205, name: 18 },
};
const ROW = 40;
const BAR = 26;
const TOP = 34; // room for the threshold label
const BOTTOM = 30; // axis ticks

function niceTicks(max) {
  if (max <= 0) return [0];
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= rough) || magnitude * 10;
  const ticks = [];
  for (let v = 0; v <= max + 1e-9; v += Math.max(1, Math.round(step))) ticks.push(v);
  return ticks;
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The chart of a tallied round.
 * @param {object} result a RoundResult from /board (votes, blank, valid, required, …)
 * @param {(option: string) => string} labelOf option id → display name
 * @param {{compact?: boolean}} [options] compact: the narrow-screen layout
 */
export function roundChart(result, labelOf, { compact = false } = {}) {
  const { width: WIDTH, label: LABEL, plot: PLOT, name: NAME } = compact ? LAYOUTS.compact : LAYOUTS.wide;
  const options = result.options.filter((o) => o !== 'blank');
  const rows = options.map((o) => ({ option: o, votes: result.votes?.[o] ?? 0 }));
  const withBlank = result.options.includes('blank');
  if (withBlank) rows.push({ option: 'blank', votes: result.blank ?? 0 });
  const max = Math.max(1, result.valid ?? 0, ...rows.map((r) => r.votes));
  const x = (v) => LABEL + (PLOT * v) / max;
  const height = TOP + rows.length * ROW + BOTTOM;
  const titleId = newId('chart-title');
  const descId = newId('chart-desc');
  const required = result.required;

  const summary = rows
    .map((r) => `${labelOf(r.option)}: ${formatNumber(r.votes)}`)
    .concat(required !== null && required !== undefined ? [t('chart.required_line', { required })] : [])
    .join('; ');

  const svg = s(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
      dataset: { round: result.round_number, layout: compact ? 'compact' : 'wide' },
    },
    s('title', { id: titleId, text: t('chart.title', { n: result.round_number }) }),
    s('desc', { id: descId, text: summary }),
  );

  for (const tick of niceTicks(max)) {
    svg.append(
      s('line', { class: 'grid', x1: x(tick), x2: x(tick), y1: TOP - 4, y2: TOP + rows.length * ROW }),
      s('text', { x: x(tick), y: height - 8, 'text-anchor': 'middle', text: formatNumber(tick) }),
    );
  }
  svg.append(s('line', { class: 'axis', x1: LABEL, x2: LABEL, y1: TOP - 4, y2: TOP + rows.length * ROW }));

  rows.forEach((row, i) => {
    const y = TOP + i * ROW + (ROW - BAR) / 2;
    const classes = ['bar'];
    if (row.option === 'blank') classes.push('blank');
    if (result.elected && row.option === result.elected) classes.push('elected');
    if (result.eliminated && row.option === result.eliminated) classes.push('eliminated');
    const name = labelOf(row.option);
    svg.append(
      s(
        'text',
        { x: LABEL - 10, y: y + BAR / 2 + 5, 'text-anchor': 'end' },
        s('title', { text: name }),
        shorten(name, NAME),
      ),
      s('rect', {
        class: classes.join(' '),
        x: LABEL,
        y,
        width: Math.max(0, x(row.votes) - LABEL),
        height: BAR,
        dataset: { option: row.option, votes: row.votes },
      }),
      s('text', { class: 'value', x: x(row.votes) + 6, y: y + BAR / 2 + 5, text: formatNumber(row.votes) }),
    );
  });

  if (required !== null && required !== undefined) {
    const lx = x(required);
    const anchor = lx > LABEL + PLOT * 0.7 ? 'end' : 'start';
    svg.append(
      s('line', { class: 'threshold', x1: lx, x2: lx, y1: TOP - 6, y2: TOP + rows.length * ROW, dataset: { required } }),
      s('text', {
        class: 'threshold-label',
        x: anchor === 'end' ? lx - 4 : lx + 4,
        y: TOP - 12,
        'text-anchor': anchor,
        text: t('chart.required_line', { required }),
      }),
    );
  }
  return svg;
}
