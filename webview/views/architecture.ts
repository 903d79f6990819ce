// The architecture view: the model drawn as the paper's figure, from the structure the engine
// found — embeddings and positions at the bottom, one row per layer with its sublayers in order
// (pre- or post-norm as found), the output head on top; encoder and decoder side by side. Every
// block is a button that opens the view of what it computes.

import type { Architecture, ArchitectureStack, AttentionKind, StackName } from '../../src/protocol/inspection';
import { el } from '../elements';
import { fill, t } from '../strings';
import type { TokenRef } from '../tokenInfo';
import type { ExportTable, PanelView } from './view';

/** Where a block leads: an attention head of a layer, a stack's FFN or hidden states at a layer, the embeddings, the output head. */
export type ArchitectureTarget =
  | { readonly kind: 'attention'; readonly stack: StackName; readonly attention: AttentionKind; readonly layer: number }
  | { readonly kind: 'ffn' | 'norm'; readonly stack: StackName; readonly layer: number }
  | { readonly kind: 'embeddings'; readonly stack: StackName }
  | { readonly kind: 'output' };

export interface ArchitectureData {
  readonly title: string;
  readonly architecture: Architecture;
  readonly modelName: string;
  readonly exportName: string;
}

type Sublayer = { readonly label: string; readonly className: string; readonly target: ArchitectureTarget };

export class ArchitectureView implements PanelView<ArchitectureData> {
  readonly element = el('section', 'view architecture');
  readonly figure = el('div', 'figure architecture-figure');
  private readonly title = el('h2', 'view-title');
  private readonly facts = el('p', 'arch-facts');
  private data?: ArchitectureData;

  constructor(private readonly onOpen: (target: ArchitectureTarget) => void) {
    this.element.append(this.title, this.facts, this.figure, el('p', 'note', t('archHint')));
  }

  update(data: ArchitectureData): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('aria-label', data.title);
    const a = data.architecture;
    const dK = a.heads > 0 ? a.dModel / a.heads : undefined;
    const widths = [...new Set(a.stacks.map((stack) => stack.dFf).filter((width): width is number => width !== undefined))];
    const norms = [...new Set(a.stacks.map((stack) => stack.preNorm).filter((value): value is boolean => value !== undefined))];
    this.facts.textContent = [
      fill('archDModel', a.dModel),
      fill('archHeads', a.heads, dK !== undefined && Number.isInteger(dK) ? dK : '?'),
      widths.length ? fill('archDff', widths.join(' / ')) : t('archDffUnknown'),
      a.stacks.map((stack) => fill('archLayers', stack.layers, stackName(stack.stack))).join(' + '),
      norms.length === 1 ? (norms[0] ? t('archPreNorm') : t('archPostNorm')) : t('archNormUnknown'),
    ].join(' · ');
    const columns = a.stacks.map((stack, i) => this.column(stack, a, i === a.stacks.length - 1));
    this.figure.replaceChildren(...columns);
  }

  highlight(_token: TokenRef | undefined): void {
    // The figure has no tokens.
  }

  exportTable(): ExportTable | undefined {
    const data = this.data;
    if (!data) return undefined;
    const a = data.architecture;
    const csv = ['stack,layers,attention,causal,d_model,heads,d_ff,pre_norm', ...a.stacks.map((s) => [s.stack, s.layers, s.attention.join('+'), s.causal, a.dModel, a.heads, s.dFf ?? '', s.preNorm ?? ''].join(','))].join('\n') + '\n';
    return { name: data.exportName, json: { title: data.title, ...a }, csv };
  }

  dispose(): void {
    this.element.remove();
  }

  /** One stack, drawn bottom-up as the paper does: embeddings, the layers, then the output head. */
  private column(stack: ArchitectureStack, a: Architecture, last: boolean): HTMLElement {
    const column = el('div', 'arch-stack');
    column.dataset.stack = stack.stack;
    column.append(el('h3', 'arch-stack-title', stackName(stack.stack)));
    const blocks: HTMLElement[] = [];
    if (last && a.outputHead) blocks.push(this.block(fill('archOutput', a.vocabSize), 'arch-output', { kind: 'output' }));
    if (stack.preNorm) blocks.push(el('div', 'arch-final-norm', t('archFinalNorm')));
    for (let layer = stack.layers - 1; layer >= 0; layer--) {
      const row = el('div', 'arch-layer');
      row.dataset.stack = stack.stack;
      row.dataset.layer = String(layer);
      row.setAttribute('role', 'group');
      row.setAttribute('aria-label', fill('archLayerLabel', stackName(stack.stack), layer + 1));
      row.append(el('span', 'arch-layer-number', fill('archLayerShort', layer + 1)));
      for (const sublayer of sublayers(stack, layer)) row.append(this.block(sublayer.label, sublayer.className, sublayer.target));
      blocks.push(row);
    }
    blocks.push(stack.hasEmbeddings ? this.block(t('archEmbeddings'), 'arch-embeddings', { kind: 'embeddings', stack: stack.stack }) : el('div', 'arch-embeddings', t('archEmbeddingsUnseen')));
    column.append(...blocks);
    if (stack.attention.includes('cross')) column.append(el('p', 'note arch-cross-note', t('archCrossNote')));
    return column;
  }

  private block(label: string, className: string, target: ArchitectureTarget): HTMLButtonElement {
    const button = el('button', `arch-block ${className}`, label);
    button.type = 'button';
    button.addEventListener('click', () => this.onOpen(target));
    return button;
  }
}

/** A layer's sublayers in the order they compute, with the norm where the structure put it. */
function sublayers(stack: ArchitectureStack, layer: number): Sublayer[] {
  const norm = (): Sublayer => ({ label: stack.preNorm ? t('archAdd') : t('archAddNorm'), className: 'arch-norm', target: { kind: 'norm', stack: stack.stack, layer } });
  const pre = (sublayer: Sublayer): Sublayer[] => (stack.preNorm ? [{ ...sublayer, label: `${t('archNorm')} → ${sublayer.label}` }, norm()] : [sublayer, norm()]);
  const out: Sublayer[] = [];
  for (const kind of stack.attention) {
    const label = kind === 'cross' ? t('archCross') : stack.causal ? t('archMaskedSelf') : t('archSelf');
    out.push(...pre({ label, className: `arch-attention ${kind}`, target: { kind: 'attention', stack: stack.stack, attention: kind, layer } }));
  }
  const ffn = stack.dFf !== undefined ? fill('archFfnWidth', stack.dFf) : t('archFfn');
  out.push(...pre({ label: ffn, className: 'arch-ffn', target: { kind: 'ffn', stack: stack.stack, layer } }));
  return out;
}

const stackName = (stack: StackName) => (stack === 'encoder' ? t('encoder') : t('decoder'));
