// Layer activations: the tokens × layers heatmap of hidden-state norms (canvas + LUT), the
// per-layer statistics table, the most active FFN units of one token, and the logit lens grid.

import { select } from 'd3';
import type { LogitLens } from '../../src/protocol/inspection';
import type { FfnUnit, LayerStats, StackSummary } from '../../src/protocol/panelData';
import { el } from '../elements';
import { format, t } from '../strings';
import type { Theme } from '../theme';
import { tokenLabel, type TokenRef } from '../tokenInfo';
import { LogitLensGrid } from './logitLensGrid';
import { MatrixCanvas } from './matrixCanvas';
import { matrixCsv, tableHeader, type ExportTable, type PanelView } from './view';

export interface ActivationsData {
  readonly title: string;
  readonly stack: StackSummary;
  readonly visibleIndexes: readonly number[];
  readonly theme: Theme;
  readonly exportName: string;
  /** The most active FFN units of one token at one layer, where FFN activations were observed. */
  readonly ffn?: { readonly layer: number; readonly token: number; readonly units: readonly FfnUnit[] };
  /** The stack's logit lens, where it has an output head. */
  readonly lens?: LogitLens;
  /** Why there is no lens, where the other stack has one (says where to look). */
  readonly lensMissing?: string;
}

const STAT_COLUMNS: readonly { key: keyof LayerStats; label: () => string }[] = [
  { key: 'mean', label: () => t('statsMean') },
  { key: 'std', label: () => t('statsStd') },
  { key: 'maxAbs', label: () => t('statsMaxAbs') },
  { key: 'meanNorm', label: () => t('statsMeanNorm') },
];

export class LayerActivations implements PanelView<ActivationsData> {
  readonly element = el('section', 'view layer-activations');
  readonly figure = el('div', 'figure');
  private readonly title = el('h2', 'view-title');
  private readonly matrix: MatrixCanvas;
  private readonly table = el('table', 'stats-table');
  private readonly ffnHeading = el('h3', 'ffn-title');
  private readonly ffnList = el('ol', 'ffn-units');
  private readonly lens = new LogitLensGrid();
  private data?: ActivationsData;
  /** Norms transposed to [tokens, layers + 1]: rows are tokens. */
  private transposed = new Float32Array(0);

  constructor(onHover: (token: TokenRef | undefined) => void) {
    this.matrix = new MatrixCanvas(onHover);
    this.figure.append(this.matrix.element);
    const ffn = el('section', 'ffn');
    ffn.append(this.ffnHeading, this.ffnList);
    // The heatmap beside its statistics and FFN units: all of it stays in sight together.
    const side = el('div', 'activations-side');
    side.append(this.table, ffn);
    const top = el('div', 'activations-top');
    top.append(this.figure, side);
    this.element.append(this.title, top, this.lens.element);
  }

  update(data: ActivationsData): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    this.drawFfn(data);
    this.lens.update(data.stack, data.lens, data.visibleIndexes, data.theme, data.lensMissing);
    const norms = data.stack.norms;
    if (!norms) return;
    const [layers, tokens] = norms.dims;
    if (this.transposed.length !== layers * tokens) this.transposed = new Float32Array(layers * tokens);
    let max = 0;
    for (let l = 0; l < layers; l++) for (let token = 0; token < tokens; token++) {
      const value = norms.data[l * tokens + token];
      this.transposed[token * layers + l] = value;
      if (value > max) max = value;
    }
    const tokenLabels = data.stack.tokens.map(tokenLabel);
    const layerLabels = Array.from({ length: layers }, (_, l) => format.layerColumn(l));
    this.matrix.update({
      values: this.transposed,
      rows: tokens,
      cols: layers,
      rowLabels: tokenLabels,
      colLabels: layerLabels,
      rowIndexes: data.visibleIndexes,
      colIndexes: layerLabels.map((_, l) => l),
      rowStack: data.stack.stack,
      rowTitle: t('tokens'),
      colTitle: t('layers'),
      max,
      threshold: 0,
      lut: data.theme.lut,
      legendLabel: t('legendNorm'),
      // Rows a label tall, so a sentence's every token fits beside the statistics and FFN units.
      maxCell: 14,
      describe: (row, col, value) => format.normCell(tokenLabels[row], layerLabels[col], value),
    });
    this.drawStats(data.stack.stats ?? []);
  }

  highlight(token: TokenRef | undefined): void {
    this.matrix.highlight(token);
    this.lens.highlight(token && token.stack === this.data?.stack.stack ? token.index : undefined);
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    const norms = data?.stack.norms;
    if (!data || !norms) return undefined;
    const layers = norms.dims[0];
    const rows = data.visibleIndexes;
    const layerLabels = Array.from({ length: layers }, (_, l) => format.layerColumn(l));
    return {
      name: data.exportName,
      json: {
        title: data.title,
        stack: data.stack.stack,
        tokens: rows.map((i) => ({ index: i, text: data.stack.tokens[i].text })),
        layers: layerLabels,
        norms: rows.map((i) => layerLabels.map((_, l) => this.transposed[i * layers + l])),
        stats: data.stack.stats,
        ffnUnits: data.ffn,
        logitLens: this.lens.exportJson(),
      },
      csv: matrixCsv('token \\ layer', rows.map((i) => tokenLabel(data.stack.tokens[i])), layerLabels, (r, l) => this.transposed[rows[r] * layers + l]),
    };
  }

  dispose(): void {
    this.element.remove();
  }

  /** Bars for the most active FFN units, scaled to the largest magnitude shown. */
  private drawFfn(data: ActivationsData): void {
    const ffn = data.ffn;
    if (!ffn) {
      this.ffnHeading.textContent = t('ffnTitle');
      this.ffnList.replaceChildren(el('p', 'note', t('ffnMissing')));
      return;
    }
    this.ffnHeading.textContent = format.ffnHeading(ffn.layer, tokenLabel(data.stack.tokens[ffn.token]));
    const scale = Math.max(1e-12, ...ffn.units.map((unit) => Math.abs(unit.value)));
    select(this.ffnList)
      .selectAll<HTMLLIElement, FfnUnit>('li')
      .data(ffn.units, (unit) => unit.unit)
      .join((enter) => {
        const item = enter.append('li').attr('class', 'ffn-unit');
        item.append('span').attr('class', 'ffn-label');
        item.append('span').attr('class', 'ffn-bar');
        return item;
      })
      .attr('title', (unit) => format.ffnUnit(unit.unit, unit.value))
      .each(function (unit) {
        (this.querySelector('.ffn-label') as HTMLElement).textContent = format.ffnUnit(unit.unit, unit.value);
        // CSSOM, as the panel's CSP allows no style attributes.
        (this.querySelector('.ffn-bar') as HTMLElement).style.setProperty('--share', `${(Math.abs(unit.value) / scale) * 100}%`);
        this.classList.toggle('negative', unit.value < 0);
      });
  }

  private drawStats(stats: readonly LayerStats[]): void {
    tableHeader(this.table, [t('statsLayer'), ...STAT_COLUMNS.map((c) => c.label())]);
    const rows = select(this.table)
      .selectAll('tbody')
      .data([null])
      .join('tbody')
      .selectAll<HTMLTableRowElement, { layer: number; stats: LayerStats }>('tr')
      .data(stats.map((s, layer) => ({ layer, stats: s })), (d) => d.layer)
      .join('tr');
    rows
      .selectAll<HTMLTableCellElement, string>('td')
      .data((d) => [format.layerColumn(d.layer), ...STAT_COLUMNS.map((c) => d.stats[c.key].toPrecision(4))])
      .join('td')
      .text((d) => d);
  }
}
