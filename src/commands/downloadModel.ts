// "Download Model…": a Hugging Face Hub id (owner/name[@revision]) into the cache with a cancellable
// progress notification, then opened like any model folder. Asks for an access token when the Hub refuses.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError, errorMessage } from '../engine/engineError';
import { downloadModel, DownloadedModel, DownloadProgress, formatBytes } from '../hub/downloadModel';
import { isHubError } from '../hub/hubError';
import { formatReference, HubReference, looksLikeHubId, parseHubReference } from '../hub/hubReference';
import { COMMAND_OPEN_MODEL } from '../model/modelController';
import { readHubSettings, readSettings } from '../model/settings';
import type { ModelInfo } from '../protocol/inspection';
import type { ModelVariant } from '../engine/modelFolder';
import { promptForHubToken, readHubToken } from './setHubToken';

export const COMMAND_DOWNLOAD_MODEL = 'transformerInspector.downloadModel';
const LAST_ID_KEY = 'transformerInspector.lastHubId';
/** Downloads under way, by id@revision: asking again joins one instead of writing the same files twice. */
const inFlight = new Map<string, Thenable<DownloadedModel>>();

/** The cache of downloaded models: the setting, else the extension's global storage. */
export function hubCacheFolder(context: vscode.ExtensionContext): string {
  return readHubSettings().cacheFolder || path.join(context.globalStorageUri.fsPath, 'hub');
}

export function register(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
  // The CLI in VS Code's terminals finds the same downloads (it reads TI_CACHE).
  const shareCache = () => context.environmentVariableCollection.replace('TI_CACHE', hubCacheFolder(context));
  shareCache();
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMAND_DOWNLOAD_MODEL, async (id?: string): Promise<ModelInfo | undefined> => {
      const folder = await downloadToCache(context, log, id);
      return folder ? vscode.commands.executeCommand<ModelInfo | undefined>(COMMAND_OPEN_MODEL, folder) : undefined;
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('transformerInspector.hub.cacheFolder')) shareCache();
    }),
  );
}

/** Asks for an id (unless given), downloads it; the local folder, or undefined when cancelled or failed. */
export async function downloadToCache(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, given?: string): Promise<string | undefined> {
  const text = given ?? (await askForId(context));
  if (!text) return undefined;
  let reference: HubReference;
  try {
    reference = parseHubReference(text);
  } catch (error) {
    void vscode.window.showErrorMessage(errorMessage(error));
    return undefined;
  }
  await context.globalState.update(LAST_ID_KEY, text.trim());
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const key = `${reference.id}@${reference.revision}`;
      const download = inFlight.get(key) ?? withProgress(context, reference, readSettings().modelVariant as ModelVariant);
      inFlight.set(key, download);
      const model = await Promise.resolve(download).finally(() => inFlight.delete(key));
      report(model, log);
      return model.folder;
    } catch (error) {
      if (error instanceof EngineError && error.code === 'cancelled') {
        log.info(`Downloading ${formatReference(reference)} was cancelled; what arrived is kept for the next try.`);
        return undefined;
      }
      log.error(`Could not download ${formatReference(reference)}: ${errorMessage(error)}`);
      if (isHubError(error) && error.failure === 'unauthorized' && attempt === 0) {
        const setToken = vscode.l10n.t('Set Access Token…');
        if ((await vscode.window.showWarningMessage(errorMessage(error), setToken)) !== setToken) return undefined;
        if (await promptForHubToken(context.secrets, vscode.l10n.t('{0} needs an access token.', reference.id))) continue;
        return undefined;
      }
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not download the model: {0}', errorMessage(error)));
      return undefined;
    }
  }
  return undefined;
}

async function askForId(context: vscode.ExtensionContext): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Download Model from the Hugging Face Hub'),
    prompt: vscode.l10n.t("A model id as in its page's URL, optionally with @revision (a branch, tag or commit). Only the files the inspector needs are downloaded."),
    placeHolder: 'Xenova/opus-mt-zh-en, Xenova/gpt2@main',
    value: context.globalState.get<string>(LAST_ID_KEY),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' || looksLikeHubId(value) ? undefined : vscode.l10n.t('Write the id as owner/name, e.g. Xenova/gpt2, optionally followed by @revision.')),
  });
}

function withProgress(context: vscode.ExtensionContext, reference: HubReference, variant: ModelVariant): Thenable<DownloadedModel> {
  const title = vscode.l10n.t('Downloading {0}', formatReference(reference));
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, cancellation) => {
    const abort = new AbortController();
    cancellation.onCancellationRequested(() => abort.abort());
    let shownPercent = 0;
    let shownAt = 0;
    const onProgress = (step: DownloadProgress) => {
      const percent = step.totalBytes ? Math.floor((100 * step.bytes) / step.totalBytes) : 0;
      // The notification is another process away: a few updates a second are plenty.
      if (percent === shownPercent && Date.now() - shownAt < 250) return;
      const file = step.file ? ` · ${step.file}` : '';
      progress.report({ increment: percent - shownPercent, message: `${formatBytes(step.bytes)} / ${formatBytes(step.totalBytes)} (${percent}%)${file}` });
      shownPercent = percent;
      shownAt = Date.now();
    };
    return downloadModel(reference, {
      cacheDir: hubCacheFolder(context),
      endpoint: readHubSettings().endpoint || undefined,
      token: await readHubToken(context.secrets),
      variant,
      signal: abort.signal,
      tokenHint: vscode.l10n.t('run "Transformer Inspector: Set Hugging Face Access Token…"'),
      onProgress,
    });
  });
}

function report(model: DownloadedModel, log: vscode.LogOutputChannel): void {
  const what = `${formatReference(model)} (commit ${model.commit.slice(0, 7)}, ${model.variant})`;
  log.info(model.offline ? `Opening the cached copy of ${what}: ${model.folder}` : `Downloaded ${formatBytes(model.fetchedBytes)} of ${what} to ${model.folder}`);
  for (const notice of model.notices) {
    log.info(notice);
    void vscode.window.showInformationMessage(notice);
  }
}
