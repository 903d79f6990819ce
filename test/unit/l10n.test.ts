// English and Simplified Chinese are complete: the manifest's %keys% (package.nls*.json), the host's
// vscode.l10n.t messages (l10n/bundle.l10n*.json) and the panel's string table (l10n/webview.zh-cn.json).

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { collectL10nMessages, englishBundle } from '../../scripts/l10nExport';
import { english as webviewEnglish } from '../../webview/strings';

const root = path.resolve(__dirname, '..', '..');
const json = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;
const HAN = /\p{Script=Han}/u;

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\d+)\}/g)].map((match) => match[0]).sort();
}

/** Same keys, a string for each, the same placeholders, and Chinese for (nearly) every one. */
function assertTranslation(english: Record<string, unknown>, chinese: Record<string, unknown>, name: string, untranslated: readonly string[] = []): void {
  const missing = Object.keys(english).filter((key) => !(key in chinese));
  const extra = Object.keys(chinese).filter((key) => !(key in english));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${name}: keys missing or extra in the Chinese`);
  for (const [key, value] of Object.entries(chinese)) {
    assert.equal(typeof value, 'string', `${name}: ${key}`);
    assert.ok((value as string).trim(), `${name}: ${key} is empty`);
    assert.deepEqual(placeholders(value as string), placeholders(english[key] as string), `${name}: ${key} keeps its placeholders`);
    if (!untranslated.includes(key)) assert.match(value as string, HAN, `${name}: ${key} is not translated: ${JSON.stringify(value)}`);
  }
}

test('package.nls.json holds exactly the %keys% package.json uses, and package.nls.zh-cn.json translates every one', () => {
  const manifest = readFileSync(path.join(root, 'package.json'), 'utf8');
  const used = [...new Set([...manifest.matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]))].sort();
  const english = json('package.nls.json');
  assert.deepEqual(Object.keys(english).sort(), used, 'package.nls.json: keys missing or unused');
  // Names: the product and its palette category stay as they are.
  assertTranslation(english, json('package.nls.zh-cn.json'), 'package.nls.zh-cn.json', ['displayName', 'category']);
});

test('l10n/bundle.l10n.json is exactly the vscode.l10n.t messages of src/, and the Chinese bundle translates each', () => {
  const { messages, dynamic } = collectL10nMessages(root);
  assert.deepEqual(dynamic, [], 'every l10n.t message is a literal');
  assert.ok(messages.size > 50, `found ${messages.size} messages`);
  assert.deepEqual(json('l10n/bundle.l10n.json'), englishBundle(messages), 'l10n/bundle.l10n.json is stale: run `npm run l10n`');
  assertTranslation(englishBundle(messages), json('l10n/bundle.l10n.zh-cn.json'), 'bundle.l10n.zh-cn.json', ['Transformer Inspector']);
});

test('l10n/webview.zh-cn.json translates every string of the panel (webview/strings.ts)', () => {
  // Symbols, file formats, the model-view axis letters and punctuation-only templates carry no Chinese word.
  const same: string[] = ['exportPng', 'exportSvg', 'exportJson', 'exportCsv', 'legendNorm', 'layerShort', 'headShort', 'rolloutTitle', 'viewTitle'];
  // The step-by-step view's column heads and tooltips are formulas (q·kⱼ, Σ wⱼvⱼ, k3[5] = …), as are d_model, d_ff and top-p.
  const formulas = ['stepOutput', 'stepColumn_k', 'stepColumn_product', 'stepColumn_dot', 'stepColumn_weight', 'stepColumn_v', 'stepTipQuery', 'stepTipOutput', 'stepTipKey', 'stepTipProduct', 'stepTipDot', 'stepTipScaled', 'stepTipValue', 'nextTopP', 'nextTokenId', 'archDModel', 'archDff', 'archLayerShort'];
  same.push(...formulas);
  assertTranslation(webviewEnglish, json('l10n/webview.zh-cn.json'), 'webview.zh-cn.json', same);
});

test('one Chinese term per concept (l10n/glossary.zh-cn.json) in every panel string that uses the English term', () => {
  const { terms } = json('l10n/glossary.zh-cn.json') as { terms: Record<string, string> };
  const chinese = json('l10n/webview.zh-cn.json') as Record<string, string>;
  const inconsistent: string[] = [];
  for (const [key, english] of Object.entries(webviewEnglish as Record<string, string>)) {
    for (const [term, translation] of Object.entries(terms)) {
      const uses = new RegExp(`\\b${term.replace(/[-]/g, '\\$&')}s?\\b`, 'i').test(english);
      if (uses && !chinese[key].includes(translation)) inconsistent.push(`${key}: "${term}" is ${translation}, not in ${JSON.stringify(chinese[key])}`);
    }
  }
  assert.deepEqual(inconsistent, []);
  // The Chinese never keeps the English word where the glossary has a term for it.
  const leftover = Object.entries(chinese).filter(([, value]) => /\btokens?\b|\bRollout\b/i.test(value)).map(([key]) => key);
  assert.deepEqual(leftover, []);
});

test('the checks above fail on a missing key, an extra key or a lost placeholder', () => {
  const english = { a: 'Layer {0}', b: 'Head' };
  assert.throws(() => assertTranslation(english, { a: '第 {0} 层' }, 'x'), /keys missing or extra/);
  assert.throws(() => assertTranslation(english, { a: '第 {0} 层', b: '头', c: '多' }, 'x'), /keys missing or extra/);
  assert.throws(() => assertTranslation(english, { a: '第层', b: '头' }, 'x'), /keeps its placeholders/);
  assert.throws(() => assertTranslation(english, { a: '第 {0} 层', b: 'Head' }, 'x'), /not translated/);
  assert.doesNotThrow(() => assertTranslation(english, { a: '第 {0} 层', b: '头' }, 'x'));
});
