// The hover's "Replace with translation" and "Copy" links. Their arguments come from a command
// URI, so they are checked before use.

import * as vscode from 'vscode';
import { COMMAND_COPY_TRANSLATION, COMMAND_REPLACE_WITH_TRANSLATION, ReplaceArgs } from '../hover/hoverContent';

function isReplaceArgs(value: unknown): value is ReplaceArgs {
  const args = value as ReplaceArgs;
  return typeof args?.uri === 'string' && typeof args.text === 'string' && Array.isArray(args.range) && args.range.length === 4 && args.range.every(Number.isInteger);
}

export function register(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMAND_REPLACE_WITH_TRANSLATION, async (args: unknown) => {
      if (!isReplaceArgs(args)) return false;
      const [startLine, startCharacter, endLine, endCharacter] = args.range;
      const edit = new vscode.WorkspaceEdit();
      edit.replace(vscode.Uri.parse(args.uri), new vscode.Range(startLine, startCharacter, endLine, endCharacter), args.text);
      return vscode.workspace.applyEdit(edit);
    }),
    vscode.commands.registerCommand(COMMAND_COPY_TRANSLATION, async (args: unknown) => {
      const text = (args as { text?: unknown })?.text;
      if (typeof text !== 'string') return;
      await vscode.env.clipboard.writeText(text);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Translation copied'), 2000);
    }),
  );
}
