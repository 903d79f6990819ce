// The head view (BertViz's): for one layer, a line from each query token to every key token it
// attends to, one colour per head, heads toggled on and off. Lines on canvas, labels in SVG.

import { select } from 'd3';
import type { Tensor, Token } from '../../src/protocol/inspection';
import { el, panelFont, sizeCanvas, svgEl, textWidth } from '../elements';
import { format, t } from '../strings';
import type { Theme } from '../theme';
import { tokenLabel, type TokenRef } from '../tokenInfo';
import { csvField, type ExportTable, type PanelView, type TokenAxes } from './view';

export interface HeadViewData extends TokenAxes {
  readonly title: string;
  /** [heads, queries, keys] of one layer. */
  readonly layer: Tensor;
  readonly threshold: number;
  readonly enabledHeads: readonly boolean[];
  readonly theme: Theme;
  readonly exportName: string;
}

/** Lines this faint are invisible anyway; skipping them keeps 512-token layers fast. */
export const MIN_LINE_WEIGHT = 0.01;
const ALPHA_LEVELS = 16;
const MAX_HEIGHT = 1600;
const LABEL_PX = 11;
/** Above this many weights per drawing, heads are drawn one animation frame each. */
const SLICE_WEIGHTS = 600_000;

export function effectiveThreshold(threshold: number): number {
  return Math.max(threshold, MIN_LINE_WEIGHT);
}

export class HeadView implements PanelView<HeadViewData> {
  readonly element = el('section', 'view head-view');
  readonly figure = el('div', 'figure head-figure');
  private readonly title = el('h2', 'view-title');
  private readonly toggles = el('div', 'head-toggles');
  readonly canvas = el('canvas', 'head-lines');
  private readonly buffer = document.createElement('canvas');
  private readonly svg = svgEl('svg', 'head-labels');
  private data?: HeadViewData;
  private highlighted?: TokenRef;
  private geometry = { labelWidth: 0, linesWidth: 0, rowHeight: 16, top: 8 };
  private job = 0;
  private frame = 0;

  constructor(
    private readonly onHover: (token: TokenRef | undefined) => void,
    private readonly onHeadsChange: (enabled: boolean[]) => void,
  ) {
    this.toggles.setAttribute('role', 'group');
    this.toggles.setAttribute('aria-label', t('head'));
    this.figure.append(this.canvas, this.svg);
    this.element.append(this.title, this.toggles, this.figure);
  }

  update(data: HeadViewData): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    this.drawToggles(data);
    const font = panelFont();
    const rows = Math.max(data.queryIndexes.length, data.keyIndexes.length);
    // Long inputs get thinner rows (labels thinned to match) so the figure stays a few screens tall.
    const rowHeight = Math.max(3, Math.min(16, Math.floor(MAX_HEIGHT / Math.max(1, rows))));
    const labels = [...data.queryIndexes.map((i) => tokenLabel(data.queryTokens[i])), ...data.keyIndexes.map((i) => tokenLabel(data.keyTokens[i]))];
    const labelWidth = Math.min(140, Math.max(30, ...labels.map((label) => textWidth(label, font)))) + 12;
    const available = (this.element.parentElement?.clientWidth || 640) - 24;
    const linesWidth = Math.max(120, Math.min(360, available - 2 * labelWidth));
    this.geometry = { labelWidth, linesWidth, rowHeight, top: 8 };
    const height = rows * rowHeight + 16;
    this.canvas.style.setProperty('left', `${labelWidth}px`);
    sizeCanvas(this.canvas, linesWidth, height);
    select(this.svg).attr('width', 2 * labelWidth + linesWidth).attr('height', height);
    this.drawLabels(data);
    this.draw();
  }

  highlight(token: TokenRef | undefined): void {
    if (token?.stack === this.highlighted?.stack && token?.index === this.highlighted?.index) return;
    this.highlighted = token;
    if (!this.data) return;
    const data = this.data;
    const mark = (cls: string, stack: TokenRef['stack']) =>
      select(this.svg)
        .selectAll<SVGTextElement, number>(`text.${cls}`)
        .classed('active', function () {
          return token?.stack === stack && token.index === Number(this.getAttribute('data-index'));
        });
    mark('head-query', data.queryStack);
    mark('head-key', data.keyStack);
    this.draw();
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const lines = this.visibleLines(data, () => true);
    const rows = lines.map((line) => [line.head + 1, line.query, data.queryTokens[line.query].text, line.key, data.keyTokens[line.key].text, line.weight]);
    return {
      name: data.exportName,
      json: {
        title: data.title,
        threshold: effectiveThreshold(data.threshold),
        heads: data.enabledHeads.map((enabled, head) => ({ head: head + 1, enabled })),
        lines: lines.map((line) => ({ head: line.head + 1, query: line.query, key: line.key, weight: line.weight })),
      },
      csv: ['head,query_index,query,key_index,key,weight', ...rows.map((row) => row.map((v) => csvField(v)).join(','))].join('\n') + '\n',
    };
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.job++;
    this.element.remove();
  }

  /** Every drawn line; `keep` filters by the hovered token. */
  private visibleLines(data: HeadViewData, keep: (query: number, key: number) => boolean): { head: number; query: number; key: number; weight: number }[] {
    const [heads, queries, keys] = data.layer.dims;
    const threshold = effectiveThreshold(data.threshold);
    const lines: { head: number; query: number; key: number; weight: number }[] = [];
    for (let head = 0; head < heads; head++) {
      if (!data.enabledHeads[head]) continue;
      for (const q of data.queryIndexes) for (const k of data.keyIndexes) {
        const weight = data.layer.data[(head * queries + q) * keys + k];
        if (weight >= threshold && keep(q, k)) lines.push({ head, query: q, key: k, weight });
      }
    }
    return lines;
  }

  private drawToggles(data: HeadViewData): void {
    const heads = data.layer.dims[0];
    const entries = Array.from({ length: heads }, (_, head) => head);
    select(this.toggles)
      .selectAll<HTMLButtonElement, number>('button.head-toggle')
      .data(entries, (d) => d)
      .join((enter) =>
        enter
          .append('button')
          .attr('class', 'head-toggle')
          .attr('type', 'button')
          .on('click', (_event, head) => {
            const enabled = [...(this.data?.enabledHeads ?? [])];
            enabled[head] = !enabled[head];
            this.onHeadsChange(enabled);
          }),
      )
      .attr('aria-pressed', (d) => String(data.enabledHeads[d] ?? false))
      .attr('title', (d) => format.headToggle(d))
      // The number alone would be read out as "1, toggle button": the name says which head.
      .attr('aria-label', (d) => format.headToggle(d))
      .text((d) => String(d + 1))
      .each(function (d) {
        this.style.setProperty('--swatch', data.theme.headColors[d % data.theme.headColors.length]);
      });
    select(this.toggles)
      .selectAll<HTMLButtonElement, boolean>('button.head-all')
      .data([true, false])
      .join('button')
      .attr('class', 'head-all')
      .attr('type', 'button')
      .text((all) => t(all ? 'headsAll' : 'headsNone'))
      .on('click', (_event, all) => this.onHeadsChange(entries.map(() => all)));
  }

  private drawLabels(data: HeadViewData): void {
    const { labelWidth, linesWidth, rowHeight, top } = this.geometry;
    const every = Math.max(1, Math.ceil(LABEL_PX / rowHeight));
    const side = (cls: string, indexes: readonly number[], tokens: readonly Token[], stack: TokenRef['stack'], x: number, anchor: string) =>
      select(this.svg)
        .selectAll<SVGTextElement, number>(`text.${cls}`)
        .data(
          indexes.flatMap((index, position) => (position % every === 0 ? [position] : [])),
          (position) => indexes[position],
        )
        .join('text')
        .attr('class', `${cls} axis-label`)
        .attr('data-index', (position) => indexes[position])
        .attr('x', x)
        .attr('y', (position) => top + (position + 0.5) * rowHeight)
        .attr('text-anchor', anchor)
        .attr('dominant-baseline', 'middle')
        .text((position) => tokenLabel(tokens[indexes[position]]))
        .on('mouseenter', (_event, position) => this.onHover({ stack, index: indexes[position] }))
        .on('mouseleave', () => this.onHover(undefined));
    side('head-query', data.queryIndexes, data.queryTokens, data.queryStack, labelWidth - 6, 'end');
    side('head-key', data.keyIndexes, data.keyTokens, data.keyStack, labelWidth + linesWidth + 6, 'start');
  }

  /** Draws the lines; big layers one head per animation frame so no task runs long. */
  private draw(): void {
    const data = this.data;
    if (!data) return;
    const job = ++this.job;
    cancelAnimationFrame(this.frame);
    const { linesWidth, rowHeight, top } = this.geometry;
    const token = this.highlighted;
    const queryFilter = token && token.stack === data.queryStack && data.queryIndexes.includes(token.index) ? token.index : -1;
    const keyFilter = queryFilter < 0 && token && token.stack === data.keyStack && data.keyIndexes.includes(token.index) ? token.index : -1;
    const [heads, queries, keys] = data.layer.dims;
    const enabled = Array.from({ length: heads }, (_, h) => h).filter((h) => data.enabledHeads[h]);
    const perHead = (queryFilter >= 0 ? 1 : data.queryIndexes.length) * (keyFilter >= 0 ? 1 : data.keyIndexes.length);
    const sliced = perHead * enabled.length > SLICE_WEIGHTS;
    const threshold = effectiveThreshold(data.threshold);
    const queryRows = queryFilter >= 0 ? [queryFilter] : data.queryIndexes;
    const keyCols = keyFilter >= 0 ? [keyFilter] : data.keyIndexes;
    const queryY = new Map(data.queryIndexes.map((q, i) => [q, top + (i + 0.5) * rowHeight]));
    const keyY = new Map(data.keyIndexes.map((k, i) => [k, top + (i + 0.5) * rowHeight]));
    let count = 0;
    this.canvas.dataset.complete = 'false';
    // A drawing spread over frames goes to a detached canvas first: the visible one changes (and is committed) once.
    const target = sliced ? this.buffer : this.canvas;
    if (sliced) {
      this.buffer.width = this.canvas.width;
      this.buffer.height = this.canvas.height;
    }
    const context = target.getContext('2d')!;
    const ratio = this.canvas.width / linesWidth;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, linesWidth, this.canvas.height);
    context.lineWidth = rowHeight < 8 ? 1 : 1.6;
    const drawHead = (head: number) => {
      const paths = Array.from({ length: ALPHA_LEVELS }, () => new Path2D());
      const used = new Uint8Array(ALPHA_LEVELS);
      const base = head * queries * keys;
      for (const q of queryRows) {
        const y0 = queryY.get(q)!;
        const row = base + q * keys;
        for (const k of keyCols) {
          const weight = data.layer.data[row + k];
          if (weight < threshold) continue;
          const level = Math.min(ALPHA_LEVELS - 1, Math.floor(weight * ALPHA_LEVELS));
          paths[level].moveTo(0, y0);
          paths[level].lineTo(linesWidth, keyY.get(k)!);
          used[level] = 1;
          count++;
        }
      }
      context.strokeStyle = data.theme.headColors[head % data.theme.headColors.length];
      for (let level = 0; level < ALPHA_LEVELS; level++) {
        if (!used[level]) continue;
        context.globalAlpha = Math.min(1, 0.15 + (level + 1) / ALPHA_LEVELS);
        context.stroke(paths[level]);
      }
      context.globalAlpha = 1;
    };
    const finish = () => {
      if (sliced) {
        const visible = this.canvas.getContext('2d')!;
        visible.setTransform(1, 0, 0, 1, 0, 0);
        visible.clearRect(0, 0, this.canvas.width, this.canvas.height);
        visible.drawImage(this.buffer, 0, 0);
      }
      this.canvas.dataset.lines = String(count);
      this.canvas.dataset.complete = 'true';
      this.element.dispatchEvent(new CustomEvent('ti-drawn', { bubbles: true }));
    };
    if (!sliced) {
      enabled.forEach(drawHead);
      finish();
      return;
    }
    let next = 0;
    const step = () => {
      if (job !== this.job) return;
      const started = performance.now();
      // As many heads as fit in ~30 ms, then yield to the browser.
      while (next < enabled.length && performance.now() - started < 30) drawHead(enabled[next++]);
      if (next < enabled.length) this.frame = requestAnimationFrame(step);
      else finish();
    };
    this.frame = requestAnimationFrame(step);
  }
}
