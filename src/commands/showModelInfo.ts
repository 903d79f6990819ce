// "Show Model Info": the open model's summary in a read-only document.

import * as vscode from 'vscode';
import { COMMAND_MODEL_INFO, COMMAND_OPEN_MODEL, ModelController } from '../model/modelController';
import { modelInfoText } from '../report/modelInfoText';

const SCHEME = 'transformer-inspector-info';

export function register(models: ModelController): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent: () => (models.current ? `${modelInfoText(models.current)}\n` : vscode.l10n.t('No model is open.')),
  };
  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider),
    models.onDidChangeModel(() => changed.fire(infoUri())),
    vscode.commands.registerCommand(COMMAND_MODEL_INFO, async () => {
      if (!models.current) {
        const open = vscode.l10n.t('Open Model…');
        if ((await vscode.window.showInformationMessage(vscode.l10n.t('No model is open.'), open)) === open) {
          await vscode.commands.executeCommand(COMMAND_OPEN_MODEL);
        }
        if (!models.current) return;
      }
      const document = await vscode.workspace.openTextDocument(infoUri());
      await vscode.window.showTextDocument(document, { preview: true });
    }),
  );
}

function infoUri(): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: '/Model Info' });
}
