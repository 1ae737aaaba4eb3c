// A QR code as an SVG element, from @paulmillr/qr's bitmap: one path of unit squares (crisp at
// any size), built with createElementNS — no markup string, no inline style (the CSP allows
// neither).
import encodeQR from '@paulmillr/qr';
import { s } from './dom.js';

/** The QR code of `text` (medium error correction, a 4-module quiet zone), labelled `label`. */
export function qrCode(text, label) {
  const rows = encodeQR(text, 'raw', { ecc: 'medium', border: 4 });
  const size = rows.length;
  let d = '';
  rows.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z`; }));
  return s('svg', { class: 'qr', viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': label, 'shape-rendering': 'crispEdges', dataset: { text } },
    s('rect', { width: size, height: size, class: 'qr-light' }),
    s('path', { d, class: 'qr-dark' }));
}
