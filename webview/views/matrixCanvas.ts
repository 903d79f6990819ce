// A dense labelled matrix drawn the fast way: cells on <canvas> through the colour LUT (one
// ImageData pixel per cell, scaled without smoothing), axes, labels, highlight and hover in SVG/HTML.
// Past the panel's size the view scrolls and the labels stay at its edges, as frozen panes do.

import { select } from 'd3';
import { el, panelFont, svgEl, textWidth } from '../elements';
import type { TokenRef } from '../tokenInfo';
import { box, Tooltip } from '../tooltip';
import { lutIndex } from '../theme';
import { ColorLegend } from './colorLegend';

export interface MatrixData {
  /** rows × cols, row-major: the whole matrix; `rowIndexes`/`colIndexes` pick what is drawn. */
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  readonly rowIndexes: readonly number[];
  readonly colIndexes: readonly number[];
  readonly rowStack?: TokenRef['stack'];
  readonly colStack?: TokenRef['stack'];
  readonly rowTitle: string;
  readonly colTitle: string;
  readonly max: number;
  /** Cells under this are left transparent. */
  readonly threshold: number;
  readonly lut: Uint8ClampedArray;
  readonly legendLabel: string;
  readonly describe: (row: number, col: number, value: number) => string;
  /** Caps the cell size, e.g. for a matrix with few wide columns. */
  readonly maxCell?: number;
}

const MIN_CELL = 2;
const MAX_CELL = 28;
const LABEL_PX = 12;
/** The most room a row label (across) and a column label (rotated) may take; longer ones are shortened. */
const ROW_LABEL_MAX = 160;
const COL_LABEL_MAX = 120;
/** Axes with at most this many entries label every one; longer ones are thinned to fit. */
export const LABEL_ALL = 64;

export class MatrixCanvas {
  readonly element = el('div', 'matrix');
  readonly canvas = el('canvas', 'matrix-canvas');
  private readonly svg = svgEl('svg', 'matrix-axes');
  private readonly legend = new ColorLegend();
  private readonly tooltip: Tooltip;
  private data?: MatrixData;
  private layout = { left: 0, top: 0, cell: 1 };
  private highlighted?: TokenRef;
  private hoverCell?: { row: number; col: number };
  private rowTitleAcross = false;
  private scroller?: HTMLElement;
  private stuck = { x: 0, y: 0 };
  private readonly onScroll = () => this.stickLabels();

  constructor(private readonly onHover: (token: TokenRef | undefined) => void) {
    const plot = el('div', 'matrix-plot');
    plot.append(this.canvas, this.svg);
    this.element.append(plot, this.legend.element);
    this.tooltip = new Tooltip(plot);
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => this.leave());
  }

  update(data: MatrixData): void {
    this.data = data;
    const font = panelFont();
    const shownRows = data.rowIndexes;
    const shownCols = data.colIndexes;
    const available = Math.max(240, (this.element.parentElement?.clientWidth || 640) - 24);
    const rowLabelWidth = Math.min(ROW_LABEL_MAX, Math.max(24, ...shownRows.map((r) => textWidth(data.rowLabels[r], font)))) + 10;
    const colLabelHeight = Math.min(COL_LABEL_MAX, Math.max(24, ...shownCols.map((c) => textWidth(data.colLabels[c], font)))) + 10;
    // Up to LABEL_ALL tokens a side, every one is labelled: cells stay as tall as a label, and the view scrolls.
    const labelAll = shownRows.length <= LABEL_ALL && shownCols.length <= LABEL_ALL;
    const fitted = Math.min(data.maxCell ?? MAX_CELL, Math.floor((available - rowLabelWidth - 16) / Math.max(1, shownCols.length)));
    const cell = Math.max(labelAll ? LABEL_PX : MIN_CELL, fitted);
    const height = shownRows.length * cell;
    // The row title runs down the left edge; a matrix too short for it gets it across, above its labels.
    const rowTitleWidth = textWidth(data.rowTitle, font);
    this.rowTitleAcross = height < rowTitleWidth + 8;
    const left = this.rowTitleAcross ? Math.max(rowLabelWidth, rowTitleWidth + 8) + 6 : rowLabelWidth + 16;
    const top = colLabelHeight + 16;
    this.layout = { left, top, cell };
    const width = shownCols.length * cell;
    this.drawCells(data, width, height);
    this.canvas.style.setProperty('left', `${left}px`);
    this.canvas.style.setProperty('top', `${top}px`);
    this.canvas.dataset.cell = String(cell);
    this.canvas.dataset.max = String(data.max);
    this.canvas.dataset.rows = String(shownRows.length);
    this.canvas.dataset.cols = String(shownCols.length);
    this.drawAxes(data, left, top, width, height, cell);
    this.followScroller();
    this.legend.update({ lut: data.lut, max: data.max, label: data.legendLabel, threshold: data.threshold });
    this.applyHighlight();
  }

  highlight(token: TokenRef | undefined): void {
    this.highlighted = token;
    this.applyHighlight();
  }

  /** One backing pixel per cell, scaled up by CSS without smoothing (as mosaic's raster mark): small to paint and to commit. */
  private drawCells(data: MatrixData, width: number, height: number): void {
    const rows = data.rowIndexes.length;
    const cols = data.colIndexes.length;
    this.canvas.width = Math.max(1, cols);
    this.canvas.height = Math.max(1, rows);
    this.canvas.style.setProperty('width', `${width}px`);
    this.canvas.style.setProperty('height', `${height}px`);
    const context = this.canvas.getContext('2d')!;
    const image = context.createImageData(this.canvas.width, this.canvas.height);
    const pixels = image.data;
    const { lut, values, max, threshold } = data;
    for (let r = 0; r < rows; r++) {
      const rowOffset = data.rowIndexes[r] * data.cols;
      for (let c = 0; c < cols; c++) {
        const value = values[rowOffset + data.colIndexes[c]];
        if (value < threshold) continue; // stays transparent: weak attention hidden
        const entry = lutIndex(value, max) * 4;
        const p = (r * cols + c) * 4;
        pixels[p] = lut[entry];
        pixels[p + 1] = lut[entry + 1];
        pixels[p + 2] = lut[entry + 2];
        pixels[p + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
  }

  private drawAxes(data: MatrixData, left: number, top: number, width: number, height: number, cell: number): void {
    const step = (count: number) => (count <= LABEL_ALL && cell >= LABEL_PX ? 1 : Math.max(1, Math.ceil(LABEL_PX / cell)));
    const rowStep = step(data.rowIndexes.length);
    const colStep = step(data.colIndexes.length);
    const rows = data.rowIndexes.filter((_, i) => i % rowStep === 0);
    const cols = data.colIndexes.filter((_, i) => i % colStep === 0);
    const position = (indexes: readonly number[], index: number) => indexes.indexOf(index);
    // Wide enough for the column title too (a 1 × 1 matrix is narrower than "Keys · decoder").
    const colTitleWidth = textWidth(data.colTitle, panelFont());
    const colTitleX = Math.max(left + width / 2, colTitleWidth / 2 + 2);
    const svgWidth = Math.ceil(Math.max(left + width + 8, colTitleX + colTitleWidth / 2 + 4));
    const svg = select(this.svg).attr('width', svgWidth).attr('height', top + height + 8);
    svg.selectAll('rect.frame').data([null]).join('rect').attr('class', 'frame').attr('x', left - 0.5).attr('y', top - 0.5).attr('width', width + 1).attr('height', height + 1);
    // Column labels, then row labels over them, then the corner over both: what stays put when the view scrolls.
    const colGroup = svg.selectAll<SVGGElement, null>('g.col-labels').data([null]).join('g').attr('class', 'col-labels');
    const rowGroup = svg.selectAll<SVGGElement, null>('g.row-labels').data([null]).join('g').attr('class', 'row-labels');
    const corner = svg.selectAll<SVGGElement, null>('g.corner').data([null]).join('g').attr('class', 'corner');
    const backdrop = (group: typeof rowGroup, x: number, y: number, w: number, h: number) =>
      group.selectAll('rect.sticky-backdrop').data([null]).join('rect').attr('class', 'sticky-backdrop').attr('x', x).attr('y', y).attr('width', w).attr('height', h);
    backdrop(colGroup, 0, 0, svgWidth, top - 1);
    backdrop(rowGroup, 0, top - 1, left - 1, height + 2);
    backdrop(corner, 0, 0, left - 1, top - 1);
    rowGroup
      .selectAll<SVGTextElement, number>('text.row-label')
      .data(rows, (d) => d)
      .join('text')
      .attr('class', 'row-label axis-label')
      .attr('data-index', (d) => d)
      .attr('x', left - 6)
      .attr('y', (d) => top + (position(data.rowIndexes, d) + 0.5) * cell)
      .attr('text-anchor', 'end')
      .attr('dominant-baseline', 'middle')
      .each(function (d) {
        shortLabel(this, data.rowLabels[d], ROW_LABEL_MAX);
      })
      .on('mouseenter', (_event, d) => this.onHover(data.rowStack ? { stack: data.rowStack, index: d } : undefined))
      .on('mouseleave', () => this.onHover(undefined));
    colGroup
      .selectAll<SVGTextElement, number>('text.col-label')
      .data(cols, (d) => d)
      .join('text')
      .attr('class', 'col-label axis-label')
      .attr('data-index', (d) => d)
      .attr('transform', (d) => `translate(${left + (position(data.colIndexes, d) + 0.5) * cell},${top - 6}) rotate(-90)`)
      .attr('text-anchor', 'start')
      .attr('dominant-baseline', 'middle')
      .each(function (d) {
        shortLabel(this, data.colLabels[d], COL_LABEL_MAX);
      })
      .on('mouseenter', (_event, d) => this.onHover(data.colStack ? { stack: data.colStack, index: d } : undefined))
      .on('mouseleave', () => this.onHover(undefined));
    const title = (group: typeof rowGroup, key: string, text: string | undefined, transform: string) =>
      group
        .selectAll('text.axis-title')
        .data(text === undefined ? [] : [text])
        .join('text')
        .attr('class', `axis-title ${key}-title`)
        .attr('transform', transform)
        .attr('text-anchor', 'middle')
        .text((d) => d);
    title(colGroup, 'col', data.colTitle, `translate(${colTitleX},11)`);
    title(rowGroup, 'row', this.rowTitleAcross ? undefined : data.rowTitle, `translate(11,${top + height / 2}) rotate(-90)`);
    title(corner, 'row', this.rowTitleAcross ? data.rowTitle : undefined, `translate(${(left - 6) / 2},${top - 6})`);
  }

  /** Listens to the nearest scrolling ancestor (the view area), once, to keep the labels in sight. */
  private followScroller(): void {
    let scroller = this.element.parentElement;
    while (scroller && scroller !== document.body && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowX + getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement;
    const found = scroller && scroller !== document.body ? scroller : undefined;
    if (found !== this.scroller) {
      this.scroller?.removeEventListener('scroll', this.onScroll);
      found?.addEventListener('scroll', this.onScroll, { passive: true });
      this.scroller = found;
    }
    this.stickLabels();
  }

  /** Row labels follow a sideways scroll, column labels a downward one, until the matrix's far edge. */
  private stickLabels(): void {
    if (!this.scroller || !this.data) return;
    const view = this.scroller.getBoundingClientRect();
    const plot = this.svg.getBoundingClientRect();
    const { cell } = this.layout;
    const x = Math.round(Math.max(0, Math.min(view.left + this.scroller.clientLeft - plot.left, (this.data.colIndexes.length - 1) * cell)));
    const y = Math.round(Math.max(0, Math.min(view.top + this.scroller.clientTop - plot.top, (this.data.rowIndexes.length - 1) * cell)));
    const svg = select(this.svg);
    svg.select('g.row-labels').attr('transform', x ? `translate(${x},0)` : null);
    svg.select('g.col-labels').attr('transform', y ? `translate(0,${y})` : null);
    svg.select('g.corner').attr('transform', x || y ? `translate(${x},${y})` : null);
    this.stuck = { x, y };
    this.svg.dataset.stuck = `${x},${y}`;
  }

  private applyHighlight(): void {
    const data = this.data;
    if (!data) return;
    const { left, top, cell } = this.layout;
    const token = this.highlighted;
    const bands: { key: string; x: number; y: number; w: number; h: number }[] = [];
    const width = data.colIndexes.length * cell;
    const height = data.rowIndexes.length * cell;
    if (token && token.stack === data.rowStack) {
      const r = data.rowIndexes.indexOf(token.index);
      if (r >= 0) bands.push({ key: 'row', x: left, y: top + r * cell, w: width, h: cell });
    }
    if (token && token.stack === data.colStack) {
      const c = data.colIndexes.indexOf(token.index);
      if (c >= 0) bands.push({ key: 'col', x: left + c * cell, y: top, w: cell, h: height });
    }
    if (this.hoverCell) bands.push({ key: 'cell', x: left + this.hoverCell.col * cell, y: top + this.hoverCell.row * cell, w: cell, h: cell });
    select(this.svg)
      .selectAll<SVGRectElement, (typeof bands)[number]>('rect.highlight')
      .data(bands, (d) => d.key)
      .join('rect')
      .attr('class', (d) => `highlight highlight-${d.key}`)
      .attr('x', (d) => d.x - 0.5)
      .attr('y', (d) => d.y - 0.5)
      .attr('width', (d) => d.w + 1)
      .attr('height', (d) => d.h + 1);
    select(this.svg).selectAll('g.col-labels, g.row-labels, g.corner').raise();
    select(this.svg)
      .selectAll<SVGTextElement, number>('text.row-label')
      .classed('active', (d) => token?.stack === data.rowStack && token?.index === d);
    select(this.svg)
      .selectAll<SVGTextElement, number>('text.col-label')
      .classed('active', (d) => token?.stack === data.colStack && token?.index === d);
  }

  private hover(event: MouseEvent): void {
    const data = this.data;
    if (!data) return;
    const { cell, left, top } = this.layout;
    const c = Math.floor(event.offsetX / cell);
    const r = Math.floor(event.offsetY / cell);
    if (r < 0 || c < 0 || r >= data.rowIndexes.length || c >= data.colIndexes.length) return this.leave();
    const row = data.rowIndexes[r];
    const col = data.colIndexes[c];
    const value = data.values[row * data.cols + col];
    this.hoverCell = { row: r, col: c };
    // Aside from the cell it names and from every label (where they are, scrolled or not): over other cells if need be.
    const { x, y } = this.stuck;
    const width = data.colIndexes.length * cell;
    const height = data.rowIndexes.length * cell;
    const avoid = [box(left + c * cell, top + r * cell, cell, cell), box(x, top, left, height), box(left, y, width, top)];
    this.tooltip.show(left + event.offsetX, top + event.offsetY, [data.describe(row, col, value)], avoid);
    // A cell names two tokens; the query (row) is the one the rest of the panel highlights.
    this.onHover(data.rowStack ? { stack: data.rowStack, index: row } : undefined);
  }

  private leave(): void {
    this.hoverCell = undefined;
    this.tooltip.hide();
    this.onHover(undefined);
  }
}

/** The label, shortened with "…" to fit `max` pixels; the whole token is then its tooltip (an SVG <title>). */
function shortLabel(element: SVGTextElement, label: string, max: number): void {
  const font = panelFont();
  if (textWidth(label, font) <= max) {
    element.textContent = label;
    return;
  }
  const characters = [...label];
  let keep = characters.length - 1;
  while (keep > 1 && textWidth(`${characters.slice(0, keep).join('')}…`, font) > max) keep--;
  element.textContent = `${characters.slice(0, keep).join('')}…`;
  element.append(svgEl('title'));
  element.lastElementChild!.textContent = label;
}
