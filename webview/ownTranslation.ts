// The Alignment of an inspection whose decoder was given no text (Inspect Selection): the engine
// translates the input with the same model, and the view shows each generated token's cross-attention.

import type { Tensor } from '../src/protocol/inspection';
import { translationMatrix } from './attentionData';
import type { CachedDataSource } from './dataCache';
import { fill, t } from './strings';
import { visibleIndexes } from './tokenInfo';
import type { AttentionHeatmap, AttentionMatrix } from './views/attentionHeatmap';

interface OwnTranslationRequest {
  readonly source: CachedDataSource;
  readonly id: string;
  readonly view: AttentionHeatmap;
  /** What the inspection's own alignment would draw, less title, tensor and export name. */
  readonly common: Omit<AttentionMatrix, 'title' | 'tensor' | 'exportName'>;
  readonly hideSpecial: boolean;
  /** -1: the average. */
  readonly layer: number;
  readonly head: number;
  /** The inspection's one-row alignment, where the translation has no cross-attention. */
  readonly fallback: () => Promise<{ title: string; tensor: Tensor; exportName: string }>;
}

export function ownTranslationAlignment(request: OwnTranslationRequest): () => Promise<() => void> {
  const { source, id, view, common, hideSpecial } = request;
  return async () => {
    const translation = await source.call('inputTranslation', { id });
    const tensor = translationMatrix(translation, request.layer < 0 ? undefined : request.layer, request.head < 0 ? undefined : request.head);
    if (!tensor) {
      const fallback = await request.fallback();
      return () => view.update({ ...common, ...fallback });
    }
    const suffix = `L${request.layer < 0 ? 'avg' : request.layer + 1}-H${request.head < 0 ? 'avg' : request.head + 1}`;
    return () =>
      view.update({
        ...common,
        title: fill('alignmentOwnTranslation', translation.text),
        tensor,
        queryTokens: translation.tokens,
        keyTokens: translation.sourceTokens,
        queryStack: 'generated',
        keyStack: 'source',
        queryIndexes: visibleIndexes(translation.tokens, hideSpecial),
        keyIndexes: visibleIndexes(translation.sourceTokens, hideSpecial),
        rowTitle: t('generated'),
        colTitle: t('source'),
        exportName: `alignment-own-translation-${suffix}`,
      });
  };
}
