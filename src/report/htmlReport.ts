// The offline HTML report: one file holding the panel's own bundle and stylesheet, the full
// inspection and the panel's translations as data, under a CSP that allows nothing but those two
// nonce'd blocks. Opens from disk in any browser, with no network.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../engine/bundledModel';
import type { Inspection } from '../protocol/inspection';
import { encodeInspection } from './inspectionCodec';
import { embeddedJson, panelLanguages, panelStrings } from './panelStrings';

/** The panel's labels in the report: `auto` follows the reader's browser language; `en` or another id fixes them. */
export type ReportLanguage = string;

/** What the page reads from `#ti-strings`: a fixed language, or every table for the browser to choose from. */
export interface ReportStrings {
  readonly fixed?: string;
  readonly tables: Readonly<Record<string, Record<string, string>>>;
}

export function reportStrings(language: ReportLanguage = 'auto', root = packageRoot()): ReportStrings {
  const id = language.toLowerCase();
  const available = panelLanguages(root);
  if (id === 'auto') return { tables: Object.fromEntries(available.map((lang) => [lang, panelStrings(lang, root)!])) };
  if (id === 'en') return { fixed: 'en', tables: {} };
  if (!available.includes(id)) throw new Error(`no report language "${language}": use auto, en${available.map((lang) => `, ${lang}`).join('')}`);
  return { fixed: id, tables: { [id]: panelStrings(id, root)! } };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The panel's bundle and stylesheet from this installation. */
export function reportAssets(root = packageRoot()): { script: string; style: string } {
  const script = root && path.join(root, 'dist', 'report.js');
  const style = root && path.join(root, 'media', 'panel.css');
  if (!script || !style || !existsSync(script) || !existsSync(style)) {
    throw new Error('The report needs dist/report.js and media/panel.css: run `npm run build` first.');
  }
  return { script: readFileSync(script, 'utf8'), style: readFileSync(style, 'utf8') };
}

export function htmlReport(inspection: Inspection, assets = reportAssets(), strings: ReportStrings = reportStrings()): string {
  const nonce = randomBytes(16).toString('base64');
  // Nothing inside the data or the script may close its element early.
  const data = encodeInspection(inspection).replace(/</g, '\\u003c');
  const script = assets.script.replace(/<\/(script)/gi, '<\\/$1');
  const csp = ["default-src 'none'", `style-src 'nonce-${nonce}'`, 'img-src data: blob:', `script-src 'nonce-${nonce}'`].join('; ');
  const title = `${inspection.modelName}: ${inspection.text.slice(0, 60)}`;
  return `<!DOCTYPE html>
<html lang="${escapeHtml(strings.fixed ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Transformer Inspector — ${escapeHtml(title)}</title>
<style nonce="${nonce}">
${assets.style}
</style>
</head>
<body class="ti-report">
<main id="app" aria-live="polite"></main>
<script type="application/json" id="ti-inspection">${data}</script>
<script type="application/json" id="ti-strings">${embeddedJson(strings)}</script>
<script nonce="${nonce}">
${script}
</script>
</body>
</html>
`;
}
