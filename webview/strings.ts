// Every user-visible string of the inspection panel, in English, in one place; `{0}`, `{1}` mark the values.
// Translations (l10n/webview.<language>.json) come from the host page; `setStrings` replaces any subset of them.

export const english = {
  waiting: 'Waiting for an inspection…',
  loading: 'Loading…',
  token: 'Token',
  ffnTitle: 'Most active FFN units',
  ffnMissing: 'FFN activations are not observable for this stack: no feed-forward down-projection was found on every layer.',
  lensTitle: 'Logit lens: the top next token read from each layer through the output head',
  lensMissing: 'No logit lens for this stack: it has no output head (the model exports no logits for it).',
  lensEmbeddings: 'emb',
  exportNotReady: 'Nothing to export yet: the view is still loading.',
  noAttention: 'This model exposes no attention probabilities.',
  noHiddenStates: 'This inspection carries no hidden states for this stack.',
  noProjection: 'No projection: the hidden states of this stack were not observable.',
  noCrossAttention: 'This translation carries no cross-attention.',

  tabsLabel: 'Views',
  tabAttention: 'Attention',
  tabEmbeddings: 'Token embeddings',
  tabActivations: 'Layer activations',
  modesLabel: 'Attention views',
  modeModel: 'Model view',
  modeHeatmap: 'Heatmap',
  modeSteps: 'Step by step',
  modeHeads: 'Head view',
  modeMean: 'Head mean',
  modeRollout: 'Rollout',
  modeAlignment: 'Alignment',

  group: 'Attention',
  stack: 'Stack',
  layer: 'Layer',
  head: 'Head',
  average: 'average',
  threshold: 'Threshold',
  hideSpecial: 'Hide special tokens',
  colorBy: 'Colour by',
  colorByPosition: 'position',
  colorByType: 'token type',
  tokenSpecial: 'special',
  tokenWordStart: 'word start',
  tokenContinuation: 'continuation piece',
  embeddingsLookup: 'embeddings',
  play: 'Play',
  pause: 'Pause',
  headsAll: 'All heads',
  headsNone: 'No heads',
  exportLabel: 'Export',
  exportPng: 'PNG',
  exportSvg: 'SVG',
  exportJson: 'JSON',
  exportCsv: 'CSV',
  encoder: 'Encoder',
  decoder: 'Decoder',
  generated: 'Generated',
  source: 'Source',
  queries: 'Queries',
  keys: 'Keys',
  tokens: 'Tokens',
  layers: 'Layers',
  statsLayer: 'Layer',
  statsMean: 'Mean',
  statsStd: 'Std',
  statsMaxAbs: 'Max |x|',
  statsMeanNorm: 'Mean norm',
  neighbours: 'Nearest by cosine',
  keyboardHint: '←/→ layer · ↑/↓ head',
  scatterKeys: 'Tokens: ↑/↓ step through them and list each one’s nearest tokens; ←/→ move through the layers',
  legendAttention: 'attention',
  legendBlockMean: 'attention (block mean)',
  legendNorm: '‖h‖',
  layerShort: 'L',
  headShort: 'H',
  explainedUnknown: 'explained variance not computed for the embedding lookup',

  layerNumbered: 'Layer {0}',
  layerAveraged: 'Layer average',
  headNumbered: 'Head {0}',
  headAveraged: 'Head average',
  /** Group · layer, what (head, head mean, head view): the English lowercases what follows the comma. */
  viewTitle: '{0} · {1}, {2}',
  rolloutTitle: '{0} · {1}',
  modelViewTitle: '{0} · {1} layers × {2} heads',
  normsTitle: '{0} · hidden-state norm per token and layer',
  ffnHeading: 'Most active FFN units · layer {0}, token “{1}”',
  ffnUnit: 'unit {0}: {1}',
  lensCell: '{0}, after “{1}”: {2}',
  modelCell: 'Layer {0}, head {1}',
  explained: 'PC1 {0}% · PC2 {1}% of variance',
  stepTitle: '{0} · {1}, {2} · query “{3}”',
  stepFormula: 'softmax(q·Kᵀ × {0} + mask) · V  — this head’s weights for one query, and what they mix',
  stepQuery: 'query “{0}” ({1} of {2})',
  stepSizes: 'dₖ = {0}, √dₖ = {1}, scale {2} (1/√dₖ = {3})',
  stepQueryScale: 'this model multiplies q by {0} before QKᵀ; q is shown before that',
  stepMasked: '{0} keys masked (−∞ before the softmax).',
  stepNoMask: 'No key is masked.',
  stepCheckEqual: 'The softmax of these scores equals the model’s weights (largest difference {0}).',
  stepCheckBias: 'The model adds more to its scores than q·kⱼ × scale and the mask (a position bias, for example): the weights shown are the model’s own, {0} away at most from the softmax of these scores.',
  stepKeys: '←/→ query token · ↑/↓ head · hover a strip or number for its value',
  stepOutput: 'Σ wⱼvⱼ',
  stepColumn_k: 'kⱼ',
  stepColumn_product: 'q∘kⱼ',
  stepColumn_dot: 'q·kⱼ',
  stepColumn_scaled: '× scale',
  stepColumn_mask: 'mask',
  stepColumn_weight: 'softmax wⱼ',
  stepColumn_v: 'vⱼ',
  stepTipQuery: 'q[{0}] = {1}',
  stepTipOutput: 'Σ wⱼvⱼ[{0}] = {1}',
  stepTipKey: 'k{0}[{1}] = {2}',
  stepTipProduct: 'q[{1}] × k{0}[{1}] = {2} × {3} = {4}',
  stepTipDot: 'q·k{0} = {1}',
  stepTipScaled: '{0} × {1} = {2}',
  stepTipMasked: 'masked: −∞, weight 0',
  stepTipOpen: 'not masked: + 0',
  stepTipWeight: 'the model’s weight {0} · softmax of these scores {1}',
  stepTipValue: 'v{0}[{1}] = {2}',
  switchHeads: 'Switch heads off',
  switchHint: 'While pressed, a click on a head switches it off or on again (X does it on a focused head at any time); the model then runs again without it.',
  restoreHeads: 'Restore all heads',
  effectTitle: '{0} heads off: {1}',
  effectTime: 'Re-run in {0} ms.',
  effectOriginal: 'All heads',
  effectAblated: 'Heads off',
  effectTranslation: 'Translation',
  effectChanged: 'The translation changed.',
  effectUnchanged: 'The translation is the same.',
  effectNextToken: 'Next token after position {0}',
  effectShift: 'How far each layer’s hidden states moved (‖h′ − h‖ / ‖h‖, mean over tokens)',
  effectInput: 'input',
  modelCellOff: 'Layer {0}, head {1} (switched off)',
  stepSwitchOff: 'Switch this head off',
  stepSwitchOn: 'Switch this head on again',
  tabNext: 'Next token',
  nextTitle: '{0} · next token after “{1}” ({2} of {3})',
  nextTitleMasked: '{0} · the token predicted at “{1}” ({2} of {3})',
  nextTemperature: 'Temperature',
  nextTopK: 'Top-k (0: all)',
  nextTopP: 'Top-p',
  nextSummary: 'Sampling would draw from {0} of {1} tokens ({2}% of the model’s probability); entropy {3} bits.',
  nextSample: 'Sample',
  nextSampled: 'Sampled “{0}” (p = {1}).',
  nextTokenId: 'token {0}',
  nextModelP: 'model {0}',
  nextItem: '{0}: {1} after reshaping, {2} from the model',
  nextListLabel: 'Most likely tokens, best first',
  nextKeys: '←/→ position · the bars: the model’s probability (thin) and after temperature, top-k and top-p (thick)',
  noNextToken: 'This model has no output head here, or the panel cannot ask the engine (an offline report): the next-token view needs both.',
  effectTitleOne: '1 head off: {0}',
  effectRestored: 'Every head is on again; the model gives:',
  tabArchitecture: 'Architecture',
  archTitle: '{0} · the model as the paper draws it',
  archDModel: 'd_model = {0}',
  archHeads: 'h = {0} heads, dₖ = d_model / h = {1}',
  archDff: 'd_ff = {0}',
  archDffUnknown: 'd_ff not observed',
  archLayers: 'N = {0} {1} layers',
  archPreNorm: 'pre-LN (each sublayer’s input normalised)',
  archPostNorm: 'post-LN (each residual sum normalised, as in the paper)',
  archNormUnknown: 'norm placement not found',
  archOutput: 'Output head: linear → softmax over {0} tokens',
  archFinalNorm: 'Final norm',
  archLayerLabel: '{0} layer {1}',
  archLayerShort: 'L{0}',
  archEmbeddings: 'Token embedding + positions',
  archEmbeddingsUnseen: 'Token embedding + positions (not observed)',
  archCrossNote: 'Cross-attention: queries from the decoder, keys and values from the encoder’s output.',
  archAdd: 'Add',
  archAddNorm: 'Add & Norm',
  archNorm: 'Norm',
  archSelf: 'Multi-head self-attention',
  archMaskedSelf: 'Masked multi-head self-attention',
  archCross: 'Cross-attention',
  archFfn: 'Feed forward',
  archFfnWidth: 'Feed forward ({0})',
  archHint: 'Each block opens its view: attention → its heatmap, feed forward and add & norm → layer activations, embeddings → token embeddings, the output head → next token.',
  noArchitecture: 'The structure of this model was not recorded with this inspection.',
  sliderInput: 'Layer 0 (input)',
  sliderLayer: 'Layer {0} / {1}',
} as const;

export type StringKey = keyof typeof english;
export type StringTable = Readonly<Record<StringKey, string>>;
let strings: Record<StringKey, string> = { ...english };

/** Replaces strings (e.g. with a host-provided translation); unknown keys and non-strings are ignored. */
export function setStrings(partial: Partial<Record<StringKey, unknown>>): void {
  for (const [key, value] of Object.entries(partial)) {
    if (key in english && typeof value === 'string') strings[key as StringKey] = value;
  }
}

export function t(key: StringKey): string {
  return strings[key];
}

/** `t(key)` with `{0}`, `{1}`, … replaced by `values`. */
export function fill(key: StringKey, ...values: readonly (string | number)[]): string {
  return t(key).replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < values.length ? String(values[Number(index)]) : whole));
}

/** The table for the first of `preferred` (BCP 47 tags, e.g. navigator.languages) that `tables` has; Chinese tags other than Traditional map to zh-cn. */
export function pickLanguage(available: readonly string[], preferred: readonly string[]): string | undefined {
  for (const tag of preferred.map((entry) => entry.toLowerCase())) {
    if (available.includes(tag)) return tag;
    if (/^zh(-hans|-sg|-my|$)/.test(tag) && available.includes('zh-cn')) return 'zh-cn';
    if (tag === 'en' || tag.startsWith('en-')) return undefined;
  }
  return undefined;
}

/** Layer and head are 0-based in state and 1-based on screen; `undefined` means averaged. */
export function layerName(layer: number | undefined): string {
  return layer === undefined ? t('layerAveraged') : fill('layerNumbered', layer + 1);
}

export function headName(head: number | undefined): string {
  return head === undefined ? t('headAveraged') : fill('headNumbered', head + 1);
}

export const format = {
  attentionTitle: (group: string, layer: number | undefined, head: number | undefined) => fill('viewTitle', group, layerName(layer), headName(head).toLowerCase()),
  meanTitle: (group: string, layer: number) => fill('viewTitle', group, layerName(layer), t('modeMean').toLowerCase()),
  rolloutTitle: (group: string) => fill('rolloutTitle', group, t('modeRollout').toLowerCase()),
  headViewTitle: (group: string, layer: number) => fill('viewTitle', group, layerName(layer), t('modeHeads').toLowerCase()),
  modelViewTitle: (group: string, layers: number, heads: number) => fill('modelViewTitle', group, layers, heads),
  stepTitle: (group: string, layer: number, head: number, query: string) => fill('stepTitle', group, layerName(layer), headName(head).toLowerCase(), query),
  normsTitle: (stack: string) => fill('normsTitle', stack),
  ffnHeading: (layer: number, token: string) => fill('ffnHeading', layer + 1, token),
  ffnUnit: (unit: number, value: number) => fill('ffnUnit', unit, value.toPrecision(4)),
  lensCell: (layer: string, token: string, top: readonly { text: string; p: number }[]) => fill('lensCell', layer, token, top.map((entry) => `${entry.text} ${(entry.p * 100).toFixed(1)}%`).join(' · ')),
  cell: (query: string, key: string, value: number) => `${query} → ${key}: ${value.toFixed(4)}`,
  normCell: (token: string, layer: string, value: number) => `${token} @ ${layer}: ${value.toFixed(3)}`,
  modelCell: (layer: number, head: number) => fill('modelCell', layer + 1, head + 1),
  modelCellOff: (layer: number, head: number) => fill('modelCellOff', layer + 1, head + 1),
  headToggle: (head: number) => fill('headNumbered', head + 1),
  meta: (family: string, provider: string, totalMs: number | undefined) => `${family} · ${provider}${totalMs === undefined ? '' : ` · ${totalMs.toFixed(0)} ms`}`,
  translationMeta: (source: string, totalMs: number | undefined) => `${source}${totalMs === undefined ? '' : ` · ${totalMs.toFixed(0)} ms`}`,
  explained: (first: number, second: number) => fill('explained', (first * 100).toFixed(1), (second * 100).toFixed(1)),
  pcAxis: (component: number, share: number | undefined) => `PC${component}${share === undefined ? '' : ` (${(share * 100).toFixed(1)}%)`}`,
  sliderPosition: (layers: number, position: number) => (position < 0 ? t('embeddingsLookup') : position === 0 ? t('sliderInput') : fill('sliderLayer', position, layers - 1)),
  layerColumn: (layer: number) => (layer === 0 ? t('lensEmbeddings') : String(layer)),
  neighbour: (token: string, cosine: number) => `${token} ${cosine.toFixed(3)}`,
  thresholdValue: (value: number) => value.toFixed(2),
};
