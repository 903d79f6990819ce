// The logit lens as a grid: a row per layer (embeddings first), a column per position, the top
// next token in each cell shaded by its probability; the top five on hover.

import { select } from 'd3';
import type { LogitLens } from '../../src/protocol/inspection';
import type { StackSummary } from '../../src/protocol/panelData';
import { el } from '../elements';
import { format, t } from '../strings';
import { lutCss, lutIndex, type Theme } from '../theme';
import { tokenLabel } from '../tokenInfo';
import { tableHeader } from './view';

interface LensCell {
  readonly layer: number;
  readonly token: number;
  readonly top: readonly { readonly text: string; readonly p: number }[];
}

/** Vocabulary pieces shown as words: SentencePiece's ▁ and byte-level BPE's Ġ are spaces. */
function pieceText(text: string): string {
  return text.replace(/^[\u2581\u0120]/, '·').replace(/[\u2581\u0120]/g, ' ') || '␣';
}

export class LogitLensGrid {
  readonly element = el('section', 'logit-lens');
  private readonly heading = el('h3', 'lens-title');
  private readonly table = el('table', 'lens-table');
  /** Said instead of the table where the stack has no lens (a caption of an empty table would be one word wide). */
  private readonly note = el('p', 'note');
  private lens?: LogitLens;
  private columns: readonly number[] = [];

  constructor() {
    this.element.append(this.heading, this.note, this.table);
  }

  /** `lens` is undefined for stacks without an output head. */
  update(stack: StackSummary, lens: LogitLens | undefined, visibleIndexes: readonly number[], theme: Theme, missing = t('lensMissing')): void {
    this.lens = lens;
    this.heading.textContent = t('lensTitle');
    this.note.hidden = !!lens;
    this.table.hidden = !lens;
    this.note.textContent = lens ? '' : missing;
    if (!lens) return;
    const [layers, tokens, k] = lens.dims;
    this.columns = visibleIndexes.filter((index) => index < tokens);
    const rowName = (layer: number) => (layer === 0 ? t('lensEmbeddings') : String(layer));
    const cells = (layer: number): LensCell[] =>
      this.columns.map((token) => ({
        layer,
        token,
        top: Array.from({ length: k }, (_, rank) => {
          const at = (layer * tokens + token) * k + rank;
          return { text: pieceText(lens.tokenTexts[lens.ids[at]] ?? String(lens.ids[at])), p: lens.probabilities[at] };
        }),
      }));
    const table = select(this.table);
    tableHeader(this.table, ['', ...this.columns.map((index) => tokenLabel(stack.tokens[index]))]);
    const rows = table
      .selectAll('tbody')
      .data([null])
      .join('tbody')
      .selectAll<HTMLTableRowElement, number>('tr')
      .data([...Array(layers).keys()].reverse(), (layer) => layer)
      .join((enter) => {
        const row = enter.append('tr');
        row.append('th').attr('scope', 'row');
        return row;
      });
    rows.select('th').text((layer) => rowName(layer));
    rows
      .selectAll<HTMLTableCellElement, LensCell>('td')
      .data((layer) => cells(layer), (cell) => cell.token)
      .join('td')
      .attr('data-token', (cell) => cell.token)
      .attr('data-p', (cell) => cell.top[0].p.toFixed(6))
      .attr('title', (cell) => format.lensCell(rowName(cell.layer), tokenLabel(stack.tokens[cell.token]), cell.top))
      .text((cell) => cell.top[0].text)
      .each(function (cell) {
        // Shade by the top probability through the panel's colour table (CSSOM: no style attributes under the CSP).
        const index = lutIndex(cell.top[0].p, 1);
        this.style.setProperty('background-color', lutCss(theme.lut, index));
        this.classList.toggle('on-dark', index > 150);
      });
  }

  highlight(token: number | undefined): void {
    this.table.querySelectorAll('td.hovered').forEach((cell) => cell.classList.remove('hovered'));
    if (token === undefined) return;
    this.table.querySelectorAll(`td[data-token="${token}"]`).forEach((cell) => cell.classList.add('hovered'));
  }

  exportJson(): unknown {
    const lens = this.lens;
    if (!lens) return undefined;
    const [layers, tokens, k] = lens.dims;
    return Array.from({ length: layers }, (_, layer) =>
      this.columns.map((token) => Array.from({ length: k }, (_, rank) => {
        const at = (layer * tokens + token) * k + rank;
        return { id: lens.ids[at], text: lens.tokenTexts[lens.ids[at]], p: lens.probabilities[at] };
      })),
    );
  }
}
