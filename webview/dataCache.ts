// Full-resolution attention fetched on demand: a small least-recently-used cache in front of the
// panel's data source, with requests in flight shared, so stepping back and forth costs nothing.

import type { Tensor } from '../src/protocol/inspection';
import type { PanelDataMethods, PanelDataSource } from '../src/protocol/panelData';

/** About five 12-head layers of 512² tokens; an entry bigger than this is still kept alone. */
const DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024;

/** Tensors that crossed a message boundary may arrive as plain arrays or index objects; make them typed again. */
export function asTensor(value: Tensor): Tensor {
  const data = value.data as unknown;
  if (data instanceof Float32Array) return value;
  if (Array.isArray(data)) return { dims: value.dims, data: Float32Array.from(data as number[]) };
  if (data && typeof data === 'object') {
    const length = value.dims.reduce((product, size) => product * size, 1);
    const record = data as Record<number, number>;
    return { dims: value.dims, data: Float32Array.from({ length }, (_, i) => record[i] ?? 0) };
  }
  return { dims: value.dims, data: new Float32Array(0) };
}

function sizeOf(result: unknown): number {
  const tensor = result as Tensor;
  return tensor && tensor.data instanceof Float32Array ? tensor.data.byteLength : 1024;
}

export class CachedDataSource implements PanelDataSource {
  private readonly entries = new Map<string, { result: unknown; bytes: number }>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private bytes = 0;

  constructor(
    private readonly source: PanelDataSource,
    private readonly budget = DEFAULT_BUDGET_BYTES,
  ) {}

  async call<K extends keyof PanelDataMethods>(method: K, params: PanelDataMethods[K]['params']): Promise<PanelDataMethods[K]['result']> {
    const key = `${method}:${JSON.stringify(params)}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Re-inserting moves the entry to the young end of the Map's order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.result as PanelDataMethods[K]['result'];
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<PanelDataMethods[K]['result']>;
    const request = this.source.call(method, params).then((raw) => {
      // Tensors come back as typed arrays; lists (neighbours, FFN units) and the logit lens as they are.
      const isTensor = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'data' in raw;
      const result = (isTensor ? asTensor(raw as Tensor) : raw) as PanelDataMethods[K]['result'];
      this.store(key, result);
      return result;
    });
    this.inFlight.set(key, request);
    try {
      return await request;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private store(key: string, result: unknown): void {
    const bytes = sizeOf(result);
    this.entries.set(key, { result, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.budget || oldest === key) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}
