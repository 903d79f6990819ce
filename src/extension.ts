// Composes the extension: the log, the inspection and translation engines, the hover, the commands.

import * as vscode from 'vscode';
import * as inspectSelection from './commands/inspectSelection';
import * as inspectWithDecoderText from './commands/inspectWithDecoderText';
import * as showTranslationAttention from './commands/showTranslationAttention';
import * as toggleHoverTranslation from './commands/toggleHoverTranslation';
import * as translateSelection from './commands/translateSelection';
import * as translationEdits from './commands/translationEdits';
import * as walkthrough from './commands/walkthrough';
import * as downloadModel from './commands/downloadModel';
import * as openModel from './commands/openModel';
import * as restartEngine from './commands/restartEngine';
import * as setHubToken from './commands/setHubToken';
import * as showEngineLog from './commands/showEngineLog';
import * as showModelInfo from './commands/showModelInfo';
import * as translationHover from './hover/translationHoverProvider';
import { ModelController } from './model/modelController';
import { TranslationController } from './model/translationController';
import { InspectionPanel, PanelServices } from './panel/inspectionPanel';
import type { PanelQuestion } from './protocol/engineProtocol';

export interface TransformerInspectorApi {
  /** For tests and other extensions: the host-side model state and engine client. */
  readonly models: ModelController;
  readonly translator: TranslationController;
}

export function activate(context: vscode.ExtensionContext): TransformerInspectorApi {
  const log = vscode.window.createOutputChannel('Transformer Inspector', { log: true });
  const enginePath = vscode.Uri.joinPath(context.extensionUri, 'dist', 'engineProcess.js').fsPath;
  const models = new ModelController(enginePath, log);
  const translator = new TranslationController(enginePath, log);
  const panelServices: PanelServices = {
    extensionUri: context.extensionUri,
    log,
    answer: (method, params) => {
      // A translation's heads are the translation engine's; every other question is about an inspection.
      if (method === 'headDependence') {
        const p = params as { text: string; targetLanguage?: string };
        // One decode per head: seconds. The notification counts them and can cancel.
        return Promise.resolve(vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Translating again with each head switched off'), cancellable: true },
          (progress, token) => translator.headDependence(p.text, p.targetLanguage, (message) => progress.report({ message: vscode.l10n.t('{0} heads', message) }), token),
        ));
      }
      return models.answer({ method, params } as PanelQuestion);
    },
    rerun: async (panel, what) => {
      if (what.kind === 'inspect') await inspectSelection.inspectIntoPanel(models, panel, what.text, what.target, what.model);
      else panel.showTranslation(await translator.translate(what.text, what.targetLanguage));
    },
  };
  context.subscriptions.push(
    log,
    models,
    openModel.register(context, models),
    downloadModel.register(context, log),
    setHubToken.register(context),
    inspectSelection.register(models, panelServices),
    inspectWithDecoderText.register(models, panelServices),
    InspectionPanel.registerSerializer(panelServices),
    showModelInfo.register(models),
    showEngineLog.register(log),
    restartEngine.register(models, translator),
    translator,
    translationHover.register(translator),
    translateSelection.register(translator, panelServices),
    showTranslationAttention.register(translator, panelServices),
    toggleHoverTranslation.register(),
    translationEdits.register(),
    walkthrough.register(translator),
  );
  return { models, translator };
}

export function deactivate(): void {}
