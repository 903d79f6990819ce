// The colour legend of a heatmap: the lookup table itself, one pixel per entry, with a value
// axis under it. Drawing the exact LUT lets tests and users read colours back to values.

import { axisBottom, scaleLinear, select } from 'd3';
import { el, panelFont, sizeCanvas, svgEl, textWidth } from '../elements';
import { LUT_SIZE } from '../theme';

export interface LegendData {
  readonly lut: Uint8ClampedArray;
  readonly max: number;
  readonly label: string;
  /** Values under this are not drawn; marked on the legend. */
  readonly threshold?: number;
}

export class ColorLegend {
  readonly element = el('div', 'legend');
  private readonly canvas = el('canvas', 'legend-ramp');
  private readonly svg = svgEl('svg', 'legend-axis');

  constructor() {
    this.canvas.setAttribute('aria-hidden', 'true');
    this.element.append(this.canvas, this.svg);
  }

  update(data: LegendData): void {
    const context = sizeCanvas(this.canvas, LUT_SIZE, 12);
    context.setTransform(1, 0, 0, 1, 0, 0);
    const ratio = this.canvas.height / 12;
    // One column per LUT entry (times the device ratio) with no smoothing: exact colours.
    const image = context.createImageData(this.canvas.width, this.canvas.height);
    for (let x = 0; x < this.canvas.width; x++) {
      const entry = Math.min(LUT_SIZE - 1, Math.floor(x / ratio));
      for (let y = 0; y < this.canvas.height; y++) image.data.set(data.lut.subarray(entry * 4, entry * 4 + 4), (y * this.canvas.width + x) * 4);
    }
    context.putImageData(image, 0, 0);
    this.canvas.dataset.max = String(data.max);
    const scale = scaleLinear().domain([0, data.max]).range([0.5, LUT_SIZE - 0.5]);
    const svg = select(this.svg).attr('height', 30);
    const ticks = scale.ticks(5);
    svg.selectAll<SVGGElement, null>('g.axis').data([null]).join('g').attr('class', 'axis').attr('transform', 'translate(0,1)').call(axisBottom(scale).ticks(5).tickSizeOuter(0));
    // The title starts after the last tick's label (centred on its tick, so half of it lies past the ramp).
    const font = panelFont();
    const lastTick = ticks.length ? scale(ticks[ticks.length - 1]) + textWidth(scale.tickFormat(5)(ticks[ticks.length - 1]), font) / 2 : LUT_SIZE;
    const labelX = Math.max(LUT_SIZE, lastTick) + 10;
    svg.attr('width', Math.ceil(labelX + textWidth(data.label, font) + 4));
    svg
      .selectAll('text.legend-label')
      .data([data.label])
      .join('text')
      .attr('class', 'legend-label')
      .attr('x', labelX)
      .attr('y', 12)
      .text((d) => d);
    const marks = data.threshold && data.threshold > 0 && data.threshold <= data.max ? [data.threshold] : [];
    svg
      .selectAll('line.legend-threshold')
      .data(marks)
      .join('line')
      .attr('class', 'legend-threshold')
      .attr('x1', (d) => scale(d))
      .attr('x2', (d) => scale(d))
      .attr('y1', 0)
      .attr('y2', 6);
  }
}
