// One attention matrix as a heatmap (queries down, keys across): a single head, a layer's head
// mean, the rollout, or cross-attention alignment. Owns the title and the matrix's exports.

import type { Tensor } from '../../src/protocol/inspection';
import { tensorMax } from '../attentionData';
import { el } from '../elements';
import { format, t } from '../strings';
import type { Theme } from '../theme';
import { tokenLabel, type TokenRef } from '../tokenInfo';
import { MatrixCanvas } from './matrixCanvas';
import { matrixCsv, type ExportTable, type PanelView, type TokenAxes } from './view';

export interface AttentionMatrix extends TokenAxes {
  readonly title: string;
  /** [queries, keys]. */
  readonly tensor: Tensor;
  readonly rowTitle: string;
  readonly colTitle: string;
  readonly threshold: number;
  readonly theme: Theme;
  /** File name stem for exports, e.g. `attention-encoder.self-L3-H2`. */
  readonly exportName: string;
}

export class AttentionHeatmap implements PanelView<AttentionMatrix> {
  readonly element = el('section', 'view attention-heatmap');
  readonly figure = el('div', 'figure');
  private readonly title = el('h2', 'view-title');
  private readonly matrix: MatrixCanvas;
  private data?: AttentionMatrix;

  constructor(onHover: (token: TokenRef | undefined) => void) {
    this.matrix = new MatrixCanvas(onHover);
    this.figure.append(this.matrix.element);
    this.element.append(this.title, this.figure);
  }

  update(data: AttentionMatrix): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const [queries, keys] = data.tensor.dims;
    const queryLabels = data.queryTokens.map(tokenLabel);
    const keyLabels = data.keyTokens.map(tokenLabel);
    this.matrix.update({
      values: data.tensor.data,
      rows: queries,
      cols: keys,
      rowLabels: queryLabels,
      colLabels: keyLabels,
      rowIndexes: data.queryIndexes,
      colIndexes: data.keyIndexes,
      rowStack: data.queryStack,
      colStack: data.keyStack,
      rowTitle: data.rowTitle,
      colTitle: data.colTitle,
      max: tensorMax(data.tensor.data),
      threshold: data.threshold,
      lut: data.theme.lut,
      legendLabel: t('legendAttention'),
      describe: (row, col, value) => format.cell(queryLabels[row], keyLabels[col], value),
    });
  }

  highlight(token: TokenRef | undefined): void {
    this.matrix.highlight(token);
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const keys = data.tensor.dims[1];
    const rows = data.queryIndexes;
    const cols = data.keyIndexes;
    const queryLabels = rows.map((r) => tokenLabel(data.queryTokens[r]));
    const keyLabels = cols.map((c) => tokenLabel(data.keyTokens[c]));
    const value = (r: number, c: number) => data.tensor.data[rows[r] * keys + cols[c]];
    return {
      name: data.exportName,
      json: {
        title: data.title,
        queries: rows.map((r) => ({ index: r, text: data.queryTokens[r].text })),
        keys: cols.map((c) => ({ index: c, text: data.keyTokens[c].text })),
        values: rows.map((_, r) => cols.map((_c, c) => value(r, c))),
      },
      csv: matrixCsv('query \\ key', queryLabels, keyLabels, value),
    };
  }

  dispose(): void {
    this.element.remove();
  }
}
