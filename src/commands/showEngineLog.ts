// "Show Engine Log": the output channel with load/run events and errors.

import * as vscode from 'vscode';
import { COMMAND_SHOW_LOG } from '../model/modelController';

export function register(log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => log.show(true));
}
