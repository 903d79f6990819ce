// The token strips above the views: every token of each stack, hover to highlight it in every
// view, special tokens dimmed (or hidden with the toggle).

import { select } from 'd3';
import type { Token } from '../src/protocol/inspection';
import { el } from './elements';
import { tokenLabel, type TokenRef, type TokenType } from './tokenInfo';

export interface StripRow {
  readonly stack: TokenRef['stack'];
  readonly label: string;
  readonly tokens: readonly Token[];
  readonly types: readonly TokenType[];
}

export class TokenStrip {
  readonly element = el('div', 'token-strips');

  constructor(private readonly onHover: (token: TokenRef | undefined) => void) {}

  update(rows: readonly StripRow[], hideSpecial: boolean): void {
    const strips = select(this.element)
      .selectAll<HTMLDivElement, StripRow>('div.token-strip')
      .data(rows, (d) => d.stack)
      .join((enter) => {
        const div = enter.append('div').attr('class', 'token-strip');
        div.append('span').attr('class', 'strip-label');
        div.append('span').attr('class', 'strip-tokens');
        return div;
      })
      .attr('data-stack', (d) => d.stack);
    strips.select('.strip-label').text((d) => d.label);
    strips
      .select('.strip-tokens')
      .selectAll<HTMLSpanElement, { row: StripRow; index: number }>('span.token')
      .data((row) => row.tokens.map((_, index) => ({ row, index })), (d) => String(d.index))
      .join((enter) =>
        enter
          .append('span')
          .on('mouseenter', (_event, d) => this.onHover({ stack: d.row.stack, index: d.index }))
          .on('mouseleave', () => this.onHover(undefined)),
      )
      .attr('class', (d) => `token ${d.row.types[d.index]}`)
      .attr('data-index', (d) => d.index)
      .property('hidden', (d) => hideSpecial && d.row.tokens[d.index].special)
      .text((d) => tokenLabel(d.row.tokens[d.index]));
  }

  highlight(token: TokenRef | undefined): void {
    select(this.element)
      .selectAll<HTMLSpanElement, { row: StripRow; index: number }>('span.token')
      .classed('active', (d) => token !== undefined && d.row.stack === token.stack && d.index === token.index);
  }
}
