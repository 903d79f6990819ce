// An index over one ONNX graph (or an If branch, with its enclosing graph as parent scope):
// who produces and consumes each tensor, what is constant, element types and data dependence.

import { onnx } from 'onnx-proto';

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;
const UINT8 = onnx.TensorProto.DataType.UINT8;
const BOOL = onnx.TensorProto.DataType.BOOL;

/** Ops whose outputs carry shapes or index ranges, not activations. */
const SHAPE_OPS = new Set(['Shape', 'Size', 'ConstantOfShape', 'Range', 'EyeLike']);
const BOOL_OPS = new Set([
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
]);

export interface NodeRef {
  readonly node: onnx.INodeProto;
  readonly index: number;
}

export class GraphScope {
  readonly nodes: readonly onnx.INodeProto[];
  private readonly producers = new Map<string, NodeRef>();
  private readonly consumerLists = new Map<string, NodeRef[]>();
  private readonly initializers = new Map<string, onnx.ITensorProto>();
  private readonly declaredTypes = new Map<string, number>();
  private readonly inputs = new Set<string>();
  readonly outputs: ReadonlySet<string>;
  private readonly dataMemo = new Map<string, boolean>();
  private readonly typeMemo = new Map<string, number>();

  constructor(
    readonly graph: onnx.IGraphProto,
    readonly parent?: GraphScope,
  ) {
    this.nodes = graph.node ?? [];
    this.nodes.forEach((node, index) => {
      for (const output of node.output ?? []) if (output) this.producers.set(output, { node, index });
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.consumerLists.get(input) ?? [];
        list.push({ node, index });
        this.consumerLists.set(input, list);
      }
    });
    for (const tensor of graph.initializer ?? []) this.initializers.set(tensor.name ?? '', tensor);
    for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      const elemType = info.type?.tensorType?.elemType;
      if (info.name && elemType) this.declaredTypes.set(info.name, elemType);
    }
    for (const input of graph.input ?? []) if (input.name && !this.initializers.has(input.name)) this.inputs.add(input.name);
    this.outputs = new Set((graph.output ?? []).map((output) => output.name ?? ''));
  }

  producer(name: string): NodeRef | undefined {
    return this.producers.get(name);
  }

  consumers(name: string): readonly NodeRef[] {
    return this.consumerLists.get(name) ?? [];
  }

  /** Position of the producing node; -1 for inputs, initializers and names from enclosing scopes. */
  order(name: string): number {
    return this.producers.get(name)?.index ?? -1;
  }

  /** A weight, also where an Identity names it again (PyTorch's exporter writes one weight once, aliases for copies). */
  initializer(name: string): onnx.ITensorProto | undefined {
    const producer = this.producers.get(name)?.node;
    if (producer?.opType === 'Identity' && producer.input?.[0]) return this.initializer(producer.input[0]);
    return this.initializers.get(name) ?? this.parent?.initializer(name);
  }

  /** A graph input of this scope or, for a branch, a value flowing in from outside. */
  isInput(name: string): boolean {
    if (this.inputs.has(name)) return true;
    if (this.producers.has(name) || this.initializers.has(name)) return false;
    return this.parent !== undefined && !this.parent.isConstant(name);
  }

  isConstant(name: string): boolean {
    if (this.initializers.has(name)) return true;
    const producer = this.producers.get(name);
    if (producer) return producer.node.opType === 'Constant' || (producer.node.opType === 'Identity' && this.isConstant(producer.node.input?.[0] ?? ''));
    return this.parent?.isConstant(name) ?? false;
  }

  /** True for activations; false for weights, constants and anything computed only from shapes. */
  isData(name: string): boolean {
    const memo = this.dataMemo.get(name);
    if (memo !== undefined) return memo;
    let result: boolean;
    const producer = this.producers.get(name);
    if (this.isConstant(name)) result = false;
    else if (!producer) result = this.parent && !this.inputs.has(name) ? this.parent.isData(name) : true;
    else if (SHAPE_OPS.has(producer.node.opType ?? '')) result = false;
    else {
      // Memoise before recursing: graphs are acyclic, this only guards malformed ones.
      this.dataMemo.set(name, false);
      result = (producer.node.input ?? []).some((input) => input !== '' && this.isData(input));
    }
    this.dataMemo.set(name, result);
    return result;
  }

  dataInputs(node: onnx.INodeProto): string[] {
    return (node.input ?? []).filter((input) => input !== '' && this.isData(input));
  }

  /** Element type (TensorProto.DataType) of a tensor, inferred where the graph does not declare it. */
  elemType(name: string): number {
    const memo = this.typeMemo.get(name);
    if (memo !== undefined) return memo;
    this.typeMemo.set(name, FLOAT);
    const result = this.inferType(name);
    this.typeMemo.set(name, result);
    return result;
  }

  private inferType(name: string): number {
    const declared = this.declaredTypes.get(name);
    if (declared) return declared;
    const initializer = this.initializers.get(name);
    if (initializer) return initializer.dataType ?? FLOAT;
    const producer = this.producers.get(name);
    if (!producer) return this.parent?.elemType(name) ?? FLOAT;
    const { node } = producer;
    const input = (i: number) => this.elemType(node.input?.[i] ?? '');
    const attribute = (attr: string) => node.attribute?.find((a) => a.name === attr);
    switch (node.opType) {
      case 'Cast':
        return Number(attribute('to')?.i ?? FLOAT);
      case 'Constant':
        return attribute('value')?.t?.dataType ?? FLOAT;
      case 'ConstantOfShape':
        return attribute('value')?.t?.dataType ?? FLOAT;
      case 'Shape':
      case 'Size':
      case 'ArgMax':
      case 'ArgMin':
      case 'NonZero':
        return INT64;
      case 'MatMulInteger':
      case 'ConvInteger':
        return INT32;
      case 'DynamicQuantizeLinear':
        return node.output?.[1] === name ? FLOAT : UINT8;
      case 'QuantizeLinear':
        return node.input?.[2] ? input(2) : UINT8;
      case 'DequantizeLinear':
        return input(1);
      case 'Where':
        return input(1);
      case 'If': {
        const position = node.output?.indexOf(name) ?? 0;
        const branch = attribute('then_branch')?.g;
        return branch ? new GraphScope(branch, this).elemType(branch.output?.[position]?.name ?? '') : FLOAT;
      }
      default:
        if (BOOL_OPS.has(node.opType ?? '')) return BOOL;
        return input(0);
    }
  }

  /** Whether `name` is computed from `source` through activations (shape arithmetic does not count). */
  dependsOn(name: string, source: string): boolean {
    const sourceOrder = this.order(source);
    const visited = new Set<string>();
    const stack = [name];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current === source) return true;
      if (visited.has(current)) continue;
      visited.add(current);
      const producer = this.producers.get(current);
      // Nodes are topologically sorted: nothing produced before the source can depend on it.
      if (!producer || producer.index < sourceOrder) continue;
      for (const input of producer.node.input ?? []) {
        if (input !== '' && this.isData(input)) stack.push(input);
      }
    }
    return false;
  }
}
