// "Inspect Selection": runs the model on the selected text (or the current line) and shows the
// result in the inspection panel beside the editor.

import * as vscode from 'vscode';
import { ModelController } from '../model/modelController';
import { readSettings } from '../model/settings';
import { InspectionPanel, PanelServices } from '../panel/inspectionPanel';
import type { InspectionSummary } from '../protocol/panelData';

export const COMMAND_INSPECT_SELECTION = 'transformerInspector.inspectSelection';

/**
 * Runs the model on `text` and shows it in the panel; undefined when it failed (already reported).
 * `modelPath` is the model a restored panel showed before, used when no model is open yet.
 */
export async function inspectIntoPanel(models: ModelController, panel: InspectionPanel, text: string, target?: string, modelPath?: string): Promise<InspectionSummary | undefined> {
  const info = await models.ensureModel(modelPath);
  if (!info) return undefined;
  panel.showBusy(vscode.l10n.t('Running {0}…', info.name));
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Inspecting with {0}', info.name), cancellable: true },
      (_progress, token) => models.inspect({ text, target, maxTokens: readSettings().maxTokens }, token),
    );
    panel.showInspection({ ...summary, modelPath: info.path });
    return summary;
  } catch (error) {
    panel.showError(error instanceof Error ? error.message : String(error));
    // The notification waits for the user; the command does not.
    void models.reportFailure(error);
    return undefined;
  }
}

export function register(models: ModelController, services: PanelServices): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_INSPECT_SELECTION, async (): Promise<InspectionSummary | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a file and select the text to inspect.'));
      return undefined;
    }
    const { selection, document } = editor;
    const text = selection.isEmpty ? document.lineAt(selection.active.line).text : document.getText(selection);
    if (text.trim() === '') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select some text, or put the cursor on a line with text, to inspect it.'));
      return undefined;
    }
    if (!(await models.ensureModel())) return undefined;
    return inspectIntoPanel(models, InspectionPanel.show(services), text);
  });
}
