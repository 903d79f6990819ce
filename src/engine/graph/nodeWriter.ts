// Writes the nodes of a graph rewrite (fused attention opened up, the head mask): ops with
// prefixed, unique tensor names and inline constants.

import { onnx } from 'onnx-proto';

/** Writes new nodes for a graph rewrite; tensor names are prefixed so they never clash. */
export class NodeWriter {
  readonly nodes: onnx.NodeProto[] = [];
  private count = 0;
  constructor(
    private readonly prefix: string,
    readonly opset: number,
  ) {}

  add(opType: string, inputs: readonly string[], attributes: onnx.IAttributeProto[] = [], output?: string): string {
    return this.addMany(opType, inputs, 1, attributes, output)[0];
  }

  addMany(opType: string, inputs: readonly string[], count: number, attributes: onnx.IAttributeProto[] = [], output?: string): string[] {
    const id = `${this.prefix}/${opType}_${this.count++}`;
    const outputs = output ? [output] : Array.from({ length: count }, (_, i) => `${id}:${i}`);
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: outputs, name: id, attribute: attributes }));
    return outputs;
  }

  /** Unsqueeze, with its axes as an input (opset 13 on) or an attribute (before). */
  unsqueeze(tensor: string, axes: readonly number[]): string {
    return this.opset >= 13 ? this.add('Unsqueeze', [tensor, this.ints(axes)]) : this.add('Unsqueeze', [tensor], [intsAttribute('axes', axes)]);
  }

  ints(values: readonly number[]): string {
    return this.add('Constant', [], [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: [...values] } }]);
  }

  float(value: number): string {
    return this.add('Constant', [], [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [value] } }]);
  }
}

export const intsAttribute = (name: string, ints: readonly number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] });
export const intAttribute = (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
