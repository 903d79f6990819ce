// The host's view of the engine: which model is open, loading it with progress, the status bar
// entry, and turning engine failures into messages with a way forward.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bundledModelPath } from '../engine/bundledModel';
import { EngineClient } from '../engine/client';
import { EngineError, errorMessage } from '../engine/engineError';
import { hubCacheRepoName } from '../engine/modelFolder';
import type { InspectParams, PanelQuestion } from '../protocol/engineProtocol';
import type { ModelInfo } from '../protocol/inspection';
import type { InspectionSummary } from '../protocol/panelData';
import { loadParams, readSettings } from './settings';

export const COMMAND_SHOW_LOG = 'transformerInspector.showEngineLog';
export const COMMAND_RESTART = 'transformerInspector.restartEngine';
export const COMMAND_OPEN_MODEL = 'transformerInspector.openModel';
export const COMMAND_MODEL_INFO = 'transformerInspector.showModelInfo';

export class ModelController implements vscode.Disposable {
  readonly client: EngineClient;
  private info?: ModelInfo;
  private loading?: Promise<ModelInfo | undefined>;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<ModelInfo | undefined>();
  readonly onDidChangeModel = this.changed.event;

  constructor(
    enginePath: string,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.client = new EngineClient({
      enginePath,
      onLog: (level, message) => log[level](message),
      onStopped: (reason) => void this.offerRecovery(reason),
    });
    this.statusItem = vscode.window.createStatusBarItem('transformerInspector.model', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = vscode.l10n.t('Transformer Inspector model');
    this.showStatus();
  }

  get current(): ModelInfo | undefined {
    return this.info;
  }

  /** The open model; else `preferred` if it still exists, else the configured (else bundled) one, loaded now. */
  async ensureModel(preferred?: string): Promise<ModelInfo | undefined> {
    if (this.info) return this.info;
    if (this.loading) return this.loading;
    const configured = (preferred && existsSync(preferred) ? preferred : undefined) || readSettings().model || bundledModelPath();
    if (!configured) {
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('No model is open, and no bundled model was found.'), vscode.l10n.t('Open Model…'));
      if (choice) await vscode.commands.executeCommand(COMMAND_OPEN_MODEL);
      return this.info;
    }
    return this.open(configured);
  }

  /** Loads a model with a cancellable progress notification; undefined when it failed or was cancelled. */
  open(location: string): Promise<ModelInfo | undefined> {
    const loading = this.load(location).finally(() => {
      if (this.loading === loading) this.loading = undefined;
      this.showStatus();
    });
    this.loading = loading;
    this.showStatus();
    return loading;
  }

  private async load(location: string): Promise<ModelInfo | undefined> {
    if (!(await this.trustedEnough(location))) return undefined;
    const name = hubCacheRepoName(location) ?? path.basename(location);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Loading model {0}', name), cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        try {
          const info = await this.client.call('load', loadParams(location, readSettings()), {
            signal: abort.signal,
            onProgress: (message) => progress.report({ message }),
          });
          this.info = info;
          this.changed.fire(info);
          return info;
        } catch (error) {
          if (abort.signal.aborted) {
            this.log.info(`Loading ${location} was cancelled.`);
            return undefined;
          }
          this.log.error(`Could not load ${location}: ${errorMessage(error)}`);
          void this.showError(vscode.l10n.t('Could not open the model: {0}', errorMessage(error)));
          return undefined;
        }
      },
    );
  }

  async inspect(params: InspectParams, token?: vscode.CancellationToken): Promise<InspectionSummary> {
    const abort = new AbortController();
    token?.onCancellationRequested(() => abort.abort());
    return this.client.call('inspect', params, { signal: abort.signal });
  }

  /** Answers the panel's questions about an inspection the engine keeps. */
  answer(question: PanelQuestion): Promise<unknown> {
    return this.client.call('panelQuestion', question);
  }

  /** Models inside an untrusted workspace load only after the user says so. */
  private async trustedEnough(location: string): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const inside = vscode.workspace.workspaceFolders?.some((folder) => {
      const relative = path.relative(folder.uri.fsPath, path.resolve(location));
      return !relative.startsWith('..') && !path.isAbsolute(relative);
    });
    if (!inside) return true;
    const load = vscode.l10n.t('Load Model');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('This workspace is not trusted, and the model is inside it. Model files are read by native code. Load it anyway?'),
      { modal: true, detail: location },
      load,
    );
    return answer === load;
  }

  async showError(message: string): Promise<void> {
    const showLog = vscode.l10n.t('Show Engine Log');
    const choice = await vscode.window.showErrorMessage(message, showLog);
    if (choice === showLog) await vscode.commands.executeCommand(COMMAND_SHOW_LOG);
  }

  /** Reports a failed request in the way its kind deserves. */
  async reportFailure(error: unknown): Promise<void> {
    if (error instanceof EngineError && error.code === 'cancelled') return;
    if (error instanceof EngineError && error.code === 'input') {
      await vscode.window.showWarningMessage(error.message);
      return;
    }
    this.log.error(errorMessage(error));
    await this.showError(errorMessage(error));
  }

  private async offerRecovery(reason: string): Promise<void> {
    const showLog = vscode.l10n.t('Show Engine Log');
    const restart = vscode.l10n.t('Restart Engine');
    const choice = await vscode.window.showErrorMessage(reason, showLog, restart);
    if (choice) await vscode.commands.executeCommand(choice === restart ? COMMAND_RESTART : COMMAND_SHOW_LOG);
  }

  async restart(): Promise<void> {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Restarting the engine') }, () => this.client.restart());
    this.showStatus();
  }

  private showStatus(): void {
    const item = this.statusItem;
    if (this.loading) {
      item.text = `$(loading~spin) ${vscode.l10n.t('Loading model…')}`;
      item.tooltip = undefined;
      item.command = COMMAND_SHOW_LOG;
    } else if (this.info) {
      item.text = `$(hubot) ${this.info.name} · ${this.info.executionProvider}`;
      item.tooltip = vscode.l10n.t('{0} ({1}) running on {2}. Click for model info.', this.info.name, this.info.family, this.info.executionProvider);
      item.command = COMMAND_MODEL_INFO;
    } else {
      item.text = `$(hubot) ${vscode.l10n.t('No model')}`;
      item.tooltip = vscode.l10n.t('Transformer Inspector: click to open a model.');
      item.command = COMMAND_OPEN_MODEL;
    }
    item.show();
  }

  dispose(): void {
    this.client.dispose();
    this.statusItem.dispose();
    this.changed.dispose();
  }
}
