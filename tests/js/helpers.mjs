// Shared helpers of the browser-module tests (node --test tests/js/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VECTORS = join(ROOT, 'tests', 'vectors');

/** A vector file, checked for format_version 1. */
export function loadVectors(name) {
  const data = JSON.parse(readFileSync(join(VECTORS, name), 'utf8'));
  if (data.format_version !== 1) throw new Error(`${name}: unexpected format_version`);
  return data;
}

export * as crypto from '../../ballot/web/static/js/crypto/index.js';
