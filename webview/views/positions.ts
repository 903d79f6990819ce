// Positions: what a stack adds to its token embeddings at each position, as a positions × dimensions
// heatmap (a sinusoidal table recognised and checked against the paper's formula, a learned one
// shown as learned), and for one token its scaled embedding, its position vector and their sum.

import { sinusoid } from '../../src/analysis/positions';
import type { PositionTerm, Tensor, Token } from '../../src/protocol/inspection';
import { el, panelFont, sizeCanvas } from '../elements';
import { fill, t } from '../strings';
import type { Theme } from '../theme';
import { paintDiverging, symmetricMax } from './divergingPaint';
import { tokenLabel, type TokenRef } from '../tokenInfo';
import { box, Tooltip } from '../tooltip';
import type { ExportTable, PanelView } from './view';

export interface PositionsData {
  readonly title: string;
  readonly stack: TokenRef['stack'];
  readonly tokens: readonly Token[];
  readonly term: PositionTerm;
  readonly embeddings?: Tensor;
  /** The token whose three vectors are drawn. */
  readonly token: number;
  readonly theme: Theme;
  readonly exportName: string;
}

const ROW = 14;
const STRIP = 16;
const LABEL = 110;

export class PositionsView implements PanelView<PositionsData> {
  readonly element = el('section', 'view positions');
  readonly figure = el('div', 'figure positions-figure');
  private readonly title = el('h2', 'view-title');
  private readonly verdict = el('p', 'positions-verdict');
  private readonly formula = el('p', 'positions-formula');
  private readonly heatmap = el('canvas', 'positions-canvas');
  private readonly tokenHeading = el('h3', 'positions-token-title');
  private readonly strips = el('canvas', 'positions-strips');
  private readonly tooltip: Tooltip;
  private data?: PositionsData;
  private layout = { cell: 1, width: 1 };

  constructor(private readonly onHover: (token: TokenRef | undefined) => void) {
    this.figure.append(this.heatmap, this.tokenHeading, this.strips);
    this.tooltip = new Tooltip(this.figure);
    this.element.append(this.title, this.verdict, this.formula, this.figure, el('p', 'note', t('positionsKeys')));
    this.heatmap.addEventListener('mousemove', (event) => this.hoverHeatmap(event));
    this.strips.addEventListener('mousemove', (event) => this.hoverStrips(event));
    for (const canvas of [this.heatmap, this.strips]) {
      canvas.addEventListener('mouseleave', () => {
        this.tooltip.hide();
        this.onHover(undefined);
      });
    }
  }

  update(data: PositionsData): void {
    this.data = data;
    const { term } = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const layout = term.layout === 'interleaved' ? t('positionsInterleaved') : t('positionsHalves');
    this.verdict.textContent = term.kind === 'sinusoidal'
      ? fill('positionsSinusoidal', layout, term.formulaDifference.toExponential(1), term.tableRows)
      : fill('positionsLearned', term.tableRows, term.formulaDifference.toPrecision(3));
    this.verdict.classList.toggle('sinusoidal', term.kind === 'sinusoidal');
    this.formula.textContent = fill('positionsSum', term.embeddingScale === 1 ? '' : `${term.embeddingScale.toPrecision(4)} × `, term.offset);
    this.drawHeatmap(data);
    this.drawToken(data);
  }

  highlight(_token: TokenRef | undefined): void {
    // The heatmap's rows are positions; the token strip marks the token.
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const [rows, width] = data.term.added.dims;
    const added = Array.from({ length: rows }, (_, p) => [...data.term.added.data.slice(p * width, (p + 1) * width)]);
    const { embedding, sum } = this.tokenVectors(data);
    const csv = ['position,token,' + Array.from({ length: width }, (_, i) => `d${i}`).join(','), ...added.map((row, p) => [p + data.term.offset, JSON.stringify(data.tokens[p]?.text ?? ''), ...row].join(','))].join('\n') + '\n';
    return {
      name: data.exportName,
      json: { title: data.title, kind: data.term.kind, layout: data.term.layout, formulaDifference: data.term.formulaDifference, offset: data.term.offset, embeddingScale: data.term.embeddingScale, added, token: { index: data.token, text: data.tokens[data.token]?.text, embedding: embedding && [...embedding], position: added[data.token], sum: sum && [...sum] } },
      csv,
    };
  }

  dispose(): void {
    this.element.remove();
  }

  private drawHeatmap(data: PositionsData): void {
    const [rows, width] = data.term.added.dims;
    const available = Math.max(240, (this.element.parentElement?.clientWidth || 640) - 24 - LABEL);
    const cell = Math.max(1, Math.min(12, Math.floor(available / Math.max(1, width))));
    this.layout = { cell, width };
    const context = sizeCanvas(this.heatmap, LABEL + width * cell, rows * ROW);
    context.font = panelFont();
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    context.fillStyle = data.theme.colors.foreground;
    for (let p = 0; p < rows; p++) context.fillText(`${p + data.term.offset} ${tokenLabel(data.tokens[p])}`, LABEL - 6, p * ROW + ROW / 2, LABEL - 8);
    this.paint(context, data.term.added.data, rows, width, LABEL, 0, cell, ROW, symmetricMax(data.term.added.data), data.theme);
    this.heatmap.dataset.rows = String(rows);
    this.heatmap.dataset.width = String(width);
  }

  /** The token's embedding × scale, its position vector and their sum, as three strips on one scale. */
  private drawToken(data: PositionsData): void {
    const width = data.term.added.dims[1];
    const { embedding, position, sum } = this.tokenVectors(data);
    this.tokenHeading.textContent = fill('positionsToken', tokenLabel(data.tokens[data.token]), data.token + data.term.offset);
    const parts = [embedding, position, sum];
    const max = Math.max(...parts.map((part) => (part ? symmetricMax(part) : 0))) || 1;
    const context = sizeCanvas(this.strips, LABEL + width * this.layout.cell, 3 * (STRIP + 4));
    context.font = panelFont();
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    const labels = [data.term.embeddingScale === 1 ? t('positionsEmbedding') : fill('positionsEmbeddingScaled', data.term.embeddingScale.toPrecision(4)), t('positionsPosition'), t('positionsSumLabel')];
    parts.forEach((part, i) => {
      context.fillStyle = data.theme.colors.foreground;
      context.fillText(part ? labels[i] : `${labels[i]} —`, LABEL - 6, i * (STRIP + 4) + STRIP / 2, LABEL - 8);
      if (part) this.paint(context, part, 1, width, LABEL, i * (STRIP + 4), this.layout.cell, STRIP, max, data.theme);
    });
  }

  private tokenVectors(data: PositionsData): { embedding?: Float32Array; position: Float32Array; sum?: Float32Array } {
    const width = data.term.added.dims[1];
    const position = data.term.added.data.slice(data.token * width, (data.token + 1) * width);
    const lookup = data.embeddings?.dims[1] === width ? data.embeddings.data.subarray(data.token * width, (data.token + 1) * width) : undefined;
    const embedding = lookup && Float32Array.from(lookup, (value) => value * data.term.embeddingScale);
    const sum = embedding && Float32Array.from(embedding, (value, i) => value + position[i]);
    return { embedding, position, sum };
  }

  private paint(context: CanvasRenderingContext2D, values: Float32Array, rows: number, width: number, x: number, y: number, cell: number, rowHeight: number, max: number, theme: Theme): void {
    paintDiverging(context, values, Array.from({ length: rows }, (_, r) => r), width, { x, y, cell, rowHeight }, max, theme);
  }

  private hoverHeatmap(event: MouseEvent): void {
    const data = this.data;
    if (!data) return;
    const [rows, width] = data.term.added.dims;
    const p = Math.floor(event.offsetY / ROW);
    const i = Math.floor((event.offsetX - LABEL) / this.layout.cell);
    if (p < 0 || p >= rows || i < 0 || i >= width) return this.tooltip.hide();
    this.onHover({ stack: data.stack, index: p });
    const value = data.term.added.data[p * width + i];
    const lines = [fill('positionsCell', p + data.term.offset, tokenLabel(data.tokens[p]), i), fill('positionsValue', value.toPrecision(4))];
    if (data.term.kind === 'sinusoidal') lines.push(fill('positionsFormulaValue', sinusoid(p + data.term.offset, i, width, data.term.layout).toPrecision(4)));
    this.tooltip.show(event.offsetX, event.offsetY, lines, [box(0, p * ROW, LABEL + (i + 1) * this.layout.cell, ROW)]);
  }

  private hoverStrips(event: MouseEvent): void {
    const data = this.data;
    if (!data) return;
    const width = data.term.added.dims[1];
    const part = Math.floor(event.offsetY / (STRIP + 4));
    const i = Math.floor((event.offsetX - LABEL) / this.layout.cell);
    const vectors = this.tokenVectors(data);
    const vector = [vectors.embedding, vectors.position, vectors.sum][part];
    if (!vector || i < 0 || i >= width) return this.tooltip.hide();
    const stripTop = this.strips.offsetTop + part * (STRIP + 4);
    this.tooltip.show(event.offsetX, this.strips.offsetTop + event.offsetY, [fill('positionsStripValue', i, vector[i].toPrecision(4))], [box(0, stripTop, LABEL + (i + 1) * this.layout.cell, STRIP)]);
  }
}
