// The webview panel beside the editor that draws inspections and translations. Owns the
// panel's lifetime, its strict-CSP HTML, the ready handshake (nothing is posted before the
// script listens), the panel's data questions (answered by the engine), saving exports, and
// re-running its content when VS Code restores the panel after a reload.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Translation } from '../protocol/inspection';
import type { InspectionSummary } from '../protocol/panelData';
import { HostToPanel, isPanelToHost, PanelRerun, PanelToHost, SaveRequest } from '../protocol/panelProtocol';
import { embeddedJson, panelStrings } from '../report/panelStrings';

export const PANEL_VIEW_TYPE = 'transformerInspector.inspection';

export interface PanelServices {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** Answers a data question about the inspection shown (through the inspection engine). */
  readonly answer: (method: string, params: unknown) => Promise<unknown>;
  /** Re-runs what a restored panel showed before the reload. */
  readonly rerun: (panel: InspectionPanel, what: PanelRerun) => Promise<void>;
}

export class InspectionPanel implements vscode.Disposable {
  private static current?: InspectionPanel;
  private ready = false;
  private readonly queue: HostToPanel[] = [];
  /** What the panel shows now (the drawing, then any busy or error line over it): sent again when VS Code re-creates a hidden panel's page. */
  private shown: { drawing?: HostToPanel; status?: HostToPanel } = {};
  private readonly disposables: vscode.Disposable[] = [];

  /** The open panel, revealed beside the editor, or a new one. */
  static show(services: PanelServices): InspectionPanel {
    if (InspectionPanel.current) {
      InspectionPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      return InspectionPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, vscode.l10n.t('Transformer Inspector'), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(services.extensionUri));
    InspectionPanel.current = new InspectionPanel(panel, services);
    return InspectionPanel.current;
  }

  /** Restores panels after a reload: VS Code hands back the panel and the state the webview saved. */
  static registerSerializer(services: PanelServices): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        panel.webview.options = webviewOptions(services.extensionUri);
        InspectionPanel.current?.dispose();
        const revived = new InspectionPanel(panel, services);
        InspectionPanel.current = revived;
        const rerun = (state as { rerun?: unknown } | undefined)?.rerun;
        if (isRerun(rerun)) await services.rerun(revived, rerun);
      },
    });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: PanelServices,
  ) {
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'panel.svg');
    panel.webview.html = panelHtml(panel.webview, services.extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  showInspection(summary: InspectionSummary): void {
    this.post({ type: 'inspection', summary });
  }

  showTranslation(translation: Translation): void {
    this.post({ type: 'translation', translation });
  }

  showBusy(message: string): void {
    this.post({ type: 'busy', message });
  }

  showError(message: string): void {
    this.post({ type: 'error', message });
  }

  private post(message: HostToPanel): void {
    if ('type' in message) this.shown = message.type === 'inspection' || message.type === 'translation' ? { drawing: message } : { ...this.shown, status: message };
    if (!this.ready) {
      // Only the latest drawing matters while the webview starts.
      if ('type' in message && (message.type === 'inspection' || message.type === 'translation')) this.queue.length = 0;
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private receive(message: unknown): void {
    if (!isPanelToHost(message)) {
      this.services.log.warn(`Ignored a malformed message from the inspection panel: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    void this.handle(message);
  }

  private async handle(message: PanelToHost): Promise<void> {
    if ('kind' in message) {
      if (message.kind === 'cancel') return;
      try {
        const result = await this.services.answer(message.method, message.params);
        this.post({ kind: 'result', id: message.id, result });
      } catch (error) {
        const { code, message: text } = error as { code?: string; message?: string };
        this.post({ kind: 'error', id: message.id, error: { code: code ?? 'internal', message: text ?? String(error) } });
      }
      return;
    }
    switch (message.type) {
      case 'ready': {
        // Also sent by a page VS Code re-created after the panel was hidden behind another tab: it starts empty.
        const wasReady = this.ready;
        this.ready = true;
        const queued = this.queue.splice(0);
        if (wasReady && queued.length === 0) queued.push(...[this.shown.drawing, this.shown.status].filter((m): m is HostToPanel => m !== undefined));
        for (const message of queued) void this.panel.webview.postMessage(message);
        return;
      }
      case 'save':
        await this.save(message);
        return;
    }
  }

  /** Writes an export where the user chooses. */
  private async save(request: SaveRequest): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, request.name) : vscode.Uri.file(request.name),
      filters: { [request.mime]: [request.name.split('.').pop() ?? '*'] },
      title: vscode.l10n.t('Export {0}', request.name),
    });
    if (!target) return;
    const bytes = request.encoding === 'base64' ? Buffer.from(request.data, 'base64') : Buffer.from(request.data, 'utf8');
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not write {0}: {1}', target.fsPath, error instanceof Error ? error.message : String(error)));
      return;
    }
    // Said where the user can act on it, not only in the status bar (an export otherwise seems to do nothing).
    const open = vscode.l10n.t('Open');
    const reveal = vscode.l10n.t('Reveal in Explorer');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Exported {0}', path.basename(target.fsPath)), open, reveal);
    if (choice === open) await vscode.commands.executeCommand('vscode.open', target);
    if (choice === reveal) await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(target) ? 'revealInExplorer' : 'revealFileInOS', target);
  }

  dispose(): void {
    if (InspectionPanel.current === this) InspectionPanel.current = undefined;
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

function isRerun(value: unknown): value is PanelRerun {
  const rerun = value as PanelRerun | undefined;
  if (rerun?.kind === 'inspect' && rerun.model !== undefined && typeof rerun.model !== 'string') return false;
  return (rerun?.kind === 'inspect' || rerun?.kind === 'translate') && typeof rerun.text === 'string' && rerun.text.length <= 100_000;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data: blob:`, `script-src 'nonce-${nonce}'`].join('; ');
  // The panel's labels in VS Code's display language, read by the script before it draws (data only: never executed).
  const strings = panelStrings(vscode.env.language, extensionUri.fsPath);
  return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Transformer Inspector</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="status">${vscode.l10n.t('Waiting for an inspection…')}</p></main>
${strings ? `<script type="application/json" id="ti-strings">${embeddedJson(strings)}</script>\n` : ''}<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
