// Step by step: how one head computes one query's row — q and every kⱼ as colour strips, q∘kⱼ
// (BertViz's neuron view), q·kⱼ, × scale, the mask, softmax, and Σ wⱼvⱼ — with the formula in
// this head's numbers. One canvas for the strips and numbers (fast at 512 keys), hover for values.

import type { Tensor, Token } from '../../src/protocol/inspection';
import type { HeadQkv } from '../../src/protocol/panelData';
import { attentionSteps, type AttentionSteps } from '../../src/analysis/attentionSteps';
import { el, panelFont, sizeCanvas, textWidth } from '../elements';
import { fill, t } from '../strings';
import type { Theme } from '../theme';
import { paintDiverging, symmetricMax } from './divergingPaint';
import { tokenLabel, type TokenRef } from '../tokenInfo';
import { box, Tooltip } from '../tooltip';
import type { ExportTable, PanelView } from './view';

export interface StepData {
  readonly title: string;
  readonly query: number;
  readonly qkv: HeadQkv;
  /** The model's weights of this head, [queries, keys]: the heatmap's matrix. */
  readonly weights: Tensor;
  readonly queryTokens: readonly Token[];
  readonly keyTokens: readonly Token[];
  readonly queryStack: TokenRef['stack'];
  readonly keyStack: TokenRef['stack'];
  /** Keys drawn (special tokens may be hidden); the softmax is over all of them. */
  readonly keyIndexes: readonly number[];
  readonly theme: Theme;
  readonly exportName: string;
  /** Where the engine can re-run the model: whether this head is off, and the switch. */
  readonly switchable?: { readonly off: boolean; readonly toggle: () => void };
}

const ROW = 16;
const HEADER = 34;
const GAP = 14;
const NUMBER = 62;
const MASK = 34;
const BAR = 56;

type Column = { readonly key: 'k' | 'product' | 'dot' | 'scaled' | 'mask' | 'weight' | 'v'; readonly x: number; readonly width: number };

export class StepByStep implements PanelView<StepData> {
  readonly element = el('section', 'view step-by-step');
  readonly figure = el('div', 'figure step-figure');
  private readonly title = el('h2', 'view-title');
  private readonly formula = el('p', 'step-formula');
  private readonly facts = el('p', 'step-facts');
  private readonly check = el('p', 'step-check');
  private readonly switchButton = el('button', 'switch-head');
  private readonly canvas = el('canvas', 'step-canvas');
  private readonly band = el('div', 'step-row-highlight');
  private readonly tooltip: Tooltip;
  private data?: StepData;
  private steps?: AttentionSteps;
  private layout = { label: 0, cell: 4, columns: [] as Column[], rowsTop: 0, outputTop: 0 };

  constructor(private readonly onHover: (token: TokenRef | undefined) => void) {
    this.band.hidden = true;
    this.figure.append(this.canvas, this.band);
    this.tooltip = new Tooltip(this.figure);
    this.switchButton.type = 'button';
    this.switchButton.addEventListener('click', () => this.data?.switchable?.toggle());
    this.element.append(this.title, this.formula, this.facts, this.check, this.switchButton, this.figure, el('p', 'note step-keys', t('stepKeys')));
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => {
      this.tooltip.hide();
      this.onHover(undefined);
    });
  }

  update(data: StepData): void {
    this.data = data;
    const steps = attentionSteps(data.qkv, data.weights, data.query);
    this.steps = steps;
    const d = steps.headDim;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const queryLabel = tokenLabel(data.queryTokens[data.query]);
    const scale = data.qkv.scale;
    this.formula.textContent = fill('stepFormula', scale.toPrecision(4));
    this.facts.textContent = [
      fill('stepQuery', queryLabel, data.query + 1, data.queryTokens.length),
      fill('stepSizes', d, Math.sqrt(d).toPrecision(4), scale.toPrecision(4), (1 / Math.sqrt(d)).toPrecision(4)),
      ...(data.qkv.queryScale !== undefined ? [fill('stepQueryScale', data.qkv.queryScale.toPrecision(4))] : []),
    ].join(' · ');
    const masked = steps.masked.reduce((sum, value) => sum + value, 0);
    this.check.textContent = [
      masked > 0 ? fill('stepMasked', masked) : t('stepNoMask'),
      steps.difference < 1e-3 ? fill('stepCheckEqual', steps.difference.toExponential(1)) : fill('stepCheckBias', steps.difference.toPrecision(3)),
    ].join(' ');
    this.check.classList.toggle('warning', steps.difference >= 1e-3);
    this.switchButton.hidden = !data.switchable;
    this.switchButton.textContent = data.switchable?.off ? t('stepSwitchOn') : t('stepSwitchOff');
    this.draw(data, steps);
  }

  /** A band over the hovered key's row, wherever in the panel the token is hovered. */
  highlight(token: TokenRef | undefined): void {
    const r = token && this.data && token.stack === this.data.keyStack ? this.data.keyIndexes.indexOf(token.index) : -1;
    this.band.hidden = r < 0;
    if (r >= 0) {
      this.band.style.setProperty('top', `${this.layout.rowsTop + r * ROW}px`);
      this.band.style.setProperty('width', `${this.canvas.clientWidth}px`);
    }
  }

  exportTable(): ExportTable | undefined {
    const { data, steps } = this;
    if (!data || !steps) return undefined;
    const keys = data.keyIndexes;
    const d = steps.headDim;
    const rows = keys.map((j) => ({
      index: j,
      text: data.keyTokens[j].text,
      key: [...data.qkv.keys.data.slice(j * d, (j + 1) * d)],
      value: [...data.qkv.values.data.slice(j * d, (j + 1) * d)],
      dot: steps.dots[j],
      scaled: steps.scaled[j],
      masked: steps.masked[j] === 1,
      weight: steps.weights[j],
      recomputed: steps.recomputed[j],
    }));
    const header = 'key,text,q·k,scaled,masked,weight,recomputed';
    const csv = [header, ...rows.map((row) => [row.index, JSON.stringify(row.text), row.dot, row.scaled, row.masked ? 1 : 0, row.weight, row.recomputed].join(','))].join('\n') + '\n';
    return {
      name: data.exportName,
      json: { title: data.title, query: { index: data.query, text: data.queryTokens[data.query].text, vector: [...steps.query] }, scale: data.qkv.scale, queryScale: data.qkv.queryScale, keys: rows, output: [...steps.output], difference: steps.difference },
      csv,
    };
  }

  dispose(): void {
    this.element.remove();
  }

  private draw(data: StepData, steps: AttentionSteps): void {
    const font = panelFont();
    const d = steps.headDim;
    const cell = d <= 16 ? 8 : d <= 32 ? 5 : d <= 64 ? 3 : 2;
    const strip = d * cell;
    const labels = data.keyIndexes.map((j) => tokenLabel(data.keyTokens[j]));
    const label = Math.min(140, Math.max(40, ...labels.map((text) => textWidth(text, font)), textWidth(t('stepOutput'), font))) + 10;
    const columns: Column[] = [];
    let x = label;
    for (const [key, width] of [['k', strip], ['product', strip], ['dot', NUMBER], ['scaled', NUMBER], ['mask', MASK], ['weight', BAR + NUMBER], ['v', strip]] as const) {
      columns.push({ key, x, width });
      x += width + (key === 'k' || key === 'product' || key === 'weight' ? GAP : 4);
    }
    const rowsTop = HEADER + ROW + 8;
    const outputTop = rowsTop + labels.length * ROW + 8;
    this.layout = { label, cell, columns, rowsTop, outputTop };
    const context = sizeCanvas(this.canvas, x, outputTop + ROW + 4);
    const colors = data.theme.colors;
    context.font = font;
    context.textBaseline = 'middle';
    // Column titles
    context.fillStyle = colors.muted;
    for (const column of columns) context.fillText(t(`stepColumn_${column.key}` as const), column.x, HEADER / 2, column.width + 10);
    // q: one strip over the k column, labelled with its token
    const qk = symmetricMax(data.qkv.queries.data, data.qkv.keys.data);
    const k = columns[0];
    context.fillStyle = colors.foreground;
    context.textAlign = 'right';
    context.fillText(`q · ${tokenLabel(data.queryTokens[data.query])}`, label - 8, HEADER + ROW / 2, label - 10);
    this.paintStrip(context, steps.query, k.x, HEADER, cell, qk, data.theme);
    // Every key's row: kⱼ, q∘kⱼ, the numbers, the weight bar, vⱼ
    const product = symmetricMax(steps.products);
    const value = symmetricMax(data.qkv.values.data, steps.output);
    const rows = data.keyIndexes;
    this.paintRows(context, data.qkv.keys.data, rows, d, columns[0].x, rowsTop, cell, qk, data.theme);
    this.paintRows(context, steps.products, rows, d, columns[1].x, rowsTop, cell, product, data.theme);
    this.paintRows(context, data.qkv.values.data, rows, d, columns[6].x, rowsTop, cell, value, data.theme);
    const weight = columns[5];
    rows.forEach((j, r) => {
      const y = rowsTop + r * ROW + ROW / 2;
      context.textAlign = 'right';
      context.fillStyle = j === data.query && data.queryStack === data.keyStack ? colors.accent : colors.foreground;
      context.fillText(labels[r], label - 8, y, label - 10);
      context.fillStyle = colors.foreground;
      context.fillText(steps.dots[j].toFixed(3), columns[2].x + NUMBER - 6, y);
      context.fillText(steps.masked[j] ? '—' : steps.scaled[j].toFixed(3), columns[3].x + NUMBER - 6, y);
      context.fillStyle = steps.masked[j] ? colors.focus : colors.muted;
      context.fillText(steps.masked[j] ? '−∞' : '0', columns[4].x + MASK - 8, y);
      context.fillStyle = colors.accent;
      context.fillRect(weight.x, y - 5, Math.max(0, steps.weights[j]) * BAR, 10);
      context.fillStyle = colors.foreground;
      context.fillText(steps.weights[j].toFixed(4), weight.x + BAR + NUMBER - 4, y);
    });
    // Σ wⱼvⱼ under the values
    context.textAlign = 'right';
    context.fillText(t('stepOutput'), columns[6].x - 8, outputTop + ROW / 2);
    this.paintStrip(context, steps.output, columns[6].x, outputTop, cell, value, data.theme);
    context.strokeStyle = colors.border;
    context.strokeRect(weight.x - 0.5, rowsTop - 0.5, BAR + 1, rows.length * ROW + 1);
    context.textAlign = 'start';
    this.canvas.dataset.keys = String(rows.length);
    this.canvas.dataset.headDim = String(d);
  }

  private paintRows(context: CanvasRenderingContext2D, values: Float32Array, rows: readonly number[], d: number, x: number, y: number, cell: number, max: number, theme: Theme): void {
    paintDiverging(context, values, rows, d, { x, y, cell, rowHeight: ROW }, max, theme);
  }

  private paintStrip(context: CanvasRenderingContext2D, values: Float32Array, x: number, y: number, cell: number, max: number, theme: Theme): void {
    this.paintRows(context, values, [0], values.length, x, y, cell, max, theme);
  }

  private hover(event: MouseEvent): void {
    const { data, steps } = this;
    if (!data || !steps) return;
    const { rowsTop, outputTop, columns, cell } = this.layout;
    const column = columns.find((entry) => event.offsetX >= entry.x && event.offsetX < entry.x + entry.width);
    const r = Math.floor((event.offsetY - rowsTop) / ROW);
    const d = steps.headDim;
    const inStrip = (entry: Column) => Math.min(d - 1, Math.max(0, Math.floor((event.offsetX - entry.x) / cell)));
    let lines: string[] | undefined;
    if (event.offsetY >= HEADER && event.offsetY < HEADER + ROW && column?.key === 'k') {
      const i = inStrip(column);
      lines = [fill('stepTipQuery', i, steps.query[i].toPrecision(4))];
    } else if (event.offsetY >= outputTop && event.offsetY < outputTop + ROW && column?.key === 'v') {
      const i = inStrip(column);
      lines = [fill('stepTipOutput', i, steps.output[i].toPrecision(4))];
    } else if (r >= 0 && r < data.keyIndexes.length && column) {
      const j = data.keyIndexes[r];
      const token = tokenLabel(data.keyTokens[j]);
      this.onHover({ stack: data.keyStack, index: j });
      const i = column.key === 'k' || column.key === 'product' || column.key === 'v' ? inStrip(column) : 0;
      const tip: Record<Column['key'], () => string> = {
        k: () => fill('stepTipKey', j + 1, i, data.qkv.keys.data[j * d + i].toPrecision(4)),
        product: () => fill('stepTipProduct', j + 1, i, steps.query[i].toPrecision(4), data.qkv.keys.data[j * d + i].toPrecision(4), steps.products[j * d + i].toPrecision(4)),
        dot: () => fill('stepTipDot', j + 1, steps.dots[j].toPrecision(6)),
        scaled: () => fill('stepTipScaled', steps.dots[j].toPrecision(6), data.qkv.scale.toPrecision(4), steps.scaled[j].toPrecision(6)),
        mask: () => (steps.masked[j] ? t('stepTipMasked') : t('stepTipOpen')),
        weight: () => fill('stepTipWeight', steps.weights[j].toPrecision(6), steps.recomputed[j].toPrecision(6)),
        v: () => fill('stepTipValue', j + 1, i, data.qkv.values.data[j * d + i].toPrecision(4)),
      };
      lines = [token, tip[column.key]()];
    }
    if (!lines) {
      this.tooltip.hide();
      return;
    }
    // Aside from the row it describes, from its token's label to the hovered column.
    const rowTop = event.offsetY < rowsTop ? HEADER : event.offsetY >= outputTop ? outputTop : rowsTop + r * ROW;
    this.tooltip.show(event.offsetX, event.offsetY, lines, [box(0, rowTop, column ? column.x + column.width : event.offsetX, ROW)]);
  }
}
