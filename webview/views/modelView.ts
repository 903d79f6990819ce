// The model view: every layer × head of a group as small multiples from the summary's
// thumbnails, on ONE shared colour scale; click or Enter on a cell focuses it in the heatmap.
// With "Switch heads off" pressed (or X on a cell), a click switches the head off or on instead;
// the effect of the heads off is drawn underneath, beside the original.

import { select } from 'd3';
import type { AttentionGroupSummary } from '../../src/protocol/panelData';
import { el, svgEl } from '../elements';
import { format, t } from '../strings';
import type { Theme } from '../theme';
import { lutIndex } from '../theme';
import type { TokenRef } from '../tokenInfo';
import { ColorLegend } from './colorLegend';
import { tensorMax } from '../attentionData';
import { type ExportTable, type PanelView } from './view';
import { AblationEffectView } from './ablationEffect';
import type { AblationEffect } from '../../src/protocol/panelData';

export interface ModelViewData {
  readonly title: string;
  readonly group: AttentionGroupSummary;
  readonly layer: number;
  readonly head: number;
  readonly theme: Theme;
  readonly exportName: string;
  /** Heads switched off in every group, as `GROUP:LAYER:HEAD`; undefined where heads cannot be (the report). */
  readonly off?: readonly string[];
  readonly effect?: AblationEffect;
  /** The inspection drawn: a restored model says what it gives again only for the same one. */
  readonly inspectionId?: string;
}

interface Cell {
  readonly layer: number;
  readonly head: number;
  readonly key: string;
}

const GAP = 4;
const LABEL = 28;
const MIN_TILE_HEIGHT = 14;
const MAX_TILE = 240;

export class ModelView implements PanelView<ModelViewData> {
  readonly element = el('section', 'view model-view');
  readonly figure = el('div', 'figure');
  readonly canvas = el('canvas', 'model-canvas');
  private readonly title = el('h2', 'view-title');
  private readonly svg = svgEl('svg', 'model-cells');
  private readonly legend = new ColorLegend();
  private data?: ModelViewData;
  /** Screen pixels per thumbnail cell; thumbnails sit one backing pixel apart. */
  private scale = 1;
  private scaleY = 1;
  private focusKey?: string;
  private readonly switchBar = el('div', 'ablation-bar');
  private readonly switchButton = el('button', 'switch-heads', t('switchHeads'));
  private readonly switchHint = el('span', 'note', t('switchHint'));
  private readonly effectView: AblationEffectView;
  private switching = false;
  private lastEffect?: { id?: string; effect: AblationEffect };

  constructor(
    private readonly onFocusHead: (layer: number, head: number) => void,
    private readonly onOffChange: (off: readonly string[]) => void,
  ) {
    const plot = el('div', 'model-plot');
    plot.append(this.canvas, this.svg);
    this.figure.append(plot, this.legend.element);
    this.effectView = new AblationEffectView(() => this.onOffChange([]));
    this.switchButton.type = 'button';
    this.switchButton.setAttribute('aria-pressed', 'false');
    this.switchButton.addEventListener('click', () => this.setSwitching(!this.switching));
    this.switchBar.append(this.switchButton, this.switchHint);
    this.element.append(this.title, this.switchBar, this.figure, this.effectView.element);
    this.svg.setAttribute('role', 'group');
  }

  private setSwitching(on: boolean): void {
    this.switching = on;
    this.switchButton.setAttribute('aria-pressed', String(on));
    this.switchButton.classList.toggle('pressed', on);
    this.element.classList.toggle('switching', on);
  }

  private headName(cell: Cell): string {
    return `${this.data!.group.key}:${cell.layer}:${cell.head}`;
  }

  /** Switches one head off, or on again when it was off. */
  private toggle(cell: Cell): void {
    const off = this.data?.off;
    if (!off) return;
    const name = this.headName(cell);
    this.onOffChange(off.includes(name) ? off.filter((entry) => entry !== name) : [...off, name]);
  }

  /** A click or Enter: switch the head while switching, else focus it in the heatmap. */
  private activate(cell: Cell): void {
    this.focusKey = cell.key;
    if (this.switching && this.data?.off) this.toggle(cell);
    else this.onFocusHead(cell.layer, cell.head);
  }

  update(data: ModelViewData): void {
    const started = performance.now();
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const { heads } = data.group;
    const [, , rows, cols] = data.group.thumbnails.dims;
    const available = (this.element.parentElement?.clientWidth || 640) - 24 - LABEL;
    // As wide as the panel allows, and for a small model no taller than about two thirds of the window
    // (every layer in sight); never smaller than the 80 px a large model's tiles had before scrolling.
    const byWidth = Math.floor(available / Math.max(1, heads)) - GAP;
    const byHeight = Math.floor((window.innerHeight * 0.65) / Math.max(1, data.group.layers)) - GAP;
    const tile = Math.max(20, Math.min(byWidth, MAX_TILE, Math.max(80, byHeight)));
    this.scale = tile / Math.max(1, rows, cols);
    // A cross-attention group with one decoder token pools to one row: keep each layer a label tall.
    this.scaleY = Math.max(this.scale, MIN_TILE_HEIGHT / Math.max(1, rows));
    const max = tensorMax(data.group.thumbnails.data);
    this.drawTiles(data, max);
    this.switchBar.hidden = !data.off;
    if (!data.off) this.setSwitching(false);
    this.drawCells(data);
    const effect = data.off?.length ? data.effect : undefined;
    if (effect) this.lastEffect = { id: data.inspectionId, effect };
    const restored = this.lastEffect?.id === data.inspectionId ? this.lastEffect?.effect : undefined;
    this.effectView.update(effect, restored);
    this.legend.update({ lut: data.theme.lut, max, label: t('legendBlockMean') });
    performance.measure('ti:model-view', { start: started, end: performance.now() });
    this.canvas.dataset.max = String(max);
    this.canvas.dataset.scale = String(this.scale);
    this.canvas.dataset.scaleY = String(this.scaleY);
  }

  highlight(_token: TokenRef | undefined): void {
    // Thumbnails are pooled: a single token has no cell of its own here.
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const [layers, heads, rows, cols] = data.group.thumbnails.dims;
    const values = data.group.thumbnails.data;
    const lines = ['layer,head,row_block,col_block,mean_attention'];
    const json: number[][][][] = [];
    for (let l = 0; l < layers; l++) {
      const layerRows: number[][][] = [];
      for (let h = 0; h < heads; h++) {
        const block: number[][] = [];
        for (let r = 0; r < rows; r++) {
          const row: number[] = [];
          for (let c = 0; c < cols; c++) {
            const value = values[((l * heads + h) * rows + r) * cols + c];
            row.push(value);
            lines.push(`${l + 1},${h + 1},${r},${c},${value}`);
          }
          block.push(row);
        }
        layerRows.push(block);
      }
      json.push(layerRows);
    }
    return { name: data.exportName, json: { title: data.title, group: data.group.key, queries: data.group.queries, keys: data.group.keys, blockMeans: json }, csv: lines.join('\n') + '\n' };
  }

  dispose(): void {
    this.element.remove();
  }

  /** Every thumbnail into one ImageData, one backing pixel per pooled cell and one between tiles; CSS scales it up. */
  private drawTiles(data: ModelViewData, max: number): void {
    const [layers, heads, rows, cols] = data.group.thumbnails.dims;
    const lut = data.theme.lut;
    const values = data.group.thumbnails.data;
    const width = Math.max(1, heads * (cols + 1) - 1);
    const height = Math.max(1, layers * (rows + 1) - 1);
    this.canvas.width = width;
    this.canvas.height = height;
    const context = this.canvas.getContext('2d')!;
    const image = context.createImageData(width, height);
    for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * rows * cols;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        const entry = lutIndex(values[base + r * cols + c], max) * 4;
        const p = ((l * (rows + 1) + r) * width + h * (cols + 1) + c) * 4;
        image.data[p] = lut[entry];
        image.data[p + 1] = lut[entry + 1];
        image.data[p + 2] = lut[entry + 2];
        image.data[p + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
    this.canvas.style.setProperty('width', `${width * this.scale}px`);
    this.canvas.style.setProperty('height', `${height * this.scaleY}px`);
    this.canvas.style.setProperty('left', `${LABEL}px`);
    this.canvas.style.setProperty('top', `${LABEL}px`);
  }

  private drawCells(data: ModelViewData): void {
    const { layers, heads } = data.group;
    const [, , rows, cols] = data.group.thumbnails.dims;
    const stepX = (cols + 1) * this.scale;
    const stepY = (rows + 1) * this.scaleY;
    const cells: Cell[] = [];
    for (let layer = 0; layer < layers; layer++) for (let head = 0; head < heads; head++) cells.push({ layer, head, key: `${layer}-${head}` });
    const selectedKey = `${data.layer}-${data.head}`;
    const off = new Set(data.off ?? []);
    const isOff = (cell: Cell) => off.has(`${data.group.key}:${cell.layer}:${cell.head}`);
    if (!this.focusKey || !cells.some((cell) => cell.key === this.focusKey)) this.focusKey = selectedKey;
    const svg = select(this.svg).attr('width', LABEL + heads * stepX).attr('height', LABEL + layers * stepY);
    svg
      .selectAll<SVGTextElement, number>('text.model-layer')
      .data(Array.from({ length: layers }, (_, i) => i), (d) => d)
      .join('text')
      .attr('class', 'model-layer axis-label')
      .attr('x', LABEL - 6)
      .attr('y', (d) => LABEL + d * stepY + (rows * this.scaleY) / 2)
      .attr('text-anchor', 'end')
      .attr('dominant-baseline', 'middle')
      .text((d) => `${t('layerShort')}${d + 1}`);
    svg
      .selectAll<SVGTextElement, number>('text.model-head')
      .data(Array.from({ length: heads }, (_, i) => i), (d) => d)
      .join('text')
      .attr('class', 'model-head axis-label')
      .attr('x', (d) => LABEL + d * stepX + (cols * this.scale) / 2)
      .attr('y', LABEL - 8)
      .attr('text-anchor', 'middle')
      .text((d) => `${t('headShort')}${d + 1}`);
    svg
      .selectAll<SVGRectElement, Cell>('rect.model-cell')
      .data(cells, (d) => d.key)
      .join((enter) =>
        enter
          .append('rect')
          .attr('class', 'model-cell')
          .attr('role', 'button')
          .on('click', (_event, d) => this.activate(d))
          .on('keydown', (event: KeyboardEvent, d) => this.key(event, d)),
      )
      .attr('x', (d) => LABEL + d.head * stepX - 0.5)
      .attr('y', (d) => LABEL + d.layer * stepY - 0.5)
      .attr('width', cols * this.scale + 1)
      .attr('height', rows * this.scaleY + 1)
      .attr('data-layer', (d) => d.layer)
      .attr('data-head', (d) => d.head)
      .attr('aria-label', (d) => (isOff(d) ? format.modelCellOff(d.layer, d.head) : format.modelCell(d.layer, d.head)))
      .attr('aria-pressed', (d) => (data.off ? String(isOff(d)) : null))
      .attr('tabindex', (d) => (d.key === this.focusKey ? 0 : -1))
      .classed('selected', (d) => d.key === selectedKey)
      .classed('off', isOff)
      .selectAll('title')
      .data((d) => [isOff(d) ? format.modelCellOff(d.layer, d.head) : format.modelCell(d.layer, d.head)])
      .join('title')
      .text((d) => d);
    this.svg.setAttribute('aria-label', `${t('modeModel')}: ${data.title}`);
  }

  /** Arrow keys move between cells (rows are layers, columns heads); Enter or Space focuses one. */
  private key(event: KeyboardEvent, cell: Cell): void {
    const data = this.data;
    if (!data) return;
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [-cell.layer, -cell.head] };
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      event.stopPropagation();
      this.activate(cell);
      return;
    }
    if ((event.key === 'x' || event.key === 'X' || event.key === 'Delete') && data.off) {
      event.preventDefault();
      event.stopPropagation();
      this.focusKey = cell.key;
      this.toggle(cell);
      return;
    }
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    event.stopPropagation();
    const layer = Math.max(0, Math.min(data.group.layers - 1, cell.layer + move[0]));
    const head = Math.max(0, Math.min(data.group.heads - 1, cell.head + move[1]));
    this.focusKey = `${layer}-${head}`;
    select(this.svg).selectAll<SVGRectElement, Cell>('rect.model-cell').attr('tabindex', (d) => (d.key === this.focusKey ? 0 : -1));
    this.svg.querySelector<SVGRectElement>(`rect.model-cell[data-layer="${layer}"][data-head="${head}"]`)?.focus();
  }
}
