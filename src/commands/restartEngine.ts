// "Restart Engine": fresh engine processes (inspection and translation) with their restart
// budgets cleared and their models reloaded.

import * as vscode from 'vscode';
import { COMMAND_RESTART, ModelController } from '../model/modelController';
import type { TranslationController } from '../model/translationController';

export function register(models: ModelController, translator: TranslationController): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_RESTART, async () => {
    try {
      await Promise.all([models.restart(), translator.restart()]);
    } catch (error) {
      void models.reportFailure(error);
    }
  });
}
