// The inspection panel's page: composes the chrome (header, tabs, toolbar, token strips, export
// bar) and the views with a data source and host hooks; owns UI state, hover sync and keys.

import type { Token, Translation } from '../src/protocol/inspection';
import type { InspectionSummary, PanelDataSource } from '../src/protocol/panelData';
import type { PanelRerun } from '../src/protocol/panelProtocol';
import type { AttentionMode } from './attentionData';
import { CachedDataSource } from './dataCache';
import { el } from './elements';
import { exportView, type ExportFile, type ExportKind } from './exporter';
import { readSavedState, type PanelUiState, type SavedPanelState, type ViewTab } from './panelState';
import { format, t } from './strings';
import { Tabs } from './tabs';
import { Theme } from './theme';
import { tokenTypes, type TokenRef, type TokenType } from './tokenInfo';
import { TokenStrip, type StripRow } from './tokenStrip';
import { Toolbar, type ToolbarField } from './toolbar';
import { ViewPlanner, type Content, type Plan } from './viewPlanner';

/** What the page around the panel provides: VS Code's webview API, or the offline report. */
export interface PanelHost {
  save(file: ExportFile): void;
  saveState(state: SavedPanelState): void;
}

const VIEW_AREA_ID = 'ti-view-area';

export class InspectorApp {
  private ui: PanelUiState;
  private rerun?: PanelRerun;
  private content?: Content;
  private hover?: TokenRef;
  /** The plan for the current state (keys and controls step from it), and the one last drawn. */
  private latest?: Plan;
  private plan?: Plan;
  private renderSeq = 0;
  private renderFailed = false;
  /** When the content shown arrived, until its first drawing is measured (benchmarks read it). */
  private contentArrived?: number;
  private width = 0;
  readonly theme = new Theme();
  private readonly header = el('header', 'panel-header');
  private readonly status = el('p', 'status');
  private readonly notices = el('div', 'notices');
  private readonly tabs = new Tabs<ViewTab>(t('tabsLabel'), VIEW_AREA_ID, (tab) => this.set({ tab }));
  private readonly modes = new Tabs<AttentionMode>(t('modesLabel'), VIEW_AREA_ID, (mode) => this.set({ mode }));
  private readonly toolbar = new Toolbar(
    (field, index) => this.choose(field, index),
    // The head view keeps its own threshold (see PanelUiState.headThreshold).
    (patch) => this.set(patch.threshold !== undefined && this.ui.tab === 'attention' && this.ui.mode === 'heads' ? { headThreshold: patch.threshold } : patch),
  );
  private readonly strip = new TokenStrip((token) => this.setHover(token));
  private readonly viewArea = el('div', 'view-area');
  private readonly exportBar = el('div', 'export-bar');
  private readonly planner: ViewPlanner;
  private readonly resize: ResizeObserver;
  private readonly disposeTheme: () => void;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: PanelHost,
    saved?: unknown,
  ) {
    const state = readSavedState(saved);
    this.ui = state.ui;
    this.rerun = state.rerun;
    this.planner = new ViewPlanner(this.theme, {
      onHover: (token) => this.setHover(token),
      onFocusHead: (layer, head) => this.set({ mode: 'heatmap', layer, head }),
      onHeadsChange: (heads) => this.set({ heads }),
      onOffChange: (off, showEffect) => this.set(showEffect ? { off, mode: 'model' } : { off }),
      onSampling: (patch) => this.set(patch),
      onNavigate: (patch) => this.set(patch),
      onPosition: (position) => this.set({ position }),
    });
    this.viewArea.id = VIEW_AREA_ID;
    this.viewArea.tabIndex = 0;
    this.viewArea.setAttribute('role', 'tabpanel');
    this.viewArea.setAttribute('aria-label', t('keyboardHint'));
    this.viewArea.addEventListener('keydown', (event) => this.key(event));
    this.viewArea.addEventListener('ti-drawn', () => this.root.dispatchEvent(new CustomEvent('ti-rendered')));
    this.buildExportBar();
    this.status.textContent = t('waiting');
    // Nothing to choose until content arrives.
    this.toolbar.update({});
    this.tabs.update([], 'attention');
    this.modes.update([], 'model');
    root.replaceChildren(this.header, this.status, this.notices, this.tabs.element, this.modes.element, this.toolbar.element, this.strip.element, this.viewArea, this.exportBar);
    root.classList.add('ti-panel');
    this.disposeTheme = this.theme.onChange(() => void this.render());
    this.resize = new ResizeObserver(() => {
      const width = this.viewArea.clientWidth;
      if (Math.abs(width - this.width) > 40 && this.content) void this.render();
      this.width = width;
    });
    this.resize.observe(this.viewArea);
  }

  showInspection(summary: InspectionSummary, source: PanelDataSource): void {
    const types = new Map<TokenRef['stack'], TokenType[]>();
    for (const stack of summary.stacks) {
      const text = summary.family === 'encoder-decoder' && stack.stack === 'decoder' ? (summary.target ?? '') : summary.text;
      types.set(stack.stack, tokenTypes(stack.tokens, text));
    }
    this.content = { kind: 'inspection', summary, source: new CachedDataSource(source), types };
    this.rerun = {
      kind: 'inspect',
      text: summary.text,
      ...(summary.target !== undefined ? { target: summary.target } : {}),
      ...(summary.modelPath !== undefined ? { model: summary.modelPath } : {}),
    };
    this.showHeader(summary.modelName, format.meta(summary.family, summary.executionProvider, summary.timingsMs.total), summary.notices);
    this.startContent();
  }

  /** `source`: the host, which can ask the translation engine which heads the translation depends on. */
  showTranslation(translation: Translation, source?: PanelDataSource): void {
    const types = new Map<TokenRef['stack'], TokenType[]>([
      ['source', tokenTypes(translation.sourceTokens, translation.sourceText)],
      ['generated', tokenTypes(translation.tokens, translation.text)],
    ]);
    this.content = { kind: 'translation', translation, types, ...(source ? { source: new CachedDataSource(source) } : {}) };
    this.rerun = { kind: 'translate', text: translation.sourceText, targetLanguage: translation.targetLanguage ?? 'auto' };
    this.showHeader(translation.text, format.translationMeta(translation.sourceText, translation.timingsMs.total), translation.notices);
    this.startContent();
  }

  /** Something slow is under way: say so, and dim the drawing that it will replace. */
  showBusy(message: string): void {
    this.setStatus('busy', message);
    this.root.classList.add('stale');
  }

  /** The last request failed: the previous drawing stays, undimmed, with the reason above it. */
  showError(message: string): void {
    this.setStatus('error', message);
    this.root.classList.remove('stale');
  }

  /** The UI state as saved (tests and the host read it). */
  get state(): SavedPanelState {
    return { rerun: this.rerun, ui: this.ui };
  }

  dispose(): void {
    this.renderSeq++;
    this.resize.disconnect();
    this.disposeTheme();
    this.theme.dispose();
    this.planner.dispose();
    this.root.replaceChildren();
  }

  private startContent(): void {
    this.contentArrived = performance.now();
    this.hover = undefined;
    this.root.classList.remove('stale');
    this.setStatus('', '');
    this.persist();
    void this.render();
  }

  private showHeader(title: string, meta: string, notices: readonly string[]): void {
    this.header.replaceChildren(el('h1', undefined, title), el('p', 'meta', meta));
    this.notices.replaceChildren(...notices.map((notice) => el('p', 'notice', notice)));
  }

  private setStatus(kind: '' | 'busy' | 'error', message: string): void {
    this.status.className = `status ${kind}`.trim();
    this.status.textContent = message;
    this.status.hidden = message === '';
    this.status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  private set(patch: Partial<PanelUiState>): void {
    // Picking a view tab that has its own sub-tabs keeps them; a head chosen elsewhere lands in the heatmap.
    this.ui = { ...this.ui, ...patch, ...(patch.mode ? { tab: 'attention' as const } : {}) };
    this.persist();
    void this.render();
  }

  private choose(field: ToolbarField, index: number): void {
    const options = this.latest?.choices;
    if (!options) return;
    this.set(options[field]?.(index) ?? {});
  }

  private persist(): void {
    this.host.saveState(this.state);
  }

  private setHover(token: TokenRef | undefined): void {
    if (token?.stack === this.hover?.stack && token?.index === this.hover?.index) return;
    this.hover = token;
    this.strip.highlight(token);
    this.plan?.view?.highlight(token);
  }

  private async render(): Promise<void> {
    const content = this.content;
    if (!content) return;
    const seq = ++this.renderSeq;
    const plan = this.planner.plan(content, this.ui);
    this.latest = plan;
    this.ui = plan.ui;
    this.updateChrome(content, plan);
    const loading = window.setTimeout(() => seq === this.renderSeq && this.setStatus('busy', t('loading')), 150);
    try {
      const draw = await plan.prepare();
      if (seq !== this.renderSeq) return;
      const started = performance.now();
      this.plan = plan;
      if (plan.view) {
        if (this.viewArea.firstElementChild !== plan.view.element) this.viewArea.replaceChildren(plan.view.element);
        draw();
        plan.view.highlight(this.hover);
      } else {
        this.viewArea.replaceChildren(el('p', 'empty', plan.message ?? ''));
      }
      performance.measure(`ti:render:${plan.key}`, { start: started, end: performance.now() });
      if (this.contentArrived !== undefined) performance.measure('ti:content-to-drawn', { start: this.contentArrived, end: performance.now() });
      this.contentArrived = undefined;
      // "Loading…" and the panel's own failures end with a drawing; the host's messages stay.
      if (this.status.classList.contains('busy') || this.renderFailed) this.setStatus('', '');
      this.renderFailed = false;
      this.exportBar.hidden = !plan.view;
      // Pictures only of views that draw (canvas or SVG); the architecture and next-token views are HTML: their data exports.
      const drawn = !!plan.view?.figure.querySelector('canvas, svg');
      for (const button of this.exportBar.querySelectorAll<HTMLButtonElement>('.export-png, .export-svg')) button.hidden = !drawn;
      this.root.dataset.view = plan.key;
      this.root.dispatchEvent(new CustomEvent('ti-rendered'));
    } catch (error) {
      if (seq !== this.renderSeq) return;
      this.renderFailed = true;
      this.setStatus('error', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(loading);
    }
  }

  private updateChrome(content: Content, plan: Plan): void {
    const isTranslation = content.kind === 'translation';
    this.tabs.update(
      isTranslation
        ? [{ key: 'attention', label: t('tabAttention') }]
        : [
            { key: 'attention', label: t('tabAttention') },
            ...(content.summary.architecture ? [{ key: 'architecture' as const, label: t('tabArchitecture') }] : []),
            ...(content.summary.stacks.some((stack) => stack.hasPositions) ? [{ key: 'positions' as const, label: t('tabPositions') }] : []),
            { key: 'embeddings', label: t('tabEmbeddings') },
            { key: 'activations', label: t('tabActivations') },
            ...(content.summary.interventions && content.summary.logitsStack ? [{ key: 'next' as const, label: t('tabNext') }] : []),
          ],
      plan.tab,
    );
    this.modes.update(plan.tab === 'attention' ? plan.modes : [], plan.mode);
    this.toolbar.update(plan.toolbar);
    this.strip.update(this.stripRows(content), plan.ui.hideSpecial);
    this.strip.highlight(this.hover);
  }

  private stripRows(content: Content): StripRow[] {
    const row = (stack: TokenRef['stack'], label: string, tokens: readonly Token[]): StripRow => ({ stack, label, tokens, types: content.types.get(stack) ?? [] });
    if (content.kind === 'translation') {
      return [row('source', t('source'), content.translation.sourceTokens), row('generated', t('generated'), content.translation.tokens)];
    }
    return content.summary.stacks.map((stack) => row(stack.stack, stack.stack === 'encoder' ? t('encoder') : t('decoder'), stack.tokens));
  }

  /** ←/→ layer (or scatter position), ↑/↓ head, whenever the view area has focus. */
  private key(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    if (target.closest('input, select, textarea')) return;
    const delta = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    const patch = delta && this.latest?.step?.(delta[0], delta[1]);
    if (!patch) return;
    event.preventDefault();
    this.set(patch);
  }

  private buildExportBar(): void {
    this.exportBar.setAttribute('role', 'group');
    this.exportBar.setAttribute('aria-label', t('exportLabel'));
    this.exportBar.append(el('span', 'control-label', t('exportLabel')));
    const kinds: [ExportKind, string][] = [['png', t('exportPng')], ['svg', t('exportSvg')], ['json', t('exportJson')], ['csv', t('exportCsv')]];
    for (const [kind, label] of kinds) {
      const button = el('button', `export export-${kind}`, label);
      button.type = 'button';
      button.addEventListener('click', () => void this.export(kind));
      this.exportBar.append(button);
    }
    this.exportBar.hidden = true;
  }

  private async export(kind: ExportKind): Promise<void> {
    const view = this.plan?.view;
    if (!view) return;
    try {
      const title = view.element.querySelector('.view-title')?.textContent ?? '';
      const file = await exportView(kind, view.figure, title, view.exportTable(), this.theme.colors);
      if (file) this.host.save(file);
      else this.setStatus('busy', t('exportNotReady'));
    } catch (error) {
      this.setStatus('error', error instanceof Error ? error.message : String(error));
    }
  }
}
