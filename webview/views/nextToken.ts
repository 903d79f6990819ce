// Next token: the output head's distribution at one position, reshaped live by temperature, top-k
// and top-p as sampling would see it, with the model's own probabilities beside; "Sample" draws one.

import { rankOrder, reshapedDistribution, softmax, type SamplingOptions } from '../../src/analysis/sampling';
import type { NextTokens } from '../../src/protocol/panelData';
import { el } from '../elements';
import { fill, t } from '../strings';
import type { TokenRef } from '../tokenInfo';
import type { ExportTable, PanelView } from './view';

export interface NextTokenData {
  readonly title: string;
  readonly next: NextTokens;
  readonly sampling: SamplingOptions;
  readonly exportName: string;
}

/** Rows drawn; the rest of the vocabulary is in the summary line. */
const SHOWN = 12;

interface Computed {
  readonly model: Float32Array;
  readonly reshaped: Float32Array;
  readonly kept: number;
  readonly keptMass: number;
}

export class NextTokenView implements PanelView<NextTokenData> {
  readonly element = el('section', 'view next-token');
  readonly figure = el('div', 'figure next-figure');
  private readonly title = el('h2', 'view-title');
  private readonly controls = el('div', 'sampling-controls');
  private readonly temperature = slider('temperature', 0.05, 3, 0.05);
  private readonly topP = slider('top-p', 0.05, 1, 0.01);
  private readonly topK = el('input', 'top-k');
  private readonly summary = el('p', 'next-summary');
  private readonly list = el('ol', 'next-list');
  private readonly sampleButton = el('button', 'sample', t('nextSample'));
  private readonly sampled = el('p', 'next-sampled');
  private data?: NextTokenData;
  private order?: { row: Float32Array; order: Uint32Array };
  private computed?: Computed;

  constructor(private readonly onSampling: (patch: Partial<SamplingOptions>) => void) {
    this.topK.type = 'number';
    this.topK.min = '0';
    this.topK.max = '1000';
    this.topK.step = '1';
    const topKLabel = el('label', 'control');
    topKLabel.append(el('span', 'control-label', t('nextTopK')), this.topK);
    this.controls.append(this.temperature.label(t('nextTemperature')), topKLabel, this.topP.label(t('nextTopP')));
    this.temperature.input.addEventListener('input', () => this.onSampling({ temperature: Number(this.temperature.input.value) }));
    this.topP.input.addEventListener('input', () => this.onSampling({ topP: Number(this.topP.input.value) }));
    this.topK.addEventListener('change', () => this.onSampling({ topK: Math.max(0, Math.min(1000, Math.floor(Number(this.topK.value) || 0))) }));
    this.sampleButton.type = 'button';
    this.sampleButton.addEventListener('click', () => this.sample());
    this.sampled.setAttribute('aria-live', 'polite');
    this.list.setAttribute('aria-label', t('nextListLabel'));
    this.figure.append(this.list);
    const actions = el('div', 'next-actions');
    actions.append(this.sampleButton, this.sampled);
    this.element.append(this.title, this.controls, this.summary, this.figure, actions, el('p', 'note', t('nextKeys')));
  }

  update(data: NextTokenData): void {
    const positionChanged = this.data?.next !== data.next;
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const { temperature, topK, topP } = data.sampling;
    this.temperature.set(temperature, temperature.toFixed(2));
    this.topP.set(topP, topP.toFixed(2));
    if (document.activeElement !== this.topK) this.topK.value = String(topK);
    const row = data.next.logits.data;
    if (this.order?.row !== row) this.order = { row, order: rankOrder(row) };
    const order = this.order.order;
    const reshaped = reshapedDistribution(row, order, data.sampling);
    const model = softmax(row);
    let kept = 0;
    let keptMass = 0;
    for (let r = 0; r < order.length && reshaped[order[r]] > 0; r++, kept++) keptMass += model[order[r]];
    this.computed = { model, reshaped, kept, keptMass };
    this.summary.textContent = fill('nextSummary', kept, order.length, (keptMass * 100).toFixed(1), entropyBits(reshaped).toFixed(2));
    if (positionChanged) this.sampled.textContent = '';
    this.drawList(data, model, reshaped);
  }

  highlight(_token: TokenRef | undefined): void {
    // One position at a time: the token strip marks it.
  }

  exportTable(): ExportTable | undefined {
    const { data, computed } = this;
    if (!data || !computed) return undefined;
    const rows = data.next.top.map((entry, rank) => ({ rank: rank + 1, id: entry.id, text: entry.text, probability: computed.model[entry.id], reshaped: computed.reshaped[entry.id] }));
    const csv = ['rank,id,text,probability,reshaped', ...rows.map((row) => [row.rank, row.id, JSON.stringify(row.text), row.probability, row.reshaped].join(','))].join('\n') + '\n';
    return { name: data.exportName, json: { title: data.title, position: data.next.position, sampling: data.sampling, kept: computed.kept, tokens: rows }, csv };
  }

  dispose(): void {
    this.element.remove();
  }

  private drawList(data: NextTokenData, model: Float32Array, reshaped: Float32Array): void {
    const largest = Math.max(1e-9, ...data.next.top.slice(0, SHOWN).map((entry) => Math.max(model[entry.id], reshaped[entry.id])));
    const items = data.next.top.slice(0, SHOWN).map((entry, rank) => {
      const item = el('li', reshaped[entry.id] > 0 ? 'next-item' : 'next-item cut');
      item.dataset.id = String(entry.id);
      const bars = el('span', 'next-bars');
      const bar = (className: string, value: number) => {
        const span = el('span', className);
        span.style.setProperty('--share', `${(value / largest) * 100}%`);
        return span;
      };
      bars.append(bar('next-bar model', model[entry.id]), bar('next-bar reshaped', reshaped[entry.id]));
      item.append(el('span', 'next-rank', String(rank + 1)), el('span', 'next-text', visible(entry.text)), bars, el('span', 'next-value', `${percent(reshaped[entry.id])}`), el('span', 'next-model', fill('nextModelP', percent(model[entry.id]))));
      item.setAttribute('aria-label', fill('nextItem', visible(entry.text), percent(reshaped[entry.id]), percent(model[entry.id])));
      return item;
    });
    this.list.replaceChildren(...items);
  }

  /** Draws one token from the reshaped distribution, as sampling would. */
  private sample(): void {
    const { data, computed } = this;
    if (!data || !computed || !this.order) return;
    let r = Math.random();
    let id = this.order.order[0];
    for (const candidate of this.order.order) {
      r -= computed.reshaped[candidate];
      if (r <= 0) {
        id = candidate;
        break;
      }
    }
    const text = data.next.top.find((entry) => entry.id === id)?.text;
    this.sampled.textContent = fill('nextSampled', text !== undefined ? visible(text) : fill('nextTokenId', id), percent(computed.reshaped[id]));
    for (const item of this.list.querySelectorAll<HTMLElement>('.next-item')) item.classList.toggle('drawn', item.dataset.id === String(id));
  }
}

function slider(name: string, min: number, max: number, step: number) {
  const input = el('input', `slider ${name}`);
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  const output = el('output', 'slider-value');
  return {
    input,
    label(text: string): HTMLLabelElement {
      const label = el('label', `control ${name}`);
      label.append(el('span', 'control-label', text), input, output);
      return label;
    },
    set(value: number, shown: string): void {
      if (document.activeElement !== input) input.value = String(value);
      output.textContent = shown;
    },
  };
}

const percent = (p: number) => `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
/** Whitespace made visible, as the token strip shows it. */
const visible = (text: string) => text.replace(/ /g, '␣').replace(/\n/g, '↵') || '∅';

function entropyBits(p: Float32Array): number {
  let h = 0;
  for (const value of p) if (value > 0) h -= value * Math.log2(value);
  return h;
}
