// The crypto modules must load in a browser without a bundler: imports are relative or use
// the two bare prefixes the page's import map resolves ('@noble/curves/', '@noble/hashes/'),
// to files that exist in node_modules (served under /static/vendor/), and the code uses no
// Node-only API, no console and no Math.random.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, crypto as C } from './helpers.mjs';

const DIR = join(ROOT, 'ballot', 'web', 'static', 'js', 'crypto');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.js'));

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('the module files are all there', () => {
  for (const f of ['group.js', 'encoding.js', 'elgamal.js', 'proofs.js', 'ballot.js', 'signing.js', 'index.js']) {
    assert.ok(FILES.includes(f), f);
  }
});

test('imports are relative or @noble/{curves,hashes}/ files that exist', () => {
  for (const file of FILES) {
    const source = stripComments(readFileSync(join(DIR, file), 'utf8'));
    const specifiers = [...source.matchAll(/(?:import|export)\s[^;]*?from\s+'([^']+)'/g)].map((m) => m[1]);
    assert.ok(specifiers.length > 0 || file === 'index.js', file);
    for (const spec of specifiers) {
      if (spec.startsWith('./')) {
        assert.ok(existsSync(join(DIR, spec)), `${file}: ${spec}`);
        continue;
      }
      const m = /^@noble\/(curves|hashes)\/([a-z0-9_-]+\.js)$/.exec(spec);
      assert.ok(m, `${file}: bare specifier ${spec} is not covered by the import map`);
      assert.ok(existsSync(join(ROOT, 'node_modules', '@noble', m[1], m[2])), `${file}: ${spec} missing`);
    }
    assert.doesNotMatch(source, /import\s*\(/, `${file}: no dynamic imports`);
  }
});

test('no Node-only APIs, no console, no Math.random', () => {
  const forbidden = [/\bprocess\./, /\bBuffer\b/, /\brequire\(/, /['"]node:/, /__dirname/, /\bconsole\./, /Math\.random/, /\(\?<[=!]/];
  for (const file of FILES) {
    const source = stripComments(readFileSync(join(DIR, file), 'utf8'));
    for (const pattern of forbidden) assert.doesNotMatch(source, pattern, `${file}: ${pattern}`);
  }
});

test('strings: UTF-8 exactly as given, lone surrogates refused', () => {
  assert.deepEqual(C.utf8('Émile 王 😀'), new TextEncoder().encode('Émile 王 😀'));
  // Precomposed and decomposed forms stay different (no normalisation).
  assert.notDeepEqual(C.utf8('\u00e9'), C.utf8('e\u0301'));
  for (const bad of ['a\uD800', '\uDC00b', '\uD800\uD800', '\uDBFF']) {
    assert.throws(() => C.utf8(bad), (e) => e.code === 'invalid_encoding');
  }
});
