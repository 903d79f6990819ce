// "Inspect Selection with Decoder Text…": for encoder-decoder models, runs the selection through the
// encoder and a text of the user's through the decoder (teacher forcing), so the cross-attention
// shows which source tokens each decoder token attends to.

import * as vscode from 'vscode';
import { ModelController } from '../model/modelController';
import { InspectionPanel, PanelServices } from '../panel/inspectionPanel';
import type { InspectionSummary } from '../protocol/panelData';
import { inspectIntoPanel } from './inspectSelection';
import { selectedText } from './translateSelection';

export const COMMAND_INSPECT_WITH_DECODER_TEXT = 'transformerInspector.inspectSelectionWithDecoderText';

export function register(models: ModelController, services: PanelServices): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_INSPECT_WITH_DECODER_TEXT, async (): Promise<InspectionSummary | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const text = editor ? selectedText(editor).text : '';
    if (text.trim() === '') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select some text, or put the cursor on a line with text, to inspect it.'));
      return undefined;
    }
    const info = await models.ensureModel();
    if (!info) return undefined;
    if (info.family !== 'encoder-decoder') {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is {1}: a decoder text needs an encoder-decoder model. Use Inspect Selection.', info.name, info.family));
      return undefined;
    }
    const target = await vscode.window.showInputBox({
      title: vscode.l10n.t('Decoder text for {0}', info.name),
      prompt: vscode.l10n.t('The decoder reads this text after its start token; the cross-attention then shows which source tokens each of its tokens attends to.'),
      placeHolder: vscode.l10n.t('e.g. a translation of the selection'),
      ignoreFocusOut: true,
    });
    if (target === undefined) return undefined;
    return inspectIntoPanel(models, InspectionPanel.show(services), text, target);
  });
}
