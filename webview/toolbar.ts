// The controls row above the views: attention group, stack, layer, head, token, threshold,
// special tokens, colouring. Shows only what the current view uses; reports changes as state patches.

import { el, labelledSelect, setOptions } from './elements';
import type { PanelUiState } from './panelState';
import { format, t } from './strings';

export interface Choice {
  readonly labels: readonly string[];
  readonly selected: number;
}

/** What each control shows now; an absent entry hides the control. */
export interface ToolbarModel {
  readonly group?: Choice;
  readonly stack?: Choice;
  readonly layer?: Choice;
  readonly head?: Choice;
  readonly token?: Choice;
  readonly colorBy?: Choice;
  readonly threshold?: number;
  readonly hideSpecial?: boolean;
}

export type ToolbarField = 'group' | 'stack' | 'layer' | 'head' | 'token' | 'colorBy';

export class Toolbar {
  readonly element = el('div', 'toolbar');
  private readonly selects: Record<ToolbarField, { wrapper: HTMLLabelElement; select: HTMLSelectElement }>;
  private readonly thresholdWrapper = el('label', 'control threshold');
  private readonly threshold = el('input');
  private readonly thresholdValue = el('output', 'slider-value');
  private readonly specialWrapper = el('label', 'control hide-special');
  private readonly special = el('input');

  constructor(
    private readonly onSelect: (field: ToolbarField, index: number) => void,
    private readonly onChange: (patch: Partial<PanelUiState>) => void,
  ) {
    this.selects = {
      group: labelledSelect(t('group'), 'group'),
      stack: labelledSelect(t('stack'), 'stack'),
      layer: labelledSelect(t('layer'), 'layer'),
      head: labelledSelect(t('head'), 'head'),
      token: labelledSelect(t('token'), 'token-choice'),
      colorBy: labelledSelect(t('colorBy'), 'color-by'),
    };
    for (const [field, { wrapper, select }] of Object.entries(this.selects) as [ToolbarField, { wrapper: HTMLLabelElement; select: HTMLSelectElement }][]) {
      select.addEventListener('change', () => this.onSelect(field, Number(select.value)));
      this.element.append(wrapper);
    }
    this.threshold.type = 'range';
    this.threshold.setAttribute('aria-label', t('threshold'));
    this.threshold.min = '0';
    this.threshold.max = '1';
    this.threshold.step = '0.01';
    this.threshold.addEventListener('input', () => {
      this.thresholdValue.textContent = format.thresholdValue(Number(this.threshold.value));
      this.onChange({ threshold: Number(this.threshold.value) });
    });
    this.thresholdWrapper.append(el('span', 'control-label', t('threshold')), this.threshold, this.thresholdValue);
    this.special.type = 'checkbox';
    this.special.addEventListener('change', () => this.onChange({ hideSpecial: this.special.checked }));
    this.specialWrapper.append(this.special, el('span', 'control-label', t('hideSpecial')));
    this.element.append(this.thresholdWrapper, this.specialWrapper);
  }

  update(model: ToolbarModel): void {
    for (const [field, { wrapper, select }] of Object.entries(this.selects) as [ToolbarField, { wrapper: HTMLLabelElement; select: HTMLSelectElement }][]) {
      const choice = model[field];
      wrapper.hidden = !choice || choice.labels.length < 2;
      if (choice) setOptions(select, choice.labels, choice.selected);
    }
    this.thresholdWrapper.hidden = model.threshold === undefined;
    if (model.threshold !== undefined) {
      this.threshold.value = String(model.threshold);
      this.thresholdValue.textContent = format.thresholdValue(model.threshold);
    }
    this.specialWrapper.hidden = model.hideSpecial === undefined;
    this.special.checked = model.hideSpecial ?? false;
  }
}
