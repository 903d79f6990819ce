// The hover's content: the translation, its word alignment, notes, and command links
// (show attention, replace, copy).

import * as vscode from 'vscode';
import type { Translation } from '../protocol/inspection';
import { wordAlignment } from '../report/wordAlignment';

export const COMMAND_SHOW_TRANSLATION_ATTENTION = 'transformerInspector.showTranslationAttention';
export const COMMAND_REPLACE_WITH_TRANSLATION = 'transformerInspector.replaceWithTranslation';
export const COMMAND_COPY_TRANSLATION = 'transformerInspector.copyTranslation';

const MAX_PAIRS = 8;
const LANGUAGE_NAMES: Record<string, string> = { en: 'English', zh: '中文' };

/** Arguments of the replace command: where the source text is and what replaces it. */
export interface ReplaceArgs {
  readonly uri: string;
  readonly range: readonly [number, number, number, number];
  readonly text: string;
}

export interface AttentionArgs {
  readonly text: string;
  readonly targetLanguage: string;
}

function commandLink(label: string, command: string, args: unknown, tooltip: string): string {
  return `[${label}](command:${command}?${encodeURIComponent(JSON.stringify([args]))} "${tooltip}")`;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** The generation notices a translation can carry (src/engine/generation.ts), in the display language; others as they are. */
function localizedNotice(notice: string): string {
  if (notice === 'The model started repeating itself; the repetition was cut.') return vscode.l10n.t('The model started repeating itself; the repetition was cut.');
  const limit = /^The translation reached the limit of (\d+) tokens before its end\.$/.exec(notice);
  return limit ? vscode.l10n.t('The translation reached the limit of {0} tokens before its end.', limit[1]) : notice;
}

/** `replaceRange`: where the translated text is, when replacing it makes sense. */
export function hoverMarkdown(translation: Translation, uri: vscode.Uri, replaceRange: vscode.Range | undefined, notes: readonly string[]): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.isTrusted = { enabledCommands: [COMMAND_SHOW_TRANSLATION_ATTENTION, COMMAND_REPLACE_WITH_TRANSLATION, COMMAND_COPY_TRANSLATION] };
  const language = LANGUAGE_NAMES[translation.targetLanguage ?? ''] ?? translation.targetLanguage ?? '';
  markdown.appendMarkdown(`$(globe) **${escape(translation.text)}**\n\n`);
  const pairs = wordAlignment(translation).slice(0, MAX_PAIRS);
  if (pairs.length) markdown.appendMarkdown(`${pairs.map((pair) => `${escape(pair.target)} ← ${escape(pair.source)}`).join(' · ')}\n\n`);
  for (const note of [...notes, ...translation.notices.map(localizedNotice)]) markdown.appendMarkdown(`*${escape(note)}*\n\n`);
  const attention: AttentionArgs = { text: translation.sourceText, targetLanguage: translation.targetLanguage ?? 'auto' };
  const links = [commandLink(`$(eye) ${vscode.l10n.t('Show attention')}`, COMMAND_SHOW_TRANSLATION_ATTENTION, attention, vscode.l10n.t('Which source words each translated word attended to'))];
  if (replaceRange) {
    const { start, end } = replaceRange;
    const replace: ReplaceArgs = { uri: uri.toString(), range: [start.line, start.character, end.line, end.character], text: translation.text };
    links.push(commandLink(`$(replace) ${vscode.l10n.t('Replace with translation')}`, COMMAND_REPLACE_WITH_TRANSLATION, replace, vscode.l10n.t('Replace the text with its translation (undo restores it)')));
  }
  links.push(commandLink(`$(copy) ${vscode.l10n.t('Copy')}`, COMMAND_COPY_TRANSLATION, { text: translation.text }, vscode.l10n.t('Copy the translation')));
  markdown.appendMarkdown(links.join(' · '));
  markdown.appendMarkdown(`\n\n<small>${language} · ${Math.round(translation.timingsMs.total ?? 0)} ms · Transformer Inspector</small>`);
  markdown.supportHtml = true;
  return markdown;
}
