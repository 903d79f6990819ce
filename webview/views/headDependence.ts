// Which heads a translation depends on: one grid per attention group (layers × heads), a cell
// marked where switching that head off alone changes the translation, with what it becomes.

import type { HeadDependence } from '../../src/protocol/panelData';
import { el } from '../elements';
import { fill, t } from '../strings';
import type { TokenRef } from '../tokenInfo';
import type { ExportTable, PanelView } from './view';

export interface HeadDependenceData {
  readonly title: string;
  readonly dependence: HeadDependence;
  readonly exportName: string;
}

export class HeadDependenceView implements PanelView<HeadDependenceData> {
  readonly element = el('section', 'view head-dependence');
  readonly figure = el('div', 'figure dependence-figure');
  private readonly title = el('h2', 'view-title');
  private readonly summary = el('p', 'dependence-summary');
  private readonly changes = el('ul', 'dependence-changes');
  private data?: HeadDependenceData;

  constructor() {
    this.element.append(this.title, this.summary, this.figure, this.changes, el('p', 'note', t('dependenceHint')));
  }

  update(data: HeadDependenceData): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const { dependence } = data;
    const changed = dependence.heads.filter((entry) => entry.changed);
    this.summary.textContent = fill('dependenceSummary', changed.length, dependence.heads.length, dependence.original, Math.round(dependence.elapsedMs));
    const groups = new Map<string, { layer: number; head: number; entry: HeadDependence['heads'][number] }[]>();
    for (const entry of dependence.heads) {
      const [group, layer, head] = entry.head.split(':');
      groups.set(group, [...(groups.get(group) ?? []), { layer: Number(layer), head: Number(head), entry }]);
    }
    this.figure.replaceChildren(...[...groups].map(([group, cells]) => this.grid(group, cells)));
    this.changes.replaceChildren(...changed.map((entry) => {
      const item = el('li', 'dependence-change');
      item.append(el('code', undefined, entry.head), ' → ', el('span', 'dependence-translation', entry.translation));
      return item;
    }));
  }

  highlight(_token: TokenRef | undefined): void {
    // Heads, not tokens.
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const csv = ['head,changed,translation', ...data.dependence.heads.map((entry) => [entry.head, entry.changed ? 1 : 0, JSON.stringify(entry.translation)].join(','))].join('\n') + '\n';
    return { name: data.exportName, json: { title: data.title, ...data.dependence }, csv };
  }

  dispose(): void {
    this.element.remove();
  }

  private grid(group: string, cells: { layer: number; head: number; entry: HeadDependence['heads'][number] }[]): HTMLElement {
    const layers = Math.max(...cells.map((cell) => cell.layer)) + 1;
    const heads = Math.max(...cells.map((cell) => cell.head)) + 1;
    const table = el('table', 'dependence-grid');
    table.dataset.group = group;
    table.append(el('caption', undefined, group));
    const header = el('tr');
    header.append(el('th'), ...Array.from({ length: heads }, (_, h) => el('th', undefined, `${t('headShort')}${h + 1}`)));
    table.append(header);
    for (let layer = 0; layer < layers; layer++) {
      const row = el('tr');
      row.append(el('th', undefined, `${t('layerShort')}${layer + 1}`));
      for (let head = 0; head < heads; head++) {
        const entry = cells.find((cell) => cell.layer === layer && cell.head === head)?.entry;
        const cell = el('td', entry?.changed ? 'dependence-cell changed' : 'dependence-cell', entry?.changed ? '●' : '·');
        if (entry) {
          cell.title = entry.changed ? fill('dependenceChanged', entry.head, entry.translation) : fill('dependenceSame', entry.head);
          cell.setAttribute('aria-label', cell.title);
          cell.dataset.head = entry.head;
        }
        row.append(cell);
      }
      table.append(row);
    }
    return table;
  }
}
