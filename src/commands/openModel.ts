// "Open Model…": pick the bundled model, a recent one, a downloaded one, one found in the workspace,
// a model folder or an .onnx file (or download one from the Hub), and load it. Also takes a path
// or Uri, for scripts and tests.

import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUNDLED_MODEL_NAME, bundledModelPath } from '../engine/bundledModel';
import { formatBytes } from '../hub/downloadModel';
import { listCachedModels } from '../hub/hubCache';
import { COMMIT } from '../hub/hubReference';
import { COMMAND_OPEN_MODEL, ModelController } from '../model/modelController';
import { downloadToCache, hubCacheFolder } from './downloadModel';

const RECENT_KEY = 'transformerInspector.recentModels';
const MAX_RECENT = 8;

interface Choice extends vscode.QuickPickItem {
  readonly pick: () => Promise<string | undefined>;
}

export function register(context: vscode.ExtensionContext, models: ModelController): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_OPEN_MODEL, async (target?: string | vscode.Uri) => {
    const location = target === undefined ? await chooseModel(context, models) : typeof target === 'string' ? target : target.fsPath;
    if (!location) return undefined;
    const info = await models.open(location);
    if (info) {
      const recent = [location, ...context.globalState.get<string[]>(RECENT_KEY, []).filter((entry) => entry !== location)];
      await context.globalState.update(RECENT_KEY, recent.slice(0, MAX_RECENT));
    }
    return info;
  });
}

async function chooseModel(context: vscode.ExtensionContext, models: ModelController): Promise<string | undefined> {
  const choices: Choice[] = [];
  const bundled = bundledModelPath();
  if (bundled) {
    choices.push({ label: `$(package) ${BUNDLED_MODEL_NAME}`, description: vscode.l10n.t('bundled English↔Chinese translation model'), pick: async () => bundled });
  }
  const cache = hubCacheFolder(context);
  for (const recent of context.globalState.get<string[]>(RECENT_KEY, [])) {
    // Downloads are listed below, by their Hub id.
    if (recent === bundled || isInside(cache, recent)) continue;
    choices.push({ label: `$(history) ${path.basename(recent)}`, description: recent, pick: async () => recent });
  }
  for (const cached of listCachedModels(cache)) {
    const revision = COMMIT.test(cached.revision) ? cached.revision.slice(0, 7) : cached.revision;
    choices.push({
      label: `$(cloud) ${cached.id}`,
      description: vscode.l10n.t('{0} · {1} · downloaded {2}', revision, formatBytes(cached.bytes), cached.downloadedAt.slice(0, 10)),
      pick: async () => cached.folder,
    });
  }
  const actions: Choice[] = [
    {
      label: `$(cloud-download) ${vscode.l10n.t('Download from the Hugging Face Hub…')}`,
      detail: vscode.l10n.t('A model id such as Xenova/opus-mt-zh-en'),
      pick: () => downloadToCache(context, models.log),
    },
    { label: `$(folder-opened) ${vscode.l10n.t('Model folder…')}`, detail: vscode.l10n.t('A folder with config.json, tokenizer.json and onnx/*.onnx'), pick: () => browse(true) },
    { label: `$(file) ${vscode.l10n.t('ONNX file…')}`, detail: vscode.l10n.t('An .onnx file beside its tokenizer.json'), pick: () => browse(false) },
  ];
  const choice = await pickWithWorkspaceModels(choices, actions, bundled);
  return choice?.pick();
}

/** Shows the picker at once and adds the workspace's model folders when the search for them ends (it can take seconds). */
function pickWithWorkspaceModels(known: Choice[], actions: Choice[], bundled: string | undefined): Promise<Choice | undefined> {
  const picker = vscode.window.createQuickPick<Choice>();
  picker.title = vscode.l10n.t('Open Model');
  picker.placeholder = vscode.l10n.t('Choose a Transformer to open');
  picker.items = [...known, ...actions];
  picker.busy = true;
  const listed = new Set(known.map((choice) => choice.description));
  let closed = false;
  void workspaceModels()
    .then((folders) => {
      const found: Choice[] = folders
        .filter((folder) => folder !== bundled && !listed.has(folder))
        .map((folder) => ({ label: `$(folder) ${path.basename(folder)}`, description: vscode.workspace.asRelativePath(folder), detail: vscode.l10n.t('model folder in the workspace'), pick: async () => folder }));
      if (closed || found.length === 0) return;
      const active = picker.activeItems;
      // Appended below a separator, so no row moves under the mouse.
      const separator: Choice = { label: vscode.l10n.t('In the workspace'), kind: vscode.QuickPickItemKind.Separator, pick: async () => undefined };
      picker.items = [...known, ...actions, separator, ...found];
      // New items reset the active row: keep the one the user had moved to.
      if (active.length) picker.activeItems = active;
    }, () => undefined)
    .finally(() => {
      if (!closed) picker.busy = false;
    });
  return new Promise((resolve) => {
    let chosen: Choice | undefined;
    picker.onDidAccept(() => {
      chosen = picker.selectedItems[0];
      picker.hide();
    });
    picker.onDidHide(() => {
      closed = true;
      picker.dispose();
      resolve(chosen);
    });
    picker.show();
  });
}

/** Workspace folders that look like model folders: a tokenizer.json beside ONNX files, or beside an onnx/ folder of them. */
async function workspaceModels(): Promise<string[]> {
  const tokenizers = await vscode.workspace.findFiles('**/tokenizer.json', '**/{node_modules,.git}/**', 50);
  const hasOnnx = (folder: string) => {
    try {
      return readdirSync(folder).some((file) => file.endsWith('.onnx'));
    } catch {
      return false;
    }
  };
  return tokenizers.map((uri) => path.dirname(uri.fsPath)).filter((folder) => hasOnnx(folder) || hasOnnx(path.join(folder, 'onnx'))).sort();
}

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

async function browse(folders: boolean): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: folders,
    canSelectFiles: !folders,
    canSelectMany: false,
    filters: folders ? undefined : { ONNX: ['onnx'] },
    title: folders ? vscode.l10n.t('Choose a model folder') : vscode.l10n.t('Choose an ONNX file'),
    openLabel: vscode.l10n.t('Open Model'),
  });
  return picked?.[0]?.fsPath;
}
