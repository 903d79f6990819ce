// The shape every view of the panel has: an element, update(data) and dispose(), plus what the
// exporter needs (the figure to draw as PNG/SVG, the numbers to write as JSON/CSV).

import { select } from 'd3';
import type { Token } from '../../src/protocol/inspection';
import type { TokenRef } from '../tokenInfo';

/** The numbers behind a view, as the exporter writes them. */
export interface ExportTable {
  readonly name: string;
  readonly json: unknown;
  readonly csv: string;
}

export interface PanelView<D> {
  readonly element: HTMLElement;
  update(data: D): void;
  /** Marks the token hovered anywhere in the panel (undefined: none). */
  highlight(token: TokenRef | undefined): void;
  /** What a PNG/SVG export draws: its canvas and svg descendants, placed as on screen. */
  readonly figure: HTMLElement;
  exportTable(): ExportTable | undefined;
  dispose(): void;
}

/** The tokens along an attention view's two axes, and which of them are shown. */
export interface TokenAxes {
  readonly queryTokens: readonly Token[];
  readonly keyTokens: readonly Token[];
  readonly queryStack: TokenRef['stack'];
  readonly keyStack: TokenRef['stack'];
  readonly queryIndexes: readonly number[];
  readonly keyIndexes: readonly number[];
}

/** Sets a table's single header row to these column labels (a keyed D3 join). */
export function tableHeader(table: HTMLTableElement, labels: readonly string[]): void {
  select(table)
    .selectAll('thead')
    .data([null])
    .join('thead')
    .selectAll('tr')
    .data([null])
    .join('tr')
    .selectAll<HTMLTableCellElement, string>('th')
    .data(labels)
    .join('th')
    .attr('scope', 'col')
    .text((label) => label);
}

/** Quotes a CSV field when it needs it. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A labelled matrix as CSV: a header row of column labels, then one row per row label. */
export function matrixCsv(corner: string, rowLabels: readonly string[], colLabels: readonly string[], value: (row: number, col: number) => number): string {
  const lines = [[corner, ...colLabels].map(csvField).join(',')];
  rowLabels.forEach((label, row) => lines.push([csvField(label), ...colLabels.map((_, col) => String(value(row, col)))].join(',')));
  return lines.join('\n') + '\n';
}
