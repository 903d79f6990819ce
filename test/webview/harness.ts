// The panel's browser-test harness: real fixture-model inspections, Debian's Chromium, and two pages —
// the offline report (dist/report.js + embedded data) and the VS Code webview behind a real-data host.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { answerPanelQuestion, summarize } from '../../src/analysis/inspectionSummary';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { inspect } from '../../src/engine/inspector';
import { generate } from '../../src/engine/generation';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import type { Inspection, Translation } from '../../src/protocol/inspection';
import type { PanelDataMethods } from '../../src/protocol/panelData';
import type { HostToPanel, PanelToHost, SaveRequest } from '../../src/protocol/panelProtocol';
import { encodeInspection } from '../../src/report/inspectionCodec';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS = path.join(REPO_ROOT, 'test-results', 'webview');
mkdirSync(path.join(RESULTS, 'pages'), { recursive: true });

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.TI_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export const TEXT = 'The attention layer reads every token twice.';

/** Inspections of the bundled model, one per request, from one load of it. */
export async function bundledInspections(...requests: Parameters<typeof inspect>[1][]): Promise<Inspection[]> {
  const model = await loadModel(bundledModelPath()!);
  try {
    const inspections: Inspection[] = [];
    for (const request of requests) inspections.push(await inspect(model, request));
    return inspections;
  } finally {
    await disposeModel(model);
  }
}

export async function realInspection(model: string, text = TEXT, target?: string, options: { qkv?: boolean } = {}): Promise<Inspection> {
  const loaded = await loadModel(path.join(REPO_ROOT, 'test', 'fixtures', 'models', model));
  try {
    return await inspect(loaded, { text, target, qkv: options.qkv });
  } finally {
    await disposeModel(loaded);
  }
}

export async function realTranslation(text = 'The attention layer reads.'): Promise<Translation> {
  const loaded = await loadModel(path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'marian-tiny'));
  try {
    return await generate(loaded, text, { maxNewTokens: 6 });
  } finally {
    await disposeModel(loaded);
  }
}

const NONCE = 'dGVzdC1ub25jZQ==';
const CSP = `default-src 'none'; style-src 'nonce-${NONCE}'; img-src data: blob:; script-src 'nonce-${NONCE}'`;
const script = (file: string) => readFileSync(path.join(REPO_ROOT, 'dist', file), 'utf8').replace(/<\/script/gi, '<\\/script');
const css = () => readFileSync(path.join(REPO_ROOT, 'media', 'panel.css'), 'utf8');

/** The report page as the CLI will write it: one file, strict CSP, data in a JSON script element. */
export function reportHtml(encoded: string, bodyClass = '', elementId = 'ti-inspection'): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<style nonce="${NONCE}">${css()}</style><title>Transformer Inspector report</title></head>
<body class="${bodyClass}"><main id="app"></main>
<script type="application/json" id="${elementId}">${encoded.replace(/</g, '\\u003c')}</script>
<script nonce="${NONCE}">${script('report.js')}</script></body></html>`;
}

/** What VS Code gives a webview: its theme variables on <html>, a theme class on <body>. */
export const THEMES: Record<'dark' | 'light' | 'high-contrast', { bodyClass: string; variables: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    variables: {
      'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d',
      'panel-border': '#2b2b2b', focusBorder: '#0078d4', 'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700',
      'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'editor-selectionBackground': '#264f78', 'button-background': '#0078d4', 'editorHoverWidget-background': '#202020',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    variables: {
      'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', foreground: '#3b3b3b', 'editor-background': '#ffffff', descriptionForeground: '#717171',
      'panel-border': '#e5e5e5', focusBorder: '#005fb8', 'charts-blue': '#1a85ff', 'charts-red': '#e51400', 'charts-green': '#388a34', 'charts-yellow': '#bf8803',
      'charts-orange': '#d18616', 'charts-purple': '#652d90', 'editor-selectionBackground': '#add6ff', 'button-background': '#005fb8', 'editorHoverWidget-background': '#f8f8f8',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    variables: {
      'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', foreground: '#ffffff', 'editor-background': '#000000', descriptionForeground: '#ffffff',
      'panel-border': '#6fc3df', focusBorder: '#f38518', 'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700',
      'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'editor-selectionBackground': '#ffffff', 'button-background': '#000000', 'editorHoverWidget-background': '#0c141f',
    },
  },
};

/**
 * The panel's page as src/panel writes it: the stylesheet and the bundle as files beside it (loaded,
 * parsed and compiled as Chromium loads a webview's resources), not inlined as the one-file report is.
 */
function webviewHtml(strings: Record<string, unknown> | undefined, bundleDir: string): string {
  // As the extension embeds the display language's table (src/panel): JSON the page reads before it starts.
  const table = strings ? `<script type="application/json" id="ti-strings">${JSON.stringify(strings).replace(/</g, '\\u003c')}</script>` : '';
  const csp = `default-src 'none'; style-src file:; img-src data: blob:; script-src 'nonce-${NONCE}'`;
  const fileUrl = (file: string) => pathToFileURL(file).href;
  return `<!DOCTYPE html><html lang="${strings ? 'zh-cn' : 'en'}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${fileUrl(path.join(REPO_ROOT, 'media', 'panel.css'))}"><title>Transformer Inspector</title></head>
<body><main id="app" aria-live="polite"><p class="status">Waiting</p></main>
${table}<script nonce="${NONCE}" src="${fileUrl(path.join(bundleDir, 'webview.js'))}"></script></body></html>`;
}

/** Applies a theme the way VS Code does: variables on <html>'s style, a class on <body>. */
export async function applyTheme(page: Page, theme: keyof typeof THEMES): Promise<void> {
  await page.evaluate(({ bodyClass, variables }) => {
    for (const [name, value] of Object.entries(variables)) document.documentElement.style.setProperty(`--vscode-${name}`, value);
    document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
    document.body.classList.add(bodyClass);
  }, THEMES[theme]);
}

/** Collected per page: CSP violations, page errors and console errors. */
export interface PageProblems {
  readonly violations: string[];
  readonly errors: string[];
}

async function watchProblems(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { violations: [], errors: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(message.text());
  });
  await page.exposeFunction('tiViolation', (text: string) => problems.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => (window as unknown as { tiViolation(text: string): void }).tiViolation(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`));
  });
  return problems;
}

export interface ReportPage {
  readonly page: Page;
  readonly problems: PageProblems;
}

export async function openReport(browser: Browser, name: string, encoded: string, options: { bodyClass?: string; elementId?: string; width?: number } = {}): Promise<ReportPage> {
  const file = path.join(RESULTS, 'pages', `${name}.html`);
  writeFileSync(file, reportHtml(encoded, options.bodyClass, options.elementId));
  const context = await browser.newContext({ viewport: { width: options.width ?? 1000, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = await watchProblems(page);
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#app[data-view]');
  return { page, problems };
}

type Request = Extract<PanelToHost, { kind: 'request' }>;

export type HostAnswer = (inspection: Inspection, method: string, params: unknown) => Promise<unknown>;

/** Plays the extension host: answers the panel's questions from a full inspection, records the rest. */
export class WebviewHost {
  readonly received: PanelToHost[] = [];
  readonly saves: SaveRequest[] = [];
  readonly states: unknown[] = [];
  readonly problems!: PageProblems;
  /** Page-time windows of the host's own evaluate calls: their work is the harness's, not the panel's. */
  readonly hostTasks: { start: number; end: number }[] = [];
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  private constructor(
    readonly page: Page,
    public inspection: Inspection | undefined,
    /** Who answers the panel's questions: src/analysis as the report does, unless the engine's own answers are given. */
    private readonly answer: HostAnswer = async (inspection, method, params) => answerPanelQuestion(inspection, method as keyof PanelDataMethods, params as never),
  ) {}

  static async open(
    browser: Browser,
    name: string,
    options: { inspection?: Inspection; state?: unknown; theme?: keyof typeof THEMES; width?: number; height?: number; answer?: HostAnswer; strings?: Record<string, unknown>; /** Where webview.js is: dist/ unless a production build is measured. */ bundleDir?: string } = {},
  ): Promise<WebviewHost> {
    const file = path.join(RESULTS, 'pages', `${name}.html`);
    writeFileSync(file, webviewHtml(options.strings, options.bundleDir ?? path.join(REPO_ROOT, 'dist')));
    const context = await browser.newContext({ viewport: { width: options.width ?? 1000, height: options.height ?? 900 } });
    const page = await context.newPage();
    const host = new WebviewHost(page, options.inspection, options.answer);
    (host as { problems: PageProblems }).problems = await watchProblems(page);
    await page.exposeFunction('tiHostReceive', (message: PanelToHost) => host.receive(message));
    await page.exposeFunction('tiHostState', (state: unknown) => host.states.push(state));
    const theme = THEMES[options.theme ?? 'dark'];
    // A string, not a function: tsx would wrap named functions in __name(), which the page lacks.
    await page.addInitScript(`(() => {
      let saved = ${JSON.stringify(options.state ?? null)} ?? undefined;
      window.acquireVsCodeApi = () => ({
        postMessage(message) {
          // The page's own clock when it said ready: the harness's reply through Playwright comes later.
          if (message && message.type === 'ready') window.tiReadyPostedAt = performance.now();
          window.tiHostReceive(message);
        },
        getState() { return saved; },
        setState(next) { saved = next; window.tiHostState(next); },
      });
      const theme = ${JSON.stringify(theme)};
      const apply = () => {
        for (const [name, value] of Object.entries(theme.variables)) document.documentElement.style.setProperty('--vscode-' + name, value);
      };
      if (document.documentElement) apply();
      document.addEventListener('readystatechange', apply, { once: true });
      document.addEventListener('DOMContentLoaded', () => document.body.classList.add(theme.bodyClass));
    })();`);
    await page.goto(pathToFileURL(file).href);
    return host;
  }

  /** Posts a message to the panel as VS Code does (typed arrays survive, as in VS Code ≥ 1.57). */
  async post(message: HostToPanel): Promise<void> {
    const window = await this.page.evaluate((m) => {
      const start = performance.now();
      globalThis.postMessage(m, '*');
      return { start, end: performance.now() };
    }, message);
    this.hostTasks.push(window);
  }

  async showInspection(inspection: Inspection, id = 'test'): Promise<void> {
    this.inspection = inspection;
    await this.post({ type: 'inspection', summary: summarize(inspection, id) });
  }

  private async receive(message: PanelToHost): Promise<void> {
    this.received.push(message);
    if ('kind' in message) {
      if (message.kind !== 'request') return;
      const request = message as Request;
      try {
        if (!this.inspection) throw new Error('no inspection');
        const result = await this.answer(this.inspection, request.method, request.params);
        await this.post({ kind: 'result', id: request.id, result });
      } catch (error) {
        await this.post({ kind: 'error', id: request.id, error: { code: 'internal', message: String(error) } });
      }
      return;
    }
    if (message.type === 'ready') this.readyResolve();
    if (message.type === 'save') this.saves.push(message);
  }
}

/** Clicks the export bar's button for `kind` and reads the file the page downloads. */
export async function download(page: Page, kind: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`button.export-${kind}`).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync((await file.path())!) };
}

export function encode(inspection: Inspection | Translation): string {
  return encodeInspection(inspection as Inspection);
}

/** Colour of one canvas pixel at CSS coordinates (x, y), as [r, g, b, a]. */
export async function canvasPixel(page: Page, selector: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ({ selector, x, y }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(selector)!;
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      return [...canvas.getContext('2d')!.getImageData(Math.floor(x * ratio), Math.floor(y * ratio), 1, 1).data];
    },
    { selector, x, y },
  );
}

/** The LUT colour at `index`, read off the visible legend ramp (one column per entry). */
export async function legendColour(page: Page, index: number, scope = ''): Promise<number[]> {
  return page.evaluate(
    ({ index, scope }) => {
      const ramp = [...document.querySelectorAll<HTMLCanvasElement>(`${scope} .legend-ramp`)].find((c) => c.getClientRects().length > 0)!;
      const ratio = ramp.width / 256;
      return [...ramp.getContext('2d')!.getImageData(Math.floor((index + 0.5) * ratio), 1, 1, 1).data];
    },
    { index, scope },
  );
}

export function lutIndex(value: number, max: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.min(255, Math.round((value / max) * 255));
}

export async function waitForView(page: Page, view: string): Promise<void> {
  await page.waitForSelector(`#app[data-view="${view}"]`);
  await page.waitForFunction(() => !document.querySelector('.head-lines[data-complete="false"]'));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage: true });
}

export function maxOf(data: Float32Array): number {
  let max = 0;
  for (const value of data) if (value > max) max = value;
  return max;
}

/** The colour at the centre of every drawn cell of a matrix canvas: [row][col] → [r, g, b, a]. */
export async function matrixCells(page: Page, selector = '.matrix-canvas'): Promise<number[][][]> {
  return page.evaluate((selector) => {
    const canvas = [...document.querySelectorAll<HTMLCanvasElement>(selector)].find((c) => c.getClientRects().length > 0)!;
    const cell = Number(canvas.dataset.cell);
    const rows = Number(canvas.dataset.rows);
    const cols = Number(canvas.dataset.cols);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const image = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    return Array.from({ length: rows }, (_, r) =>
      Array.from({ length: cols }, (_c, c) => {
        const x = Math.floor((c + 0.5) * cell * ratio);
        const y = Math.floor((r + 0.5) * cell * ratio);
        const p = (y * canvas.width + x) * 4;
        return [...image.data.subarray(p, p + 4)];
      }),
    );
  }, selector);
}

/** All 256 LUT colours off the visible legend ramp. */
export async function legendLut(page: Page): Promise<number[][]> {
  return page.evaluate(() => {
    const ramp = [...document.querySelectorAll<HTMLCanvasElement>('.legend-ramp')].find((c) => c.getClientRects().length > 0)!;
    const ratio = ramp.width / 256;
    const row = ramp.getContext('2d')!.getImageData(0, 1, ramp.width, 1).data;
    return Array.from({ length: 256 }, (_, i) => {
      const p = Math.floor((i + 0.5) * ratio) * 4;
      return [row[p], row[p + 1], row[p + 2], row[p + 3]];
    });
  });
}

/** Sets a range input's value as a user dragging it would (input event). */
export async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.evaluate(
    ({ selector, value }) => {
      const input = document.querySelector<HTMLInputElement>(selector)!;
      input.value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    { selector, value },
  );
}

/** Asserts every drawn cell of `values` ([rows, cols] with the given visible indexes) has its LUT colour. */
export function expectCells(cells: number[][][], lut: number[][], values: Float32Array, cols: number, rowIndexes: number[], colIndexes: number[], max: number, threshold = 0): string[] {
  const wrong: string[] = [];
  rowIndexes.forEach((row, r) =>
    colIndexes.forEach((col, c) => {
      const value = values[row * cols + col];
      const expected = value < threshold ? [0, 0, 0, 0] : lut[lutIndex(value, max)];
      const actual = cells[r][c];
      if (actual.some((channel, i) => Math.abs(channel - expected[i]) > 1)) wrong.push(`(${row},${col}) value ${value}: ${actual} ≠ ${expected}`);
    }),
  );
  return wrong;
}

/** The page's clock, for timings measured in the page. */
export const now = (page: Page) => page.evaluate(() => performance.now());

/** When the page posted its ready message, on the page's clock (ms from navigation start). */
export const readyPostedAt = (page: Page) => page.evaluate(() => (globalThis as unknown as { tiReadyPostedAt: number }).tiReadyPostedAt);

/** Starts collecting the page's long tasks (over 50 ms, the browser's definition). */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const tasks: { start: number; duration: number }[] = [];
    (window as unknown as { tiLongTasks: typeof tasks }).tiLongTasks = tasks;
    new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({ type: 'longtask', buffered: true });
  });
}

/** The panel's long tasks since `since`: tasks that contain one of the host's own evaluate calls are the harness's. */
export async function panelLongTasks(host: WebviewHost, since: number): Promise<{ start: number; duration: number }[]> {
  const tasks = await host.page.evaluate(() => (window as unknown as { tiLongTasks: { start: number; duration: number }[] }).tiLongTasks);
  return tasks.filter((task) => task.start >= since && !host.hostTasks.some((w) => task.start <= w.start + 1 && task.start + task.duration >= w.end - 1));
}

/** Durations of the panel's own performance measures with this name, in ms. */
export async function measures(page: Page, name: string): Promise<number[]> {
  return page.evaluate((name) => performance.getEntriesByName(name, 'measure').map((m) => Math.round(m.duration * 10) / 10), name);
}

/** Clicks a tab (and a mode) as a user does; the view is drawn and quiet again. Returns the panel's long tasks meanwhile. */
export async function switchView(host: WebviewHost, tab: string, mode = ''): Promise<{ clickToDrawnMs: number; longTasks: { start: number; duration: number }[] }> {
  const page = host.page;
  const since = await now(page);
  await page.locator(`button.tab[data-key="${tab}"]`).click();
  if (mode) await page.locator(`button.tab[data-key="${mode}"]`).click();
  await waitForView(page, mode || tab);
  const drawn = await now(page);
  await idle(page);
  return { clickToDrawnMs: drawn - since, longTasks: await panelLongTasks(host, since) };
}

/** Two animation frames and a quiet moment: sliced drawings and transitions are done. */
export async function idle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.waitForTimeout(600);
}
