// "Toggle Hover Translation": turns hover translation on or off (user setting).

import * as vscode from 'vscode';
import { SECTION } from '../model/settings';

export function register(): vscode.Disposable {
  return vscode.commands.registerCommand('transformerInspector.toggleHoverTranslation', async () => {
    const config = vscode.workspace.getConfiguration(SECTION);
    const enabled = !config.get<boolean>('hover.enabled', true);
    await config.update('hover.enabled', enabled, vscode.ConfigurationTarget.Global);
    vscode.window.setStatusBarMessage(enabled ? vscode.l10n.t('Hover translation on') : vscode.l10n.t('Hover translation off'), 3000);
    return enabled;
  });
}
