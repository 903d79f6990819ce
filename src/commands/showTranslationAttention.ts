// "Show Translation Attention": translates (from the hover's link, the selection or the current
// line) and opens the panel on the cross-attention behind each translated word.

import * as vscode from 'vscode';
import { AttentionArgs, COMMAND_SHOW_TRANSLATION_ATTENTION } from '../hover/hoverContent';
import { TranslationController } from '../model/translationController';
import { InspectionPanel, PanelServices } from '../panel/inspectionPanel';
import { selectedText, translateWithProgress } from './translateSelection';

export function register(translator: TranslationController, services: PanelServices): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_SHOW_TRANSLATION_ATTENTION, async (args?: AttentionArgs) => {
    const editor = vscode.window.activeTextEditor;
    const text = typeof args?.text === 'string' ? args.text : editor ? selectedText(editor).text.trim() : '';
    if (text === '') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select some text, or put the cursor on a line with text, to translate it.'));
      return undefined;
    }
    const translation = await translateWithProgress(translator, text, typeof args?.targetLanguage === 'string' && args.targetLanguage !== 'auto' ? args.targetLanguage : undefined);
    if (translation) InspectionPanel.show(services).showTranslation(translation);
    return translation;
  });
}
