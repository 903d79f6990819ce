// Hover translation: the comment, string, sentence or selection under the mouse, translated by
// the local model. Moving away cancels the request; nothing shows where there is nothing to
// translate (code, punctuation, numbers, text already in the target language).

import * as vscode from 'vscode';
import { readTranslationSettings } from '../model/settings';
import { TranslationController } from '../model/translationController';
import { hoverMarkdown } from './hoverContent';
import { findTextAt } from './textUnderCursor';

/** Documents the hover serves: files (local or remote), untitled editors and notebook cells. */
export const HOVER_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-notebook-cell' }, { scheme: 'vscode-remote' }];

export interface HoverTarget {
  /** Exactly the document's text in `range`, except identifiers, which are split into words. */
  readonly text: string;
  readonly range: vscode.Range;
  /** Identifiers are code: translating them is for reading, not for replacing. */
  readonly replaceable: boolean;
}

/** The selection if the mouse is in it, else what findTextAt sees at the position. */
export function hoverTarget(document: vscode.TextDocument, position: vscode.Position): HoverTarget | undefined {
  const editor = vscode.window.activeTextEditor;
  const selection = editor?.document === document ? editor.selections.find((entry) => !entry.isEmpty && entry.contains(position)) : undefined;
  if (selection) return { text: document.getText(selection), range: selection, replaceable: true };
  const span = findTextAt((line) => (line < document.lineCount ? document.lineAt(line).text : ''), position.line, position.character, document.languageId, readTranslationSettings().trigger);
  return span && { text: span.text, range: new vscode.Range(span.line, span.start, span.line, span.end), replaceable: span.kind !== 'identifier' };
}

/** Cuts text to the configured maximum at a word boundary where one is near. */
export function limitLength(text: string, maxLength: number): { text: string; note?: string } {
  if (text.length <= maxLength) return { text };
  const space = text.lastIndexOf(' ', maxLength);
  const cut = space > maxLength * 0.8 ? space : maxLength;
  return { text: text.slice(0, cut), note: vscode.l10n.t('Only the first {0} of {1} characters were translated.', cut, text.length) };
}

/** What a hover translates: the text (cut to the maximum), where it starts in its target, and into which language. */
interface HoverRequest {
  readonly target: HoverTarget;
  readonly leading: number;
  readonly text: string;
  readonly note?: string;
  readonly targetLanguage: string;
}

/** The translation a hover at `position` asks for, or undefined where it shows nothing. */
export async function hoverRequest(translator: TranslationController, document: vscode.TextDocument, position: vscode.Position): Promise<HoverRequest | undefined> {
  const target = hoverTarget(document, position);
  if (!target) return undefined;
  const leading = target.text.length - target.text.trimStart().length;
  const { text, note } = limitLength(target.text.trim(), readTranslationSettings().maxLength);
  const targetLanguage = await translator.targetFor(text);
  return targetLanguage ? { target, leading, text, note, targetLanguage } : undefined;
}

/** A hover Translate Selection asked for: shown even where hovers are switched off. */
let requested: { readonly uri: string; readonly range: vscode.Range } | undefined;

/**
 * Shows the translation of `range` as the hover over it, where the user is looking, with its
 * Replace / Copy / Show attention links; the range is selected so the hover translates all of it.
 */
export async function showTranslationHover(editor: vscode.TextEditor, range: vscode.Range): Promise<void> {
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  requested = { uri: editor.document.uri.toString(), range };
  try {
    await vscode.commands.executeCommand('editor.action.showHover');
  } finally {
    // The provider has been asked by the time the command returns; later hovers follow the setting again.
    setTimeout(() => (requested = undefined), 2000);
  }
}

function wasRequested(document: vscode.TextDocument, position: vscode.Position): boolean {
  return !!requested && requested.uri === document.uri.toString() && requested.range.contains(position);
}

export function register(translator: TranslationController): vscode.Disposable {
  return vscode.languages.registerHoverProvider(HOVER_SELECTOR, {
    async provideHover(document, position, token) {
      if (!readTranslationSettings().hoverEnabled && !wasRequested(document, position)) return undefined;
      try {
        const request = await hoverRequest(translator, document, position);
        if (!request || token.isCancellationRequested) return undefined;
        const { target, leading, text, note } = request;
        const translation = await translator.translate(text, request.targetLanguage, token);
        if (token.isCancellationRequested || translation.text.trim() === '') return undefined;
        // Replace exactly what was translated: a cut text keeps its untranslated rest.
        const from = document.offsetAt(target.range.start) + leading;
        const replaceRange = target.replaceable ? new vscode.Range(document.positionAt(from), document.positionAt(from + text.length)) : undefined;
        return new vscode.Hover(hoverMarkdown(translation, document.uri, replaceRange, note ? [note] : []), target.range);
      } catch (error) {
        translator.reportFailure(error);
        return undefined;
      }
    },
  });
}
