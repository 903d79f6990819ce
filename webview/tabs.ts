// An accessible tab list (WAI-ARIA tabs pattern): roving tabindex, ←/→/Home/End move and
// select, and the selected tab names the panel it controls.

import { select } from 'd3';
import { el } from './elements';

export interface TabItem<K extends string> {
  readonly key: K;
  readonly label: string;
}

export class Tabs<K extends string> {
  readonly element = el('div', 'tabs');
  private items: readonly TabItem<K>[] = [];
  private selected?: K;

  constructor(
    label: string,
    private readonly controls: string,
    private readonly onSelect: (key: K) => void,
  ) {
    this.element.setAttribute('role', 'tablist');
    this.element.setAttribute('aria-label', label);
    this.element.addEventListener('keydown', (event) => this.key(event));
  }

  update(items: readonly TabItem<K>[], selected: K): void {
    this.items = items;
    this.selected = selected;
    select(this.element)
      .selectAll<HTMLButtonElement, TabItem<K>>('button.tab')
      .data(items, (d) => d.key)
      .join((enter) =>
        enter
          .append('button')
          .attr('class', 'tab')
          .attr('type', 'button')
          .attr('role', 'tab')
          .on('click', (_event, d) => this.onSelect(d.key)),
      )
      .attr('id', (d) => `tab-${d.key}`)
      .attr('data-key', (d) => d.key)
      .attr('aria-selected', (d) => String(d.key === selected))
      .attr('aria-controls', this.controls)
      .attr('tabindex', (d) => (d.key === selected ? 0 : -1))
      .text((d) => d.label);
    this.element.hidden = items.length < 2;
  }

  private key(event: KeyboardEvent): void {
    const index = this.items.findIndex((item) => item.key === this.selected);
    const last = this.items.length - 1;
    const next = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: last }[event.key];
    if (next === undefined || this.items.length === 0) return;
    event.preventDefault();
    event.stopPropagation();
    const item = this.items[(next + this.items.length) % this.items.length];
    this.onSelect(item.key);
    this.element.querySelector<HTMLButtonElement>(`button.tab[data-key="${item.key}"]`)?.focus();
  }
}
