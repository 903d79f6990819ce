// Pieces every planner of the panel's views shares: bounds, the empty plan, the stack choice.

import type { StackSummary } from '../src/protocol/panelData';
import type { PanelUiState, ViewTab } from './panelState';
import { t } from './strings';
import type { ToolbarModel } from './toolbar';
import type { Plan } from './viewPlanner';

export const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

const noData = async () => () => {};

/** A plan with nothing to draw but a message. */
export function emptyPlan(ui: PanelUiState, message: string, tab: ViewTab = ui.tab): Plan {
  return { key: 'empty', ui, tab, mode: ui.mode, modes: [], toolbar: {}, choices: {}, message, prepare: noData };
}

/** The stack the state names (else the first), the toolbar's stack choice, and the patch that picks one. */
/** "Encoder" / "Decoder" in the panel's language. */
export function stackLabel(stack: StackSummary['stack']): string {
  return stack === 'encoder' ? t('encoder') : t('decoder');
}

/** The stack's name inside a title or an axis label: "encoder" / "编码器". */
export function stackWord(stack: StackSummary['stack']): string {
  return stackLabel(stack).toLowerCase();
}

export function stackChoice(
  stacks: readonly StackSummary[],
  ui: PanelUiState,
  /** The stack shown before the user picks one (else the first). */
  preferred?: StackSummary,
): { stack: StackSummary; choice?: ToolbarModel['stack']; pick: (i: number) => Partial<PanelUiState> } {
  const stack = stacks.find((entry) => entry.stack === ui.stack) ?? preferred ?? stacks[0];
  return {
    stack,
    choice: { labels: stacks.map((entry) => stackLabel(entry.stack)), selected: stacks.indexOf(stack) },
    pick: (i) => ({ stack: stacks[i].stack }),
  };
}
