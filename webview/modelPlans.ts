// The tabs about the model itself rather than its attention: the architecture drawn as the paper's
// figure, the positions it adds, and the next-token distribution. Same Plan shape as ViewPlanner's.

import type { PanelUiState } from './panelState';
import { clamp, emptyPlan, stackChoice } from './planParts';
import { fill, t } from './strings';
import type { Theme } from './theme';
import { tokenLabel } from './tokenInfo';
import type { Content, Plan, PlannerCallbacks } from './viewPlanner';
import { ArchitectureView, type ArchitectureTarget } from './views/architecture';
import { NextTokenView } from './views/nextToken';
import { PositionsView } from './views/positions';

const NEXT_TOKENS_LISTED = 50;

type InspectionContent = Extract<Content, { kind: 'inspection' }>;

export class ModelPlans {
  private readonly views: { next?: NextTokenView; architecture?: ArchitectureView; positions?: PositionsView } = {};

  constructor(
    private readonly theme: Theme,
    private readonly callbacks: PlannerCallbacks,
  ) {}

  dispose(): void {
    for (const view of Object.values(this.views)) view?.dispose();
  }

  nextToken(content: InspectionContent, ui: PanelUiState): Plan {
    const { summary, source } = content;
    const stack = summary.stacks.find((entry) => entry.stack === summary.logitsStack);
    if (!summary.interventions || !stack) return emptyPlan(ui, t('noNextToken'));
    const count = stack.tokens.length;
    const position = ui.nextPosition < 0 || ui.nextPosition >= count ? count - 1 : ui.nextPosition;
    const view = (this.views.next ??= new NextTokenView(this.callbacks.onSampling));
    const label = tokenLabel(stack.tokens[position]);
    const title = fill(summary.family === 'encoder-only' ? 'nextTitleMasked' : 'nextTitle', summary.modelName, label, position + 1, count);
    const sampling = { temperature: ui.temperature, topK: ui.topK, topP: ui.topP };
    return {
      key: 'next',
      ui: { ...ui, nextPosition: position },
      tab: 'next',
      mode: ui.mode,
      modes: [],
      toolbar: { token: { labels: stack.tokens.map(tokenLabel), selected: position } },
      choices: { token: (index) => ({ nextPosition: index }) },
      step: (dx) => (dx ? { nextPosition: clamp(position + dx, 0, count - 1) } : undefined),
      view,
      prepare: async () => {
        const next = await source.call('nextTokens', { id: summary.id, position, count: NEXT_TOKENS_LISTED });
        return () => view.update({ title, next, sampling, exportName: `next-token-${position + 1}` });
      },
    };
  }

  architecture(content: InspectionContent, ui: PanelUiState): Plan {
    const { summary } = content;
    const architecture = summary.architecture;
    if (!architecture) return emptyPlan(ui, t('noArchitecture'));
    const open = (target: ArchitectureTarget): Partial<PanelUiState> => {
      switch (target.kind) {
        case 'attention':
          return { tab: 'attention', mode: 'heatmap', group: summary.family === 'encoder-decoder' ? `${target.stack}.${target.attention}` : target.attention, layer: target.layer, head: 0 };
        case 'ffn':
        case 'norm':
          return { tab: 'activations', stack: target.stack, layer: target.layer };
        case 'embeddings':
          return { tab: 'embeddings', stack: target.stack };
        case 'output':
          return summary.interventions && summary.logitsStack ? { tab: 'next' } : { tab: 'activations', stack: summary.logitsStack };
      }
    };
    const view = (this.views.architecture ??= new ArchitectureView((target) => this.callbacks.onNavigate(open(target))));
    const data = { title: fill('archTitle', summary.modelName), architecture, modelName: summary.modelName, exportName: 'architecture' };
    return { key: 'architecture', ui, tab: 'architecture', mode: ui.mode, modes: [], toolbar: {}, choices: {}, view, prepare: async () => () => view.update(data) };
  }

  positions(content: InspectionContent, ui: PanelUiState): Plan {
    const stacks = content.summary.stacks.filter((s) => s.hasPositions);
    if (stacks.length === 0) return emptyPlan(ui, t('noPositions'));
    const { stack, choice, pick } = stackChoice(stacks, ui);
    const token = clamp(ui.token, 0, stack.tokens.length - 1);
    const view = (this.views.positions ??= new PositionsView(this.callbacks.onHover));
    return {
      key: 'positions',
      ui: { ...ui, stack: stack.stack, token },
      tab: 'positions',
      mode: ui.mode,
      modes: [],
      toolbar: { stack: choice, token: { labels: stack.tokens.map(tokenLabel), selected: token } },
      choices: { stack: pick, token: (index) => ({ token: index }) },
      step: (dx) => (dx ? { token: clamp(token + dx, 0, stack.tokens.length - 1) } : undefined),
      view,
      prepare: async () => {
        const { term, embeddings } = await content.source.call('positions', { id: content.summary.id, stack: stack.stack });
        const title = fill('positionsTitle', stack.stack === 'encoder' ? t('encoder') : t('decoder'));
        return () => view.update({ title, stack: stack.stack, tokens: stack.tokens, term, embeddings, token: Math.min(token, term.added.dims[0] - 1), theme: this.theme, exportName: `positions-${stack.stack}` });
      },
    };
  }
}
