// A model ready to run: its folder read, each ONNX file instrumented and given a session,
// its tokenizer loaded, and the summary users see in "Show Model Info".

import { withExternalTable } from './graph/positions';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { ModelInfo, ObservableGroup, OnnxFileInfo, StackName } from '../protocol/inspection';
import { EngineError, errorMessage } from './engineError';
import { HEAD_MASK_INPUT } from './graph/headMask';
import { instrument, InstrumentOptions, ProbeKey } from './graph/instrument';
import { countParameters, OnnxFile, readOnnxFile } from './graph/onnxFile';
import type { StackProbes } from './graph/probeFinder';
import { InputSpec, inputSpecs } from './modelFeeds';
import { openableQkvHeads, QkvHeadRuntime } from './qkv';
import { configNumber, ModelSpec, ModelVariant, OnnxRole, readModelFolder } from './modelFolder';
import { createSession, ProviderAttempt, providerDisplayName, SessionSettings } from './sessionFactory';
import { TextTokenizer } from './textTokenizer';

export interface LoadOptions extends SessionSettings, InstrumentOptions {
  readonly variant?: ModelVariant;
}

export interface StackRuntime {
  readonly stack: StackName;
  readonly role: OnnxRole;
  readonly session: ort.InferenceSession;
  readonly inputs: readonly InputSpec[];
  /** Probe key → graph output name. */
  readonly probeOutputs: ReadonlyMap<ProbeKey, string>;
  readonly probes: StackProbes;
  readonly outputNames: readonly string[];
  readonly provider: string;
  /** The output head alone, for the logit lens. */
  readonly lens?: { readonly session: ort.InferenceSession; readonly input: string };
  /** `self.0`… → row of the session's head mask input; `maskBlocks` rows in all (0: no such input). */
  readonly maskRows: ReadonlyMap<string, number>;
  readonly maskBlocks: number;
  /** `self.3` → that block's Q/K/V model, where it follows from the layer's input. */
  readonly qkvHeads: ReadonlyMap<string, QkvHeadRuntime>;
}

export interface LoadedModel {
  readonly spec: ModelSpec;
  readonly tokenizer: TextTokenizer;
  readonly stacks: readonly StackRuntime[];
  /** Split encoder-decoder layouts: the decoder that takes the KV cache. */
  readonly withPast?: StackRuntime;
  readonly info: ModelInfo;
  readonly maxPositions: number;
}

export type ProgressReporter = (message: string) => void;

/** Which file serves which stack for inspection (teacher forcing, no cache). */
function stackFiles(spec: ModelSpec): { stack: StackName; role: OnnxRole }[] {
  const decoderRole: OnnxRole = spec.files.has('decoder-merged') ? 'decoder-merged' : spec.files.has('decoder') ? 'decoder' : 'model';
  switch (spec.family) {
    case 'encoder-decoder':
      return [{ stack: 'encoder', role: 'encoder' }, { stack: 'decoder', role: decoderRole }];
    case 'decoder-only':
      return [{ stack: 'decoder', role: decoderRole }];
    case 'encoder-only':
      return [{ stack: 'encoder', role: 'model' }];
  }
}

export async function loadModel(location: string, options: LoadOptions = {}, progress: ProgressReporter = () => {}): Promise<LoadedModel> {
  progress('Reading model folder');
  const folderSpec = readModelFolder(location, options.variant ?? 'fp32');
  progress('Loading tokenizer');
  const tokenizer = new TextTokenizer(folderSpec.tokenizerJson, folderSpec.tokenizerConfig);
  const opened: OpenedFile[] = [];
  const tried: ProviderAttempt[] = [];
  options = withSpinningFor(folderSpec, options);
  try {
    for (const { stack, role } of stackFiles(folderSpec)) opened.push(await openRuntime(folderSpec, stack, role, options, tried, progress));
    const stacks = opened.flatMap((entry) => entry.runtimes);
    // One graph holding an encoder and a decoder (PyTorch's nn.Transformer exported whole).
    const oneGraph = opened.length === 1 && stacks.length === 2;
    const spec: ModelSpec = oneGraph ? { ...folderSpec, family: 'encoder-decoder' } : folderSpec;
    // Split decoders generate with a second session that takes the cache.
    const withPast = spec.family === 'encoder-decoder' && spec.files.has('decoder-with-past')
      ? await openRuntime(spec, 'decoder', 'decoder-with-past', options, tried, progress)
      : undefined;
    const files = [...opened, ...(withPast ? [withPast] : [])].map((entry) => entry.file);
    const maxPositions = maxPositionsOf(spec);
    const described = describeModel(spec, stacks, files, countParameters(opened.map((entry) => entry.graph)), tried, maxPositions);
    const info = options.threads ? { ...described, cpuThreads: options.threads } : described;
    return { spec, tokenizer, stacks, withPast: withPast?.runtimes[0], info, maxPositions };
  } catch (error) {
    await Promise.all(opened.map((entry) => entry.runtimes[0].session.release()));
    throw error;
  }
}

/**
 * Idle worker threads of one session spin for its next run (onnxruntime's default), which pays where
 * one session runs after another of itself. A model of several files runs an encoder session and
 * then a decoder session, and the first one's spinning threads take the cores from the second:
 * those sessions do not spin (docs/benchmarks.md, "Threads"). A caller's explicit choice stands.
 */
export function withSpinningFor(spec: ModelSpec, options: LoadOptions): LoadOptions {
  const sessions = stackFiles(spec).length + (spec.files.has('decoder-with-past') ? 1 : 0);
  return sessions > 1 && options.spinning === undefined ? { ...options, spinning: false } : options;
}

interface OpenedFile {
  /** One per stack the file holds; a file holding an encoder and a decoder gives two on one session. */
  readonly runtimes: readonly StackRuntime[];
  readonly file: OnnxFileInfo;
  readonly graph: onnx.IGraphProto;
}

/** Reads, instruments and opens one ONNX file. */
async function openRuntime(
  spec: ModelSpec,
  stack: StackName,
  role: OnnxRole,
  options: LoadOptions,
  tried: ProviderAttempt[],
  progress: ProgressReporter,
): Promise<OpenedFile> {
  const file = spec.files.get(role)!;
  progress(`Instrumenting ${path.basename(file)}`);
  const onnxFile = readOnnxFile(file);
  const instrumented = instrumentOrRefuse(onnxFile, options);
  const fused = instrumented.stacks.some(({ probes }) => probes.unobservable.some((entry) => entry.what === 'attention probabilities'));
  if (instrumented.stacks.every(({ probes }) => probes.attention.length === 0) && !fused) {
    throw new EngineError(
      'not-transformer',
      `${path.basename(file)} has no attention block (no Softmax between a query·key MatMul and a ·value MatMul): it does not look like a Transformer.`,
    );
  }
  progress(`Creating session for ${path.basename(file)}`);
  const created = await createSession(instrumented.bytes, path.dirname(file), options).catch((error: unknown) => {
    tried.push(...((error as { tried?: ProviderAttempt[] }).tried ?? []));
    throw new EngineError('session', `onnxruntime could not load ${path.basename(file)}: ${errorMessage(error)}`);
  });
  if (tried.length === 0) tried.push(...created.tried);
  const runtimes: StackRuntime[] = [];
  for (const part of instrumented.stacks) {
    runtimes.push({
      stack: part.stack ?? stack,
      role,
      session: created.session,
      inputs: [...inputSpecs(onnxFile.graph), ...(instrumented.maskBlocks ? [{ name: HEAD_MASK_INPUT, elemType: onnx.TensorProto.DataType.FLOAT, dims: [instrumented.maskBlocks, 1] }] : [])],
      probeOutputs: part.outputs,
      maskRows: part.maskRows,
      maskBlocks: instrumented.maskBlocks,
      probes: part.probes.positions?.external ? { ...part.probes, positions: withExternalTable(part.probes.positions, path.dirname(file)) } : part.probes,
      outputNames: created.session.outputNames,
      provider: created.provider,
      lens: await openLensHead(part.lensHead, file, options),
      qkvHeads: openableQkvHeads(part.qkvHeads, path.dirname(file), options),
    });
  }
  return {
    runtimes,
    file: {
      role,
      file: path.relative(spec.folder, file),
      sizeBytes: onnxFile.bytes.length,
      externalDataBytes: onnxFile.externalDataBytes,
      opset: onnxFile.opset,
      producer: `${onnxFile.model.producerName ?? ''} ${onnxFile.model.producerVersion ?? ''}`.trim(),
      ...(instrumented.openedUp.length ? { openedUp: instrumented.openedUp } : {}),
    },
    graph: onnxFile.graph,
  };
}

/** Instruments a decoded file; bytes that decode leniently but cannot be re-spliced are a broken file, not a bug. */
function instrumentOrRefuse(onnxFile: OnnxFile, options: InstrumentOptions): ReturnType<typeof instrument> {
  try {
    return instrument(onnxFile, options);
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError('onnx-invalid', `${path.basename(onnxFile.path)} is not a well-formed ONNX file (${errorMessage(error)}); it may be corrupted.`);
  }
}

/** A session for the output head, where one was cut out of the graph; the lens is optional. */
async function openLensHead(head: Uint8Array | undefined, file: string, options: LoadOptions): Promise<StackRuntime['lens']> {
  if (!head) return undefined;
  try {
    const { session } = await createSession(head, path.dirname(file), options);
    return { session, input: session.inputNames[0] };
  } catch {
    return undefined;
  }
}

export async function disposeModel(model: LoadedModel): Promise<void> {
  const runtimes = [...model.stacks, ...(model.withPast ? [model.withPast] : [])];
  // Both stacks of one graph share its session.
  const sessions = new Set(runtimes.flatMap((runtime) => [runtime.session, ...(runtime.lens ? [runtime.lens.session] : [])]));
  await Promise.all([...sessions].map((session) => session.release()));
  await Promise.all(runtimes.flatMap((runtime) => [...runtime.qkvHeads.values()].map((head) => head.release())));
}

function maxPositionsOf(spec: ModelSpec): number {
  const fromConfig = configNumber(spec.config, 'max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len', 'seq_length');
  // Tokenizers without a limit store a huge sentinel (1e30).
  const tokenizerLimit = configNumber(spec.tokenizerConfig, 'model_max_length');
  const fromTokenizer = tokenizerLimit && tokenizerLimit < 1e6 ? tokenizerLimit : undefined;
  // RoBERTa-style position ids start at padding_idx + 1, so fewer tokens fit than the table has
  // rows (514 rows, 512 tokens); the tokenizer's limit states the usable length.
  if (fromConfig && fromTokenizer) return Math.min(fromConfig, fromTokenizer);
  return fromConfig ?? fromTokenizer ?? Number.POSITIVE_INFINITY;
}

function describeModel(
  spec: ModelSpec,
  stacks: readonly StackRuntime[],
  onnxFiles: readonly OnnxFileInfo[],
  parameterCount: number,
  providersTried: readonly ProviderAttempt[],
  maxPositions: number,
): ModelInfo {
  const { config } = spec;
  const layers: Partial<Record<StackName, number>> = {};
  const observable: ObservableGroup[] = [];
  const unobservable: { what: string; why: string }[] = [];
  for (const runtime of stacks) {
    const { probes, stack } = runtime;
    const selfLayers = probes.attention.filter((probe) => probe.kind === 'self').length;
    const crossLayers = probes.attention.filter((probe) => probe.kind === 'cross').length;
    // Spellings: BART/Marian `encoder_layers`/`decoder_layers`, T5 `num_decoder_layers`, DistilBERT `n_layers`.
    const stackKeys = stack === 'encoder' ? ['encoder_layers'] : ['decoder_layers', 'num_decoder_layers'];
    const configured = configNumber(config, ...stackKeys) ?? configNumber(config, 'num_hidden_layers', 'n_layer', 'n_layers', 'num_layers');
    layers[stack] = configured ?? selfLayers;
    const prefix = spec.family === 'encoder-decoder' ? `${stack}.` : '';
    if (selfLayers) observable.push({ name: `${prefix}self`, layers: selfLayers });
    if (crossLayers) observable.push({ name: `${prefix}cross`, layers: crossLayers });
    if (probes.hiddenStates) observable.push({ name: `${prefix}hidden`, layers: probes.hiddenStates.length });
    if (probes.embedding) observable.push({ name: `${prefix}embeddings`, layers: 1 });
    if (probes.ffn) observable.push({ name: `${prefix}ffn`, layers: probes.ffn.length });
    if (runtime.lens) observable.push({ name: `${prefix}logit-lens`, layers: (probes.hiddenStates?.length ?? 0) });
    // The encoder of a one-graph encoder-decoder shares the graph's logits but has no head of its own.
    else if (runtime.outputNames.includes('logits') && !(spec.family === 'encoder-decoder' && stack === 'encoder')) unobservable.push({ what: `${prefix}logit lens`, why: 'the output head could not be cut out of the graph on its own (it needs more than the hidden state).' });
    for (const entry of probes.unobservable) unobservable.push({ what: `${prefix}${entry.what}`, why: entry.why });
    if (configured !== undefined && selfLayers > 0 && configured !== selfLayers) {
      unobservable.push({ what: `${prefix}layers`, why: `config.json declares ${configured} layers but the graph shows ${selfLayers} attention blocks; the graph is what is shown.` });
    }
  }
  const provider = stacks[0]?.provider ?? 'cpu';
  return {
    name: spec.name,
    path: spec.folder,
    family: spec.family,
    modelType: spec.modelType,
    layers,
    heads: configNumber(config, 'num_attention_heads', 'n_head', 'n_heads', 'encoder_attention_heads', 'num_heads') ?? 0,
    hiddenSize: configNumber(config, 'hidden_size', 'n_embd', 'd_model', 'dim') ?? 0,
    vocabSize: configNumber(config, 'vocab_size') ?? 0,
    maxPositions: Number.isFinite(maxPositions) ? maxPositions : 0,
    parameterCount,
    variant: spec.variant,
    onnxFiles,
    observable,
    unobservable,
    // Filled after the warm-up run (engine.ts).
    diagnoses: [],
    executionProvider: providerDisplayName(provider),
    providersTried: providersTried.map((attempt) => ({ ...attempt, name: providerDisplayName(attempt.name) })),
    languageTokens: languageTokensOf(spec),
    languagePair: languagePairOf(spec),
  };
}

/** ISO 639-3 codes that Marian tokenizer configs use, folded to the two-letter ones used here. */
const LANGUAGE_CODES: Record<string, string> = { eng: 'en', zho: 'zh', cmn: 'zh', deu: 'de', fra: 'fr', spa: 'es', jpn: 'ja', kor: 'ko', rus: 'ru' };

function languagePairOf(spec: ModelSpec): { source: string; target: string } | undefined {
  // Models with target-language tokens translate both ways; a tokenizer's pair would mislead.
  if (spec.family !== 'encoder-decoder' || languageTokensOf(spec)) return undefined;
  const code = (value: unknown) => (typeof value === 'string' && value ? (LANGUAGE_CODES[value] ?? value) : undefined);
  const source = code(spec.tokenizerConfig['source_lang']);
  const target = code(spec.tokenizerConfig['target_lang']);
  return source && target ? { source, target } : undefined;
}

export function languageTokensOf(spec: ModelSpec): Record<string, string> | undefined {
  const tokens = spec.config['language_tokens'];
  if (typeof tokens !== 'object' || tokens === null) return undefined;
  return Object.fromEntries(Object.entries(tokens).filter(([, token]) => typeof token === 'string')) as Record<string, string>;
}
