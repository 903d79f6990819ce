// Fills a model's inputs by the names exporters give them (input_ids, attention_mask,
// past_key_values.*, use_cache_branch, …) and converts outputs to Float32Array.

import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { EngineError } from './engineError';
import { int64 } from './graph/onnxFile';
import { HEAD_MASK_INPUT } from './graph/headMask';
import type { MaskInput } from './graph/probeFinder';

export interface InputSpec {
  readonly name: string;
  readonly elemType: number;
  /** Fixed sizes as numbers, symbolic ones as their names. */
  readonly dims: readonly (number | string)[];
}

export function inputSpecs(graph: onnx.IGraphProto): InputSpec[] {
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  return (graph.input ?? [])
    .filter((input) => !initializers.has(input.name))
    .map((input) => ({
      name: input.name ?? '',
      elemType: input.type?.tensorType?.elemType ?? onnx.TensorProto.DataType.FLOAT,
      dims: (input.type?.tensorType?.shape?.dim ?? []).map((dim) =>
        dim.dimValue !== undefined && dim.dimValue !== null && int64(dim.dimValue) > 0 ? int64(dim.dimValue) : dim.dimParam ?? '?',
      ),
    }));
}

export interface FeedValues {
  readonly ids: readonly number[];
  /** Token type ids of a sentence pair; all 0 when absent. */
  readonly typeIds?: readonly number[];
  /** Encoder output for a decoder: [1, sourceLength, hidden]. */
  readonly encoderHiddenStates?: ort.Tensor;
  /** Token ids by input name, found by structure: a graph holding both stacks takes source and target. */
  readonly tokenIds?: ReadonlyMap<string, readonly number[]>;
  /** Float or boolean mask inputs (PyTorch's tgt_mask, key padding masks). */
  readonly masks?: readonly MaskInput[];
  /** Decoder length, for a causal mask; the token count when absent. */
  readonly targetLength?: number;
  /** The head mask with some heads switched off; all ones when absent. */
  readonly headMask?: ort.Tensor;
}

const DataType = onnx.TensorProto.DataType;

export function integerTensor(elemType: number, values: readonly number[], dims: readonly number[]): ort.Tensor {
  if (elemType === DataType.INT32) return new ort.Tensor('int32', Int32Array.from(values), dims);
  return new ort.Tensor('int64', BigInt64Array.from(values, (value) => BigInt(value)), dims);
}

export function zeros(spec: InputSpec): ort.Tensor {
  // Batch is 1; every other unknown size (past sequence length) is 0: an empty cache.
  const dims = spec.dims.map((dim, axis) => (typeof dim === 'number' ? dim : axis === 0 ? 1 : 0));
  const size = dims.reduce((product, dim) => product * dim, 1);
  switch (spec.elemType) {
    case DataType.FLOAT16:
      return new ort.Tensor('float16', new Uint16Array(size), dims);
    case DataType.INT64:
    case DataType.INT32:
      return integerTensor(spec.elemType, new Array<number>(size).fill(0), dims);
    default:
      return new ort.Tensor('float32', new Float32Array(size), dims);
  }
}

export function buildFeeds(specs: readonly InputSpec[], values: FeedValues): Record<string, ort.Tensor> {
  const length = values.ids.length;
  const sourceLength = values.encoderHiddenStates?.dims[1] ?? 0;
  const ones = (count: number) => new Array<number>(count).fill(1);
  const feeds: Record<string, ort.Tensor> = {};
  const sizes = axisSizes(specs, values);
  for (const spec of specs) {
    const { name, elemType } = spec;
    const ids = values.tokenIds?.get(name);
    const mask = values.masks?.find((entry) => entry.name === name);
    if (ids) feeds[name] = integerTensor(elemType, ids, [1, ids.length]);
    else if (mask) feeds[name] = maskTensor(spec, mask, sizes, values.targetLength ?? length);
    else if (name === 'input_ids' || name === 'decoder_input_ids') feeds[name] = integerTensor(elemType, values.ids, [1, length]);
    else if (name === 'attention_mask' || name === 'decoder_attention_mask') feeds[name] = integerTensor(elemType, ones(length), [1, length]);
    else if (name === 'token_type_ids') feeds[name] = integerTensor(elemType, values.typeIds ?? new Array<number>(length).fill(0), [1, length]);
    else if (name === 'position_ids') feeds[name] = integerTensor(elemType, [...Array(length).keys()], [1, length]);
    else if (name === 'cache_position') feeds[name] = integerTensor(elemType, [...Array(length).keys()], [length]);
    else if (name === 'encoder_attention_mask') feeds[name] = integerTensor(elemType, ones(sourceLength), [1, sourceLength]);
    else if (name === 'encoder_hidden_states' || name === 'encoder_outputs') {
      if (!values.encoderHiddenStates) throw new EngineError('internal', `input ${name} needs the encoder output`);
      feeds[name] = values.encoderHiddenStates;
    } else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', Uint8Array.of(0), [1]);
    else if (name === HEAD_MASK_INPUT) feeds[name] = values.headMask ?? allHeads(spec);
    else if (name === 'num_logits_to_keep') feeds[name] = integerTensor(elemType, [0], []);
    else if (/^past/.test(name)) feeds[name] = zeros(spec);
    else {
      throw new EngineError('session', `The model needs an input "${name}" that the engine does not know how to fill.`);
    }
  }
  return feeds;
}

/** The head mask that leaves every head on. */
export function allHeads(spec: InputSpec): ort.Tensor {
  const dims = spec.dims.map((dim) => (typeof dim === 'number' ? dim : 1));
  return new ort.Tensor('float32', new Float32Array(dims[0] * dims[1]).fill(1), dims);
}

/** Sizes of the named (symbolic) axes of the token inputs: batch 1, sequence the number of ids. */
function axisSizes(specs: readonly InputSpec[], values: FeedValues): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const spec of specs) {
    const ids = values.tokenIds?.get(spec.name) ?? (spec.name === 'input_ids' ? values.ids : undefined);
    if (!ids || spec.dims.length !== 2) continue;
    const [batch, sequence] = spec.dims;
    if (typeof batch === 'string') sizes.set(batch, 1);
    if (typeof sequence === 'string') sizes.set(sequence, ids.length);
  }
  return sizes;
}

/**
 * A mask as PyTorch's layers read it: float masks are added to the scores (0 or -∞), boolean ones
 * mark what is masked out. Causal: position i sees 0…i; otherwise nothing is masked.
 */
function maskTensor(spec: InputSpec, mask: MaskInput, sizes: ReadonlyMap<string, number>, targetLength: number): ort.Tensor {
  const dims = mask.causal
    ? [targetLength, targetLength]
    : spec.dims.map((dim) => {
        const size = typeof dim === 'number' ? dim : sizes.get(dim);
        if (size === undefined) throw new EngineError('session', `The model's mask input "${spec.name}" has an axis "${dim}" that no token input shares, so its size is unknown.`);
        return size;
      });
  const size = dims.reduce((product, dim) => product * dim, 1);
  const masked = (index: number) => mask.causal && index % targetLength > Math.floor(index / targetLength);
  if (spec.elemType === DataType.BOOL) return new ort.Tensor('bool', Uint8Array.from({ length: size }, (_, i) => (masked(i) ? 1 : 0)), dims);
  const values = Float32Array.from({ length: size }, (_, i) => (masked(i) ? -Infinity : 0));
  return spec.elemType === DataType.FLOAT16 ? new ort.Tensor('float16', toFloat16Bits(values), dims) : new ort.Tensor('float32', values, dims);
}

/** Output data as Float32Array, whatever float type the model computes in. */
export function toFloat32(tensor: ort.Tensor): Float32Array {
  const data = tensor.data;
  if (data instanceof Float32Array) return data;
  if (tensor.type === 'float16' && data instanceof Uint16Array) return float16ToFloat32(data);
  if (data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array) return Float32Array.from(data);
  if (data instanceof BigInt64Array) return Float32Array.from(data, Number);
  // Float16Array on newer runtimes is iterable as numbers.
  return Float32Array.from(data as ArrayLike<number>);
}

/** float32 values as IEEE half-precision bits, rounded to nearest even: exact for values that were float16. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const word = new Uint32Array(new Float32Array(values.buffer, values.byteOffset, values.length).slice().buffer);
  for (let i = 0; i < values.length; i++) {
    const x = word[i];
    const sign = (x >>> 16) & 0x8000;
    const exponent = ((x >>> 23) & 0xff) - 127 + 15;
    const fraction = x & 0x7fffff;
    if (((x >>> 23) & 0xff) === 0xff) out[i] = sign | 0x7c00 | (fraction ? 0x200 : 0);
    else if (exponent >= 0x1f) out[i] = sign | 0x7c00;
    else if (exponent <= 0) out[i] = exponent < -10 ? sign : sign | roundShift(fraction | 0x800000, 14 - exponent);
    else out[i] = sign | roundShift((exponent << 23) | fraction, 13);
  }
  return out;
}

/** value >> shift, rounded to nearest even (a carry into the exponent is the right result). */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}
