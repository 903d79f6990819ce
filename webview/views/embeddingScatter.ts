// The token-embedding scatter: 2-D PCA of the embedding lookup and of each layer's hidden states,
// a layer slider that moves every token through the network, colour by position or token type.

import { axisBottom, axisLeft, extent, scaleLinear, select, transition } from 'd3';
import type { Tensor } from '../../src/protocol/inspection';
import type { NeighborToken, StackSummary } from '../../src/protocol/panelData';
import { el, panelFont, svgEl, textWidth } from '../elements';
import { format, t } from '../strings';
import { lutCss, type Theme } from '../theme';
import { tokenLabel, type TokenRef, type TokenType } from '../tokenInfo';
import { box, type Box as ScreenBox, Tooltip } from '../tooltip';
import { csvField, type ExportTable, type PanelView } from './view';

export type ColorBy = 'position' | 'type';

export interface ScatterData {
  readonly title: string;
  readonly stack: StackSummary;
  readonly tokenTypes: readonly TokenType[];
  /** -1: the embedding lookup; 0…layers: hidden states (0 is the first layer's input). */
  readonly position: number;
  readonly colorBy: ColorBy;
  readonly visibleIndexes: readonly number[];
  readonly theme: Theme;
  readonly exportName: string;
}

export interface ScatterCallbacks {
  readonly onHover: (token: TokenRef | undefined) => void;
  readonly onPosition: (position: number) => void;
  readonly neighbors: (token: number, layer: number) => Promise<readonly NeighborToken[]>;
}

const MARGIN = { left: 44, right: 16, top: 12, bottom: 36 };
const TRANSITION_MS = 450;
const MAX_LABELS = 80;

/** The lookup PCA flipped, where needed, to agree with layer 0 so the first step does not mirror. */
function alignedLookup(lookup: Tensor, projection: Tensor | undefined): Float32Array {
  const out = Float32Array.from(lookup.data);
  if (!projection) return out;
  for (let component = 0; component < 2; component++) {
    let agreement = 0;
    for (let i = component; i < out.length; i += 2) agreement += out[i] * projection.data[i];
    if (agreement < 0) for (let i = component; i < out.length; i += 2) out[i] = -out[i];
  }
  return out;
}

export class EmbeddingScatter implements PanelView<ScatterData> {
  readonly element = el('section', 'view embedding-scatter');
  readonly figure = el('div', 'figure scatter-figure');
  readonly slider = el('input', 'layer-slider');
  private readonly title = el('h2', 'view-title');
  private readonly sliderLabel = el('output', 'slider-value');
  private readonly play = el('button', 'play', t('play'));
  private readonly explained = el('p', 'meta explained');
  private readonly legend = el('div', 'scatter-legend');
  private readonly svg = svgEl('svg', 'scatter');
  private readonly tooltip: Tooltip;
  private data?: ScatterData;
  private lookup?: { source: Tensor; aligned: Float32Array };
  private highlighted?: TokenRef;
  private neighbours = new Set<number>();
  private timer = 0;
  private hoverSeq = 0;
  private keyboardToken?: number;

  constructor(private readonly callbacks: ScatterCallbacks) {
    this.slider.type = 'range';
    this.slider.step = '1';
    this.slider.setAttribute('aria-label', t('layer'));
    this.slider.addEventListener('input', () => callbacks.onPosition(Number(this.slider.value)));
    this.play.type = 'button';
    this.play.addEventListener('click', () => this.togglePlay());
    const controls = el('div', 'scatter-controls');
    const label = el('label', 'control');
    label.append(el('span', 'control-label', t('layer')), this.slider, this.sliderLabel);
    controls.append(label, this.play);
    this.figure.append(this.svg);
    this.svg.setAttribute('tabindex', '0');
    this.svg.setAttribute('aria-label', t('scatterKeys'));
    this.svg.addEventListener('keydown', (event) => this.key(event));
    this.svg.addEventListener('blur', () => this.leavePoint());
    this.tooltip = new Tooltip(this.figure);
    this.element.append(this.title, controls, this.explained, this.figure, this.legend);
  }

  update(data: ScatterData): void {
    const previous = this.data;
    this.data = data;
    const { stack } = data;
    const layers = stack.projection?.dims[0] ?? 0;
    const hasLookup = stack.embeddingProjection !== undefined;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    this.slider.min = String(hasLookup ? -1 : 0);
    this.slider.max = String(Math.max(0, layers - 1));
    this.slider.value = String(data.position);
    this.sliderLabel.textContent = format.sliderPosition(layers, data.position);
    const ratio = data.position >= 0 ? stack.explained?.[data.position] : undefined;
    this.explained.textContent = ratio ? format.explained(ratio[0], ratio[1]) : t('explainedUnknown');
    const coords = this.coordinates(data);
    if (!coords) return;
    const animate = previous !== undefined && previous.stack === data.stack && previous.position !== data.position;
    this.draw(data, coords, ratio, animate);
    this.drawLegend(data);
  }

  highlight(token: TokenRef | undefined): void {
    this.highlighted = token;
    this.applyHighlight();
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    const coords = data && this.coordinates(data);
    if (!data || !coords) return undefined;
    const rows = data.visibleIndexes.map((i) => ({ index: i, token: data.stack.tokens[i].text, type: data.tokenTypes[i], x: coords[i * 2], y: coords[i * 2 + 1] }));
    return {
      name: data.exportName,
      json: { title: data.title, stack: data.stack.stack, position: data.position, explained: data.position >= 0 ? data.stack.explained?.[data.position] : undefined, points: rows },
      csv: ['index,token,type,pc1,pc2', ...rows.map((r) => [r.index, r.token, r.type, r.x, r.y].map(csvField).join(','))].join('\n') + '\n',
    };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.element.remove();
  }

  private coordinates(data: ScatterData): Float32Array | undefined {
    const { stack } = data;
    if (data.position < 0 && stack.embeddingProjection) {
      if (this.lookup?.source !== stack.embeddingProjection) {
        const layerZero = stack.projection ? { dims: [stack.tokens.length, 2], data: stack.projection.data.subarray(0, stack.tokens.length * 2) } : undefined;
        this.lookup = { source: stack.embeddingProjection, aligned: alignedLookup(stack.embeddingProjection, layerZero) };
      }
      return this.lookup.aligned;
    }
    if (!stack.projection) return stack.embeddingProjection?.data;
    const tokens = stack.tokens.length;
    const position = Math.max(0, Math.min(stack.projection.dims[0] - 1, data.position));
    return stack.projection.data.subarray(position * tokens * 2, (position + 1) * tokens * 2);
  }

  private colour(data: ScatterData, index: number): string {
    if (data.colorBy === 'type') return data.theme.tokenTypeColors[data.tokenTypes[index]];
    const last = Math.max(1, data.stack.tokens.length - 1);
    return lutCss(data.theme.positionLut, Math.round((index / last) * 255));
  }

  private draw(data: ScatterData, coords: Float32Array, ratio: readonly [number, number] | undefined, animate: boolean): void {
    const width = Math.max(280, Math.min(720, (this.element.parentElement?.clientWidth || 640) - 24));
    const height = Math.round(width * 0.7);
    const points = data.visibleIndexes;
    const xs = extent(points, (i) => coords[i * 2]) as [number, number];
    const ys = extent(points, (i) => coords[i * 2 + 1]) as [number, number];
    const pad = (range: [number, number]): [number, number] => (range[0] === undefined ? [-1, 1] : range[0] === range[1] ? [range[0] - 1, range[1] + 1] : range);
    const x = scaleLinear().domain(pad(xs)).nice().range([MARGIN.left, width - MARGIN.right]);
    const y = scaleLinear().domain(pad(ys)).nice().range([height - MARGIN.bottom, MARGIN.top]);
    const svg = select(this.svg).attr('width', width).attr('height', height);
    svg.selectAll<SVGGElement, null>('g.x-axis').data([null]).join('g').attr('class', 'x-axis axis').attr('transform', `translate(0,${height - MARGIN.bottom})`).call(axisBottom(x).ticks(6));
    svg.selectAll<SVGGElement, null>('g.y-axis').data([null]).join('g').attr('class', 'y-axis axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(6));
    svg
      .selectAll('text.axis-title')
      .data([
        { key: 'x', text: format.pcAxis(1, ratio?.[0]), x: width - MARGIN.right, y: height - 4, anchor: 'end' },
        { key: 'y', text: format.pcAxis(2, ratio?.[1]), x: MARGIN.left + 4, y: MARGIN.top + 4, anchor: 'start' },
      ], (d) => (d as { key: string }).key)
      .join('text')
      .attr('class', 'axis-title')
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('text-anchor', (d) => d.anchor)
      .text((d) => d.text);
    const layer = svg.selectAll<SVGGElement, null>('g.points').data([null]).join('g').attr('class', 'points');
    const circles = layer
      .selectAll<SVGCircleElement, number>('circle.point')
      .data(points, (d) => d)
      .join((enter) =>
        enter
          .append('circle')
          .attr('class', 'point')
          .attr('r', 5)
          .attr('cx', (i) => x(coords[i * 2]))
          .attr('cy', (i) => y(coords[i * 2 + 1]))
          .on('mouseenter', (event: MouseEvent, i) => this.hoverPoint(event, i))
          .on('mouseleave', () => this.leavePoint()),
      )
      .attr('data-index', (i) => i)
      .attr('fill', (i) => this.colour(data, i));
    const cx = (i: number) => x(coords[i * 2]);
    const cy = (i: number) => y(coords[i * 2 + 1]);
    // Importing d3's transition() (not only calling selection.transition) keeps its prototype patches in the bundle.
    const move = transition('move').duration(TRANSITION_MS);
    if (animate) circles.transition(move).attr('cx', cx).attr('cy', cy);
    else circles.interrupt('move').attr('cx', cx).attr('cy', cy);
    // Each label beside its point where it overlaps no other label and stays inside the plot; the rest are on hover.
    const yTitle = { x0: MARGIN.left + 4, x1: MARGIN.left + 8 + textWidth(format.pcAxis(2, ratio?.[1]), panelFont()), y0: 0, y1: MARGIN.top + 8 };
    const places = placeLabels(points.length <= MAX_LABELS ? points : [], cx, cy, (i) => tokenLabel(data.stack.tokens[i]), { left: MARGIN.left, right: width - 2, top: 0, bottom: height - MARGIN.bottom }, [yTitle]);
    const labelled = [...places.keys()];
    const labels = layer
      .selectAll<SVGTextElement, number>('text.point-label')
      .data(labelled, (d) => d)
      .join((enter) => enter.append('text').attr('class', 'point-label').attr('x', (i) => places.get(i)!.x).attr('y', (i) => places.get(i)!.y))
      .attr('data-index', (i) => i)
      .attr('text-anchor', (i) => places.get(i)!.anchor)
      .text((i) => tokenLabel(data.stack.tokens[i]));
    if (animate) labels.transition(move).attr('x', (i) => places.get(i)!.x).attr('y', (i) => places.get(i)!.y);
    else labels.interrupt('move').attr('x', (i) => places.get(i)!.x).attr('y', (i) => places.get(i)!.y);
    this.svg.dataset.position = String(data.position);
    this.applyHighlight();
  }

  private drawLegend(data: ScatterData): void {
    const entries =
      data.colorBy === 'type'
        ? (['special', 'wordStart', 'continuation'] as const).map((type) => ({ key: type, text: t(type === 'special' ? 'tokenSpecial' : type === 'wordStart' ? 'tokenWordStart' : 'tokenContinuation'), colour: data.theme.tokenTypeColors[type] }))
        : [
            { key: 'first', text: `${t('colorByPosition')}: ${tokenLabel(data.stack.tokens[0])}`, colour: lutCss(data.theme.positionLut, 0) },
            { key: 'last', text: `→ ${tokenLabel(data.stack.tokens[data.stack.tokens.length - 1])}`, colour: lutCss(data.theme.positionLut, 255) },
          ];
    select(this.legend)
      .selectAll<HTMLSpanElement, (typeof entries)[number]>('span.legend-entry')
      .data(entries, (d) => d.key)
      .join('span')
      .attr('class', 'legend-entry')
      .text((d) => d.text)
      .each(function (d) {
        this.style.setProperty('--swatch', d.colour);
      });
  }

  private applyHighlight(): void {
    const data = this.data;
    if (!data) return;
    const token = this.highlighted;
    const active = token && token.stack === data.stack.stack ? token.index : -1;
    select(this.svg)
      .selectAll<SVGCircleElement, number>('circle.point')
      .classed('active', (i) => i === active)
      .classed('neighbor', (i) => this.neighbours.has(i))
      .attr('r', (i) => (i === active ? 8 : 5));
    select(this.svg).selectAll<SVGCircleElement, number>('circle.point.active').raise();
  }

  private hoverPoint(event: MouseEvent, index: number): void {
    const box = this.figure.getBoundingClientRect();
    void this.showPoint(index, { x: event.clientX - box.left, y: event.clientY - box.top });
  }

  /** ↑/↓ on the focused scatter step through the tokens, as hovering them would. */
  private key(event: KeyboardEvent): void {
    const data = this.data;
    if (!data || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') || data.visibleIndexes.length === 0) return;
    event.preventDefault();
    event.stopPropagation();
    const visible = data.visibleIndexes;
    const current = visible.indexOf(this.keyboardToken ?? -1);
    const next = visible[current < 0 ? 0 : (current + (event.key === 'ArrowDown' ? 1 : -1) + visible.length) % visible.length];
    this.keyboardToken = next;
    const circle = this.svg.querySelector<SVGCircleElement>(`circle.point[data-index="${next}"]`);
    void this.showPoint(next, { x: Number(circle?.getAttribute('cx') ?? 0), y: Number(circle?.getAttribute('cy') ?? 0) });
  }

  private async showPoint(index: number, at: { x: number; y: number }): Promise<void> {
    const data = this.data;
    if (!data) return;
    const seq = ++this.hoverSeq;
    const label = tokenLabel(data.stack.tokens[index]);
    const avoid = this.pointBoxes(index);
    this.tooltip.show(at.x, at.y, [label], avoid);
    this.callbacks.onHover({ stack: data.stack.stack, index });
    if (!data.stack.projection) return;
    const layer = Math.max(0, data.position);
    try {
      const neighbours = await this.callbacks.neighbors(index, layer);
      if (seq !== this.hoverSeq) return;
      this.neighbours = new Set(neighbours.map((n) => n.index));
      this.tooltip.show(at.x, at.y, [label, `${t('neighbours')} (${format.sliderPosition(data.stack.projection.dims[0], layer)}):`, ...neighbours.map((n) => format.neighbour(tokenLabel(data.stack.tokens[n.index]), n.cosine))], avoid);
      this.applyHighlight();
    } catch {
      // The data source went away (a new inspection arrived); the tooltip keeps the token.
    }
  }

  /** The hovered point (as drawn when active) and its label, in the figure's coordinates. */
  private pointBoxes(index: number): ScreenBox[] {
    const origin = this.figure.getBoundingClientRect();
    const around = (element: Element | null, pad: number): ScreenBox[] => {
      const rect = element?.getBoundingClientRect();
      return rect ? [box(rect.left - origin.left - pad, rect.top - origin.top - pad, rect.width + 2 * pad, rect.height + 2 * pad)] : [];
    };
    const circle = this.svg.querySelector(`circle.point[data-index="${index}"]`);
    return [...around(circle, 4), ...around(this.svg.querySelector(`text.point-label[data-index="${index}"]`), 1)];
  }

  private leavePoint(): void {
    this.hoverSeq++;
    this.neighbours.clear();
    this.tooltip.hide();
    this.callbacks.onHover(undefined);
  }

  private togglePlay(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = 0;
      this.play.textContent = t('play');
      return;
    }
    this.play.textContent = t('pause');
    this.timer = window.setInterval(() => {
      const max = Number(this.slider.max);
      const next = Number(this.slider.value) >= max ? Number(this.slider.min) : Number(this.slider.value) + 1;
      this.callbacks.onPosition(next);
    }, TRANSITION_MS + 350);
  }
}

/** A label's or a point's extent in the plot, in SVG pixels. */
interface Box {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

interface LabelPlace {
  readonly x: number;
  readonly y: number;
  readonly anchor: 'start' | 'end' | 'middle';
}

/** Label font: svg .point-label in panel.css. */
const LABEL_FONT_PX = 10;

/**
 * Greedy placement in token order: right of the point, left, above, below; a label that fits in
 * none of them (overlapping a placed label or a point, or leaving `bounds`) is left out.
 */
function placeLabels(
  points: readonly number[],
  cx: (i: number) => number,
  cy: (i: number) => number,
  text: (i: number) => string,
  bounds: { left: number; right: number; top: number; bottom: number },
  /** Other text in the plot (the axis titles). */
  obstacles: readonly Box[],
): Map<number, LabelPlace> {
  const font = panelFont(LABEL_FONT_PX);
  const placed: Box[] = [...obstacles];
  // Points are 5 px circles: a label over another point hides it.
  const dots = points.map((i) => ({ x0: cx(i) - 5, x1: cx(i) + 5, y0: cy(i) - 5, y1: cy(i) + 5, i }));
  const places = new Map<number, LabelPlace>();
  const apart = (a: Box, b: Box) => a.x1 <= b.x0 || a.x0 >= b.x1 || a.y1 <= b.y0 || a.y0 >= b.y1;
  const free = (box: Box, own: number) =>
    box.x0 >= bounds.left && box.x1 <= bounds.right && box.y0 >= bounds.top && box.y1 <= bounds.bottom &&
    placed.every((other) => apart(box, other)) &&
    dots.every((dot) => dot.i === own || apart(box, dot));
  for (const i of points) {
    const w = textWidth(text(i), font);
    const x = cx(i);
    const y = cy(i);
    const h = LABEL_FONT_PX + 2;
    const candidates: (LabelPlace & { box: Box })[] = [
      { x: x + 7, y: y + 3, anchor: 'start', box: { x0: x + 7, x1: x + 7 + w, y0: y - h / 2, y1: y + h / 2 } },
      { x: x - 7, y: y + 3, anchor: 'end', box: { x0: x - 7 - w, x1: x - 7, y0: y - h / 2, y1: y + h / 2 } },
      { x, y: y - 8, anchor: 'middle', box: { x0: x - w / 2, x1: x + w / 2, y0: y - 8 - h + 2, y1: y - 6 } },
      { x, y: y + 16, anchor: 'middle', box: { x0: x - w / 2, x1: x + w / 2, y0: y + 6, y1: y + 6 + h } },
    ];
    const chosen = candidates.find((candidate) => free(candidate.box, i));
    if (!chosen) continue;
    placed.push(chosen.box);
    places.set(i, { x: chosen.x, y: chosen.y, anchor: chosen.anchor });
  }
  return places;
}
