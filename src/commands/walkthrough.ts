// The Getting Started walkthrough's buttons: "Inspect a Sample Sentence" and "Translate a Sample Comment"
// open a small untitled document and do the step on it (the third step's button is Open Model… itself).

import * as vscode from 'vscode';
import { hoverRequest } from '../hover/translationHoverProvider';
import { readTranslationSettings } from '../model/settings';
import type { TranslationController } from '../model/translationController';
import { COMMAND_INSPECT_SELECTION } from './inspectSelection';

export const COMMAND_TRY_INSPECT = 'transformerInspector.tryInspect';
export const COMMAND_TRY_HOVER_TRANSLATION = 'transformerInspector.tryHoverTranslation';
export const COMMAND_CHOOSE_HOVER_DIRECTION = 'transformerInspector.chooseHoverDirection';

const CHINESE_COMMENT = '// 删除所选的行。';
const ENGLISH_COMMENT = '// Delete the selected rows.';

async function openUntitled(language: string, content: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ language, content });
  return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preview: false });
}

async function tryInspect(): Promise<unknown> {
  const sentence = vscode.l10n.t('The cat sat on the mat because it was tired.');
  const editor = await openUntitled('plaintext', `${sentence}\n`);
  editor.selection = new vscode.Selection(0, 0, 0, sentence.length);
  return vscode.commands.executeCommand(COMMAND_INSPECT_SELECTION);
}

/** Translates what the hover at `position` will translate, so the hover answers from the cache at once. */
async function warmHover(translator: TranslationController, document: vscode.TextDocument, position: vscode.Position): Promise<void> {
  const request = await hoverRequest(translator, document, position);
  if (!request) return;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading the translation model…') }, () => translator.translate(request.text, request.targetLanguage));
}

async function tryHoverTranslation(translator: TranslationController): Promise<void> {
  const settings = readTranslationSettings();
  if (!settings.hoverEnabled) {
    const turnOn = vscode.l10n.t('Turn On');
    if ((await vscode.window.showInformationMessage(vscode.l10n.t('Hover translation is off.'), turnOn)) !== turnOn) return;
    await vscode.commands.executeCommand('transformerInspector.toggleHoverTranslation');
  }
  const lines = [
    `// ${vscode.l10n.t('Hover a comment to read its translation by the local model.')}`,
    CHINESE_COMMENT,
    ENGLISH_COMMENT,
    'deleteRows(table, table.selection);',
  ];
  const editor = await openUntitled('typescript', `${lines.join('\n')}\n`);
  // The comment that is not in the target language is the one that gets a translation.
  const line = settings.targetLanguage === 'en' ? 1 : 2;
  const position = new vscode.Position(line, 5);
  editor.selection = new vscode.Selection(position, position);
  // A first hover waits for the model to load; one shown meanwhile can be hidden by a focus change and
  // its request cancelled, so the translation comes first and the hover shows it when asked.
  try {
    await warmHover(translator, editor.document, position);
  } catch (error) {
    translator.reportFailure(error);
    return;
  }
  await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
  await vscode.commands.executeCommand('editor.action.showHover');
}

/** The walkthrough's first-run choice: which way hovers translate (translation.targetLanguage), written for the user. */
async function chooseHoverDirection(): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration('transformerInspector');
  const current = config.get<string>('translation.targetLanguage', 'auto');
  const choices = [
    { value: 'auto', label: vscode.l10n.t('Into the language VS Code runs in'), description: vscode.l10n.t('the default') },
    { value: 'zh', label: vscode.l10n.t('English → Chinese'), description: vscode.l10n.t('Chinese text gets no hover') },
    { value: 'en', label: vscode.l10n.t('Chinese → English'), description: vscode.l10n.t('English text gets no hover') },
    { value: 'both', label: vscode.l10n.t('Both ways'), description: vscode.l10n.t('each text into the other language') },
  ].map((choice) => ({ ...choice, picked: choice.value === current, detail: choice.value === current ? vscode.l10n.t('current setting') : undefined }));
  const picked = await vscode.window.showQuickPick(choices, { title: vscode.l10n.t('Which way should hovers translate?'), placeHolder: vscode.l10n.t('Hovers over text already in the target language show nothing') });
  if (!picked) return undefined;
  await config.update('translation.targetLanguage', picked.value, vscode.ConfigurationTarget.Global);
  return picked.value;
}

export function register(translator: TranslationController): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMAND_CHOOSE_HOVER_DIRECTION, chooseHoverDirection),
    vscode.commands.registerCommand(COMMAND_TRY_INSPECT, tryInspect),
    vscode.commands.registerCommand(COMMAND_TRY_HOVER_TRANSLATION, () => tryHoverTranslation(translator)),
  );
}
