// What switching heads off did, beside what the model did with every head: the re-generated
// translation (encoder-decoders), the next token at the last position (output heads), and per layer
// how far the hidden states moved. Drawn under the model view; one button restores every head.

import type { AblationEffect, TokenChance } from '../../src/protocol/panelData';
import { el } from '../elements';
import { fill, t } from '../strings';

export class AblationEffectView {
  readonly element = el('section', 'ablation-effect');

  constructor(private readonly onRestore: () => void) {
    this.element.hidden = true;
    this.element.setAttribute('aria-live', 'polite');
  }

  /** `effect` undefined: every head is on; `restored`, the last effect of this inspection, says what that gives again. */
  update(effect: AblationEffect | undefined, restored?: AblationEffect): void {
    this.element.hidden = !effect && !restored;
    this.element.classList.toggle('restored', !effect && !!restored);
    if (!effect) {
      this.element.replaceChildren(...(restored ? [this.restoredLine(restored)] : []));
      return;
    }
    const restore = el('button', 'restore-heads', t('restoreHeads'));
    restore.type = 'button';
    restore.addEventListener('click', () => this.onRestore());
    const heading = el('h3', 'effect-title', effect.heads.length === 1 ? fill('effectTitleOne', effect.heads[0]) : fill('effectTitle', effect.heads.length, effect.heads.join(', ')));
    const parts: HTMLElement[] = [holding(el('div', 'effect-head'), [heading, restore])];
    if (effect.translation) parts.push(this.translation(effect.translation));
    if (effect.nextToken) parts.push(this.nextToken(effect.nextToken));
    parts.push(this.shift(effect.hiddenShift));
    parts.push(el('p', 'note', fill('effectTime', Math.round(effect.elapsedMs))));
    this.element.replaceChildren(...parts);
  }

  private restoredLine(restored: AblationEffect): HTMLElement {
    const original = restored.translation?.original ?? restored.nextToken?.original[0]?.text;
    const line = el('p', 'effect-restored', t('effectRestored'));
    if (original !== undefined) line.append(' ', el('span', 'effect-original', original));
    return line;
  }

  private translation(translation: NonNullable<AblationEffect['translation']>): HTMLElement {
    const changed = translation.original !== translation.ablated;
    const table = el('table', 'effect-translation');
    const row = (label: string, text: string, className: string) => {
      const tr = el('tr', className);
      tr.append(el('th', undefined, label), el('td', undefined, text));
      return tr;
    };
    table.append(row(t('effectOriginal'), translation.original, 'original'), row(t('effectAblated'), translation.ablated, changed ? 'ablated changed' : 'ablated'));
    return holding(el('div', 'effect-block'), [el('h4', undefined, t('effectTranslation')), table, el('p', 'note effect-verdict', changed ? t('effectChanged') : t('effectUnchanged'))]);
  }

  private nextToken(next: NonNullable<AblationEffect['nextToken']>): HTMLElement {
    const table = el('table', 'effect-next');
    const header = el('tr');
    header.append(el('th', undefined, '#'), el('th', undefined, t('effectOriginal')), el('th', undefined, t('effectAblated')));
    table.append(header);
    const cell = (chance: TokenChance | undefined) => el('td', undefined, chance ? `${JSON.stringify(chance.text).slice(1, -1)}  ${(chance.probability * 100).toFixed(1)}%` : '');
    for (let i = 0; i < Math.max(next.original.length, next.ablated.length); i++) {
      const tr = el('tr');
      tr.append(el('td', undefined, String(i + 1)), cell(next.original[i]), cell(next.ablated[i]));
      table.append(tr);
    }
    return holding(el('div', 'effect-block'), [el('h4', undefined, fill('effectNextToken', next.position + 1)), table]);
  }

  private shift(stacks: AblationEffect['hiddenShift']): HTMLElement {
    const block = holding(el('div', 'effect-block'), [el('h4', undefined, t('effectShift'))]);
    const largest = Math.max(1e-9, ...stacks.flatMap((stack) => stack.shift));
    for (const stack of stacks) {
      const list = el('ol', 'effect-shift');
      list.setAttribute('aria-label', stack.stack === 'encoder' ? t('encoder') : t('decoder'));
      stack.shift.forEach((value, layer) => {
        const bar = el('span', 'effect-bar');
        bar.style.setProperty('--share', `${(value / largest) * 100}%`);
        const label = layer === 0 ? t('effectInput') : fill('layerNumbered', layer);
        list.append(holding(el('li', 'effect-layer'), [el('span', 'effect-label', label), bar, el('span', 'effect-value', `${(value * 100).toFixed(2)}%`)]));
      });
      block.append(el('p', 'effect-stack', stack.stack === 'encoder' ? t('encoder') : t('decoder')), list);
    }
    return block;
  }
}

function holding<T extends HTMLElement>(node: T, children: readonly Node[]): T {
  node.append(...children);
  return node;
}
