// Where a stack adds positions to its token embeddings, found by structure: from the embedding
// lookup forward through a constant scale (Marian's and the paper's √d_model) to the first Add whose
// other side reads a table of at least MIN_POSITIONS rows, traced back to that weight (a learned
// nn.Embedding, or a sinusoidal table stored as a weight, a Constant buffer or external data).

import { closeSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { scalarValue } from './attentionChecks';
import type { GraphScope } from './graphScope';
import { int64 } from './onnxFile';

export interface PositionTable {
  /** [rows, width], row r the vector added at position r + offset… as the table stores it. */
  readonly rows: number;
  readonly width: number;
  readonly data: Float32Array;
  /** The factor the token embeddings are multiplied by before the positions are added (1 if none). */
  readonly embeddingScale: number;
  /** Where the table's bytes lie when the graph keeps them in an external data file (`data` is then empty until read). */
  readonly external?: { readonly location: string; readonly offset: number; readonly length: number };
}

/** Between the lookup and the sum: casts, dropout, a constant scale. */
const FORWARD_PASS_OPS = new Set(['Cast', 'Identity', 'Dropout']);
/** Fewer rows than this is a token-type table, not positions. */
const MIN_POSITIONS = 8;
/** From the added tensor back to its table: slicing, gathering, reshaping. */
const TABLE_PASS_OPS = new Set(['Gather', 'Slice', 'Unsqueeze', 'Squeeze', 'Expand', 'Transpose', 'Reshape', 'Identity', 'Cast', 'Flatten']);

export function findPositionTable(scope: GraphScope, embedding: string, width: number): PositionTable | undefined {
  let current = embedding;
  let embeddingScale = 1;
  for (let step = 0; step < 8; step++) {
    // Shape readers (position ids from the sequence length) are not on the path.
    const consumers = scope.consumers(current).filter((consumer) => consumer.node.opType !== 'Shape');
    if (consumers.length !== 1) return undefined;
    const node = consumers[0].node;
    const op = node.opType ?? '';
    const other = (node.input ?? []).find((name) => name !== current);
    if (FORWARD_PASS_OPS.has(op)) {
      current = node.output![0];
      continue;
    }
    if ((op === 'Mul' || op === 'Div') && other) {
      const value = scalarValue(scope, other);
      if (value === undefined) return undefined;
      embeddingScale *= op === 'Mul' ? value : 1 / value;
      current = node.output![0];
      continue;
    }
    if (op !== 'Add' || !other) return undefined;
    const table = tableOf(scope, other, width);
    if (!table) return undefined;
    if (table.rows >= MIN_POSITIONS) return { ...table, embeddingScale };
    // BERT adds its token-type table (2 rows) first: the positions come next.
    current = node.output![0];
  }
  return undefined;
}

function tableOf(scope: GraphScope, tensor: string, width: number): Omit<PositionTable, 'embeddingScale'> | undefined {
  let current = tensor;
  for (let step = 0; step < 10; step++) {
    const proto = scope.initializer(current);
    if (proto) return floatTable(proto, width);
    const producer = scope.producer(current)?.node;
    // A buffer (the tutorials' `pe`) is often exported as a Constant node rather than a weight.
    const constant = producer?.opType === 'Constant' ? producer.attribute?.find((attribute) => attribute.name === 'value')?.t : undefined;
    if (constant) return floatTable(constant, width);
    if (!producer || !TABLE_PASS_OPS.has(producer.opType ?? '')) return undefined;
    current = producer.input![0];
  }
  return undefined;
}

/** An fp32 table whose last dimension is the model width, as [rows, width]. */
function floatTable(proto: onnx.ITensorProto, width: number): Omit<PositionTable, 'embeddingScale'> | undefined {
  const dims = (proto.dims ?? []).map(int64);
  if (dims.length < 2 || dims.at(-1) !== width || proto.dataType !== onnx.TensorProto.DataType.FLOAT) return undefined;
  const rows = dims.slice(0, -1).reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (proto.floatData?.length === rows * width) data = Float32Array.from(proto.floatData);
  else if (proto.rawData?.length === rows * width * 4) data = new Float32Array(proto.rawData.buffer.slice(proto.rawData.byteOffset, proto.rawData.byteOffset + proto.rawData.byteLength));
  else if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entries = new Map((proto.externalData ?? []).map((entry) => [entry.key, entry.value ?? '']));
    const location = entries.get('location');
    if (!location) return undefined;
    return { rows, width, data: new Float32Array(0), external: { location, offset: Number(entries.get('offset') ?? 0), length: Number(entries.get('length') ?? rows * width * 4) } };
  } else return undefined;
  return { rows, width, data };
}

/** The table with its bytes, read from the external data file next to the graph where it lies there. */
export function withExternalTable(table: PositionTable | undefined, folder: string): PositionTable | undefined {
  if (!table?.external) return table;
  const { location, offset, length } = table.external;
  // The path was vetted when the file was read: inside the model folder.
  if (length !== table.rows * table.width * 4) return undefined;
  const bytes = Buffer.alloc(length);
  const fd = openSync(path.resolve(folder, location), 'r');
  try {
    readSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return { rows: table.rows, width: table.width, embeddingScale: table.embeddingScale, data: new Float32Array(bytes.buffer, bytes.byteOffset, table.rows * table.width).slice() };
}

