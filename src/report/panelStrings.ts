// The panel's translated string tables (l10n/webview.<language>.json, keyed as webview/strings.ts), read by the
// extension host for the webview and by the CLI for the offline report. English is the webview's own table.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../engine/bundledModel';

const TABLE = /^webview\.([a-z]{2,3}(?:-[a-z0-9]+)*)\.json$/;

/** Languages (lowercase VS Code ids such as zh-cn) with a table in this installation. */
export function panelLanguages(root = packageRoot()): string[] {
  const dir = root && path.join(root, 'l10n');
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => TABLE.exec(name)?.[1] ?? []).sort();
}

/** The table for `language` (e.g. vscode.env.language), or undefined for English and for languages without one. */
export function panelStrings(language: string, root = packageRoot()): Record<string, string> | undefined {
  const id = language.toLowerCase();
  if (!root || !panelLanguages(root).includes(id)) return undefined;
  return JSON.parse(readFileSync(path.join(root, 'l10n', `webview.${id}.json`), 'utf8')) as Record<string, string>;
}

/** JSON for a `<script type="application/json">` block: nothing in it can close the element. */
export function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
