// "Set Hugging Face Access Token…": keeps the token for gated and private Hub models in VS Code's
// SecretStorage (an empty answer removes it); it never goes into settings, files or logs.

import * as vscode from 'vscode';

export const COMMAND_SET_HUB_TOKEN = 'transformerInspector.setHubToken';
const SECRET_KEY = 'transformerInspector.hubToken';

export function readHubToken(secrets: vscode.SecretStorage): Thenable<string | undefined> {
  return secrets.get(SECRET_KEY);
}

/** Asks for a token; true when one was stored. `reason` says why it is asked for (a refused download). */
export async function promptForHubToken(secrets: vscode.SecretStorage, reason?: string): Promise<boolean> {
  const stored = Boolean(await secrets.get(SECRET_KEY));
  const answer = await vscode.window.showInputBox({
    title: vscode.l10n.t('Hugging Face Access Token'),
    prompt: [
      reason,
      vscode.l10n.t('Paste a token from huggingface.co/settings/tokens (read access is enough).'),
      stored ? vscode.l10n.t('Leave empty to remove the stored token.') : undefined,
    ]
      .filter(Boolean)
      .join(' '),
    placeHolder: 'hf_…',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (/\s/.test(value.trim()) ? vscode.l10n.t('A token has no spaces.') : undefined),
  });
  if (answer === undefined) return false;
  if (answer.trim() === '') {
    if (stored) {
      await secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage(vscode.l10n.t('The Hugging Face access token was removed.'));
    }
    return false;
  }
  await secrets.store(SECRET_KEY, answer.trim());
  void vscode.window.showInformationMessage(vscode.l10n.t("The Hugging Face access token is stored in VS Code's secret storage."));
  return true;
}

export function register(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_SET_HUB_TOKEN, () => promptForHubToken(context.secrets));
}
