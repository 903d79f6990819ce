// Reads a model folder in the Hugging Face / Optimum layout (or a single .onnx beside its
// tokenizer) into a ModelSpec: which ONNX files play which role, the family, sizes, special ids.

import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelFamily, OnnxFileInfo } from '../protocol/inspection';
import { EngineError } from './engineError';
import { tokenizerFromVocabulary, VOCABULARY_FILES } from './vocabularyTokenizer';

export type OnnxRole = OnnxFileInfo['role'];

/** Weight variants as Optimum and transformers.js name them: `model_quantized.onnx`, … */
export const MODEL_VARIANTS = ['fp32', 'quantized', 'int8', 'uint8', 'fp16', 'q4', 'q4f16', 'bnb4'] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

export interface ModelSpec {
  readonly name: string;
  readonly folder: string;
  readonly family: ModelFamily;
  readonly modelType: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly generationConfig: Readonly<Record<string, unknown>>;
  readonly tokenizerJson: object;
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  readonly files: ReadonlyMap<OnnxRole, string>;
  readonly variant: ModelVariant;
  readonly notices: readonly string[];
}

const DECODER_ONLY_TYPES = new Set([
  'gpt2', 'gptj', 'gpt_neo', 'gpt_neox', 'gpt_bigcode', 'llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'phi', 'phi3',
  'opt', 'bloom', 'falcon', 'codegen', 'mpt', 'gemma', 'gemma2', 'gemma3_text', 'olmo', 'stablelm', 'starcoder2', 'smollm3',
]);

/** A symbolic link that cannot be followed (a loop, or a link to nothing); undefined for anything else. */
function brokenLink(target: string): EngineError | undefined {
  if (existsSync(target)) return undefined;
  let link: string;
  try {
    if (!lstatSync(target).isSymbolicLink()) return undefined;
    link = readlinkSync(target);
  } catch {
    return undefined;
  }
  try {
    realpathSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return new EngineError('model-not-found', `${target} is a loop of symbolic links: it never reaches a file or folder.`);
  }
  return new EngineError('model-not-found', `${target} is a symbolic link to ${link}, which does not exist.`);
}

export function readModelFolder(location: string, preferredVariant: ModelVariant = 'fp32'): ModelSpec {
  const resolved = path.resolve(location);
  const broken = brokenLink(resolved);
  if (broken) throw broken;
  if (!existsSync(resolved)) throw new EngineError('model-not-found', `No model at ${resolved}: the path does not exist.`);
  const isFile = statSync(resolved).isFile();
  if (isFile && !resolved.endsWith('.onnx')) {
    throw new EngineError('no-onnx', `${path.basename(resolved)} is not an .onnx file. Choose a model folder or an .onnx file.`);
  }
  // A lone .onnx may sit in the folder's onnx/ subfolder, or beside its tokenizer.
  const onnxDir = isFile ? path.dirname(resolved) : resolved;
  const tokenizerBeside = ['tokenizer.json', ...VOCABULARY_FILES].some((file) => hasFile(onnxDir, file));
  const folder = isFile && path.basename(onnxDir) === 'onnx' && !tokenizerBeside ? path.dirname(onnxDir) : onnxDir;
  const notices: string[] = [];

  const config = readJson(folder, 'config.json', 'config') ?? {};
  if (Object.keys(config).length === 0) notices.push('No config.json: sizes are taken from the graph itself.');
  const generationConfig = readJson(folder, 'generation_config.json', 'config') ?? {};
  const tokenizerJson = readJson(folder, 'tokenizer.json', 'tokenizer') ?? builtTokenizer(folder, notices);
  const tokenizerConfig = readJson(folder, 'tokenizer_config.json', 'tokenizer') ?? {};

  const { files, variant } = isFile
    ? { files: new Map<OnnxRole, string>([[roleOfFile(resolved), resolved]]), variant: preferredVariant }
    : chooseFiles(folder, preferredVariant, notices);
  const family = familyOf(files, config);
  const name = String(config['_name_or_path'] ?? '') || hubCacheRepoName(folder) || path.basename(folder);
  return {
    name: path.basename(name),
    folder,
    family,
    modelType: String(config['model_type'] ?? 'unknown'),
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfig,
    files,
    variant,
    notices,
  };
}

function hasFile(folder: string, file: string): boolean {
  return existsSync(path.join(folder, file));
}

/** A tokenizer from vocab.txt or vocab.json, where the folder has no tokenizer.json. */
function builtTokenizer(folder: string, notices: string[]): object {
  const built = tokenizerFromVocabulary(folder);
  if (!built) {
    throw new EngineError('tokenizer', `No tokenizer.json in ${folder}, and no vocab.txt or vocab.json to build one from. In Python, tokenizer.save_pretrained(folder) writes tokenizer.json.`);
  }
  notices.push(built.notice);
  return built.tokenizerJson;
}

/** A JSON object file of the folder; undefined when there is no such file. */
function readJson(folder: string, file: string, code: 'config' | 'tokenizer') {
  const full = path.join(folder, file);
  if (!existsSync(full)) return undefined;
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new EngineError(code, `Cannot read ${file} in ${folder}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngineError(code, `${file} in ${folder} is not valid JSON (${(error as Error).message}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError(code, `${file} in ${folder} must hold a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function roleOfFile(file: string): OnnxRole {
  const base = path.basename(file);
  if (base.startsWith('encoder_model')) return 'encoder';
  if (base.startsWith('decoder_model_merged')) return 'decoder-merged';
  if (base.startsWith('decoder_with_past_model')) return 'decoder-with-past';
  if (base.startsWith('decoder_model')) return 'decoder';
  return 'model';
}

const STEMS: Record<OnnxRole, string> = {
  model: 'model',
  encoder: 'encoder_model',
  decoder: 'decoder_model',
  'decoder-merged': 'decoder_model_merged',
  'decoder-with-past': 'decoder_with_past_model',
};

function chooseFiles(folder: string, preferred: ModelVariant, notices: string[]) {
  const broken = brokenLink(path.join(folder, 'onnx'));
  if (broken) throw broken;
  const candidates = [path.join(folder, 'onnx'), folder].filter((dir) => existsSync(dir) && statSync(dir).isDirectory());
  const onnxFiles = candidates.flatMap((dir) =>
    readdirSync(dir)
      .filter((file) => file.endsWith('.onnx'))
      .map((file) => path.join(dir, file)),
  );
  if (onnxFiles.length === 0) {
    throw new EngineError(
      'no-onnx',
      `No ONNX file in ${folder}. Expected onnx/model.onnx, or onnx/encoder_model.onnx with onnx/decoder_model_merged.onnx (or decoder_model.onnx), as Optimum exports them.`,
    );
  }
  const picked = pickOnnxFiles(onnxFiles, preferred);
  if (picked) {
    if (picked.variant !== preferred) notices.push(`No ${preferred} weights in ${path.basename(folder)}; using the ${picked.variant} variant.`);
    return picked;
  }
  const names = onnxFiles.map((file) => path.basename(file)).join(', ');
  throw new EngineError('no-onnx', `The ONNX files in ${folder} (${names}) do not form a model layout the engine knows.`);
}

const LAYOUTS: readonly OnnxRole[][] = [['encoder', 'decoder-merged'], ['encoder', 'decoder', 'decoder-with-past'], ['encoder', 'decoder'], ['model'], ['decoder-merged'], ['decoder']];

/**
 * The ONNX files of one complete layout, in the preferred weight variant if it is there, else the
 * first other variant that is. Paths are matched by file name; the first of equal names wins.
 */
export function pickOnnxFiles(onnxFiles: readonly string[], preferred: ModelVariant): { files: Map<OnnxRole, string>; variant: ModelVariant } | undefined {
  const find = (role: OnnxRole, variant: ModelVariant) => {
    const file = variant === 'fp32' ? `${STEMS[role]}.onnx` : `${STEMS[role]}_${variant}.onnx`;
    return onnxFiles.find((candidate) => path.basename(candidate) === file);
  };
  const variants = [preferred, ...MODEL_VARIANTS.filter((variant) => variant !== preferred)];
  for (const variant of variants) {
    for (const layout of LAYOUTS) {
      const found = layout.map((role) => [role, find(role, variant)] as const);
      if (found.every(([, file]) => file)) return { files: new Map(found as [OnnxRole, string][]), variant };
    }
  }
  return undefined;
}

/** `owner/name` for a snapshot in the Hugging Face cache layout (models--owner--name/snapshots/<commit>). */
export function hubCacheRepoName(folder: string): string | undefined {
  const repo = path.basename(path.dirname(path.dirname(folder)));
  if (path.basename(path.dirname(folder)) !== 'snapshots' || !repo.startsWith('models--')) return undefined;
  return repo.slice('models--'.length).split('--').join('/');
}

function familyOf(files: ReadonlyMap<OnnxRole, string>, config: Record<string, unknown>): ModelFamily {
  if (files.has('encoder')) return 'encoder-decoder';
  if (!files.has('model')) return 'decoder-only';
  const architectures = Array.isArray(config['architectures']) ? config['architectures'].map(String) : [];
  if (config['is_decoder'] === true || DECODER_ONLY_TYPES.has(String(config['model_type']))) return 'decoder-only';
  if (architectures.some((arch) => /CausalLM|LMHeadModel/.test(arch))) return 'decoder-only';
  return 'encoder-only';
}

/** First numeric config field among several HF spellings. */
export function configNumber(config: Readonly<Record<string, unknown>>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = config[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}
