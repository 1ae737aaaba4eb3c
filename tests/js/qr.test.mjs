// qr.js draws a QR code a camera reads: the SVG's squares, rasterised here, decode back to the
// link (with @paulmillr/qr's own reader), for a verifier link as long as real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import decodeQR from '@paulmillr/qr/decode.js';

// The few DOM calls dom.js makes, enough to build the SVG element tree outside a browser.
class Element {
  constructor(tag) { this.tag = tag; this.attrs = {}; this.children = []; this.dataset = {}; }
  setAttribute(k, v) { this.attrs[k] = v; }
  append(child) { this.children.push(child); }
  addEventListener() {}
}
globalThis.Node = Element;
globalThis.document = { createElementNS: (_, tag) => new Element(tag), createTextNode: (text) => new Element(`#${text}`) };
const { qrCode } = await import('../../ballot/web/static/js/qr.js');

function rasterise(svg, scale = 4) {
  const [, , w, hgt] = svg.attrs.viewBox.split(' ').map(Number);
  const path = svg.children.find((c) => c.tag === 'path').attrs.d;
  const width = w * scale;
  const height = hgt * scale;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (const [, x, y] of path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) data.fill(0, ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 3, ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 3 + 3);
    }
  }
  return { width, height, data };
}

test('the drawn QR code decodes to the verifier link', () => {
  const link = 'https://council.example.org/verify?session=iom-council-2026-dg#challenge=3XM1-PQNA-8WJG-HJ5X';
  const svg = qrCode(link, 'QR code');
  assert.equal(svg.tag, 'svg');
  assert.equal(svg.attrs['aria-label'], 'QR code');
  assert.equal(svg.dataset.text, link);
  assert.equal(decodeQR(rasterise(svg)), link);
});
