// Reads one ONNX file: decodes it, checks it is a model, and vets its external-data references
// (they must stay inside the model folder) before onnxruntime is ever shown the file.

import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { EngineError } from '../engineError';

export type Int64 = number | { toNumber(): number };

export function int64(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export interface OnnxFile {
  readonly path: string;
  readonly bytes: Buffer;
  readonly model: onnx.ModelProto;
  readonly graph: onnx.GraphProto;
  /** Default-domain opset. */
  readonly opset: number;
  readonly externalDataBytes: number;
}

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

export function readOnnxFile(file: string): OnnxFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new EngineError('model-not-found', `Cannot read ${file}: ${(error as Error).message}`);
  }
  const name = path.basename(file);
  if (bytes.length === 0) throw new EngineError('onnx-invalid', `${name} is empty (0 bytes): not an ONNX model.`);
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new EngineError(
      'onnx-invalid',
      `${name} is not a readable ONNX model (${(error as Error).message}); the file may be truncated or of another format.`,
    );
  }
  const graph = model.graph as onnx.GraphProto | null | undefined;
  if (!graph || !graph.node || graph.node.length === 0 || model.opsetImport.length === 0 || int64(model.irVersion) <= 0) {
    throw new EngineError('onnx-invalid', `${name} does not contain an ONNX graph: not an ONNX model.`);
  }
  const opsetEntry = model.opsetImport.find((entry) => !entry.domain || entry.domain === 'ai.onnx');
  checkInlineSizes(name, graph);
  const externalDataBytes = checkExternalData(file, graph);
  return { path: file, bytes, model, graph, opset: int64(opsetEntry?.version), externalDataBytes };
}

/** Every initializer of a graph and its subgraphs. */
export function* allInitializers(graph: onnx.IGraphProto): Generator<onnx.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) yield* allInitializers(attribute.g);
      for (const sub of attribute.graphs ?? []) yield* allInitializers(sub);
    }
  }
}

/** Bytes per value of the fixed-width tensor types, by TensorProto.DataType. */
const BYTES_PER_VALUE: Readonly<Record<number, number>> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1,
};

/** A weight whose shape promises more bytes than it holds would make onnxruntime allocate the promise. */
function checkInlineSizes(name: string, graph: onnx.IGraphProto): void {
  for (const tensor of allInitializers(graph)) {
    const width = BYTES_PER_VALUE[tensor.dataType ?? 0];
    if (!width || tensor.dataLocation === EXTERNAL || !tensor.rawData?.length) continue;
    const dims = (tensor.dims ?? []).map(int64);
    const declared = dims.reduce((product, dim) => product * dim, width);
    if (declared !== tensor.rawData.length) {
      throw new EngineError(
        'onnx-invalid',
        `${name}: weight "${tensor.name}" of shape [${dims.join(', ')}] declares ${declared} bytes but holds ${tensor.rawData.length}; the file is damaged.`,
      );
    }
  }
}

/** Refuses external data outside the model's folder; returns the bytes referenced. */
function checkExternalData(file: string, graph: onnx.IGraphProto): number {
  const folder = realpathSync(path.dirname(file));
  const seen = new Map<string, number>();
  for (const tensor of allInitializers(graph)) {
    if (tensor.dataLocation !== EXTERNAL) continue;
    const entries = new Map((tensor.externalData ?? []).map((entry) => [entry.key, entry.value ?? '']));
    const location = entries.get('location') ?? '';
    const refused = (why: string) =>
      new EngineError('unsafe-model', `${path.basename(file)} refers to external data "${location}" ${why}; refused.`);
    if (!location || path.isAbsolute(location) || location.includes('\0')) throw refused('by an absolute or empty path');
    const target = path.resolve(folder, location);
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new EngineError(
        'onnx-invalid',
        `${path.basename(file)} needs its external data file "${location}", which is missing next to it.`,
      );
    }
    if (path.relative(folder, real).startsWith('..') || path.isAbsolute(path.relative(folder, real))) {
      throw refused('outside the model folder');
    }
    const offset = Number(entries.get('offset') ?? 0);
    const length = Number(entries.get('length') ?? 0);
    const size = seen.get(real) ?? statSync(real).size;
    seen.set(real, size);
    if (offset + length > size) {
      throw new EngineError(
        'onnx-invalid',
        `External data "${location}" is shorter than ${path.basename(file)} declares (truncated download?).`,
      );
    }
  }
  return [...seen.values()].reduce((sum, size) => sum + size, 0);
}

/**
 * Number of stored values of every initializer, each tensor counted once even when several
 * files hold a copy (an encoder and decoder sharing their embeddings).
 */
export function countParameters(graphs: readonly onnx.IGraphProto[]): number {
  const counted = new Set<string>();
  let total = 0;
  for (const graph of graphs) {
    for (const tensor of allInitializers(graph)) {
      const key = tensorIdentity(tensor);
      if (counted.has(key)) continue;
      counted.add(key);
      total += (tensor.dims ?? []).reduce<number>((product, dim) => product * int64(dim), 1);
    }
  }
  return total;
}

function tensorIdentity(tensor: onnx.ITensorProto): string {
  const dims = (tensor.dims ?? []).map(int64).join('x');
  if (tensor.rawData && tensor.rawData.length > 0) return `${dims}:${createHash('sha1').update(tensor.rawData).digest('hex')}`;
  if (tensor.dataLocation === EXTERNAL) return `${dims}:${(tensor.externalData ?? []).map((entry) => `${entry.key}=${entry.value}`).join(',')}`;
  return `${dims}:${tensor.name}`;
}
