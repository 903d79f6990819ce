// "Translate Selection": translates the selection (or the current line) and offers to replace
// it, copy it, or show the attention behind it.

import * as vscode from 'vscode';
import { readTranslationSettings } from '../model/settings';
import { TranslationController } from '../model/translationController';
import { InspectionPanel, PanelServices } from '../panel/inspectionPanel';
import type { Translation } from '../protocol/inspection';
import { HOVER_SELECTOR, hoverTarget, showTranslationHover } from '../hover/translationHoverProvider';

export const COMMAND_TRANSLATE_SELECTION = 'transformerInspector.translateSelection';

/** The selection, or the current line when nothing is selected. */
export function selectedText(editor: vscode.TextEditor): { text: string; range: vscode.Range } {
  const { selection, document } = editor;
  const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
  return { text: document.getText(range), range };
}

/** Translates with a cancellable progress notification; undefined when cancelled or failed. */
export async function translateWithProgress(translator: TranslationController, text: string, target?: string): Promise<Translation | undefined> {
  const settings = readTranslationSettings();
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Translating…'), cancellable: true },
      async (_progress, token) => {
        const input = text.slice(0, settings.maxLength);
        // Text already in the target language is still translated when asked for: into the other one.
        const fallback = settings.targetLanguage === 'zh' ? 'en' : 'zh';
        return translator.translate(input, target ?? (await translator.targetFor(input)) ?? fallback, token);
      },
    );
  } catch (error) {
    translator.reportFailure(error);
    return undefined;
  }
}

/** The selection; else the comment, string or sentence the cursor's line holds (as a hover finds it, markers left out); else the line. */
function commandTarget(editor: vscode.TextEditor): { text: string; range: vscode.Range } {
  if (!editor.selection.isEmpty) return selectedText(editor);
  const line = editor.document.lineAt(editor.selection.active.line);
  const middle = line.firstNonWhitespaceCharacterIndex + Math.floor((line.text.trimEnd().length - line.firstNonWhitespaceCharacterIndex) / 2);
  for (const character of [editor.selection.active.character, middle]) {
    const found = hoverTarget(editor.document, new vscode.Position(line.lineNumber, character));
    if (found && found.text.trim()) return { text: found.text, range: found.range };
  }
  return selectedText(editor);
}

export function register(translator: TranslationController, services: PanelServices): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_TRANSLATE_SELECTION, async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const { text, range } = commandTarget(editor);
    if (text.trim() === '') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select some text, or put the cursor on a line with text, to translate it.'));
      return undefined;
    }
    const translation = await translateWithProgress(translator, text.trim());
    if (!translation) return undefined;
    // Beside the selection, as the hover shows it (source highlighted, translation, Replace / Copy / Show attention).
    if (vscode.languages.match(HOVER_SELECTOR, editor.document) > 0) {
      await showTranslationHover(editor, range);
      return translation;
    }
    const replace = vscode.l10n.t('Replace');
    const copy = vscode.l10n.t('Copy');
    const attention = vscode.l10n.t('Show Attention');
    void vscode.window.showInformationMessage(`${text.trim()} → ${translation.text}`, replace, copy, attention).then(async (choice) => {
      if (choice === replace) {
        const start = editor.document.offsetAt(range.start) + (text.length - text.trimStart().length);
        const target = new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(start + text.trim().length));
        await editor.edit((edit) => edit.replace(target, translation.text));
      } else if (choice === copy) {
        await vscode.env.clipboard.writeText(translation.text);
      } else if (choice === attention) {
        InspectionPanel.show(services).showTranslation(translation);
      }
    });
    return translation;
  });
}
