// The two principal components of a set of vectors, by randomized subspace iteration: cheap
// enough for 512 tokens × 1024 dimensions per layer, and deterministic (seeded).

export interface Projection {
  /** [rows × 2] coordinates on the first two components. */
  readonly coords: Float32Array;
  /** Share of the total variance each component explains. */
  readonly explained: readonly [number, number];
}

/**
 * Orthonormalizes the columns of a rows×cols column-major matrix in place: Gram-Schmidt applied
 * twice (once loses orthogonality on nearly dependent columns); columns with nothing left are zeroed.
 */
function orthonormalize(matrix: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    const column = matrix.subarray(c * rows, (c + 1) * rows);
    let before = 0;
    for (let r = 0; r < rows; r++) before += column[r] * column[r];
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        const previous = matrix.subarray(p * rows, (p + 1) * rows);
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += column[r] * previous[r];
        for (let r = 0; r < rows; r++) column[r] -= dot * previous[r];
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += column[r] * column[r];
    if (norm <= before * 1e-20 || norm === 0) column.fill(0);
    else for (let r = 0; r < rows; r++) column[r] /= Math.sqrt(norm);
  }
}

/** Eigen-decomposition of a small symmetric matrix (Jacobi rotations); eigenvalues descending. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p * n + q]) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => a[j * n + j] - a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[to * n + k] = v[k * n + from];
  });
  return { values: order.map((i) => a[i * n + i]), vectors };
}

/** PCA of `rows` vectors of length `cols` (row-major); coordinates centred on their mean. */
export function pca2(data: Float32Array, rows: number, cols: number): Projection {
  const coords = new Float32Array(rows * 2);
  if (rows < 2 || cols === 0) return { coords, explained: [0, 0] };
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const x = new Float64Array(rows * cols);
  let total = 0;
  for (let i = 0; i < rows * cols; i++) {
    x[i] = data[i] - mean[i % cols];
    total += x[i] * x[i];
  }
  if (total === 0) return { coords, explained: [0, 0] };
  const width = Math.min(8, rows, cols);
  // Y = X·Ω with a fixed pseudo-random Ω, then a few rounds of subspace iteration.
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const omega = Float64Array.from({ length: cols * width }, random);
  const y = new Float64Array(rows * width);
  const z = new Float64Array(cols * width);
  const timesX = (from: Float64Array) => {
    for (let k = 0; k < width; k++) for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += x[r * cols + c] * from[k * cols + c];
      y[k * rows + r] = sum;
    }
  };
  const timesXt = () => {
    z.fill(0);
    for (let k = 0; k < width; k++) for (let r = 0; r < rows; r++) {
      const value = y[k * rows + r];
      if (value === 0) continue;
      for (let c = 0; c < cols; c++) z[k * cols + c] += x[r * cols + c] * value;
    }
  };
  timesX(omega);
  orthonormalize(y, rows, width);
  for (let round = 0; round < 4; round++) {
    timesXt();
    orthonormalize(z, cols, width);
    timesX(z);
    orthonormalize(y, rows, width);
  }
  timesXt(); // z = Xᵀ·Y, so B = Yᵀ·X = zᵀ
  const gram = new Float64Array(width * width);
  for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += z[i * cols + c] * z[j * cols + c];
    gram[i * width + j] = sum;
  }
  const { values, vectors } = symmetricEigen(gram, width);
  const explained: [number, number] = [0, 0];
  for (let component = 0; component < 2 && component < width; component++) {
    const sigma = Math.sqrt(Math.max(values[component], 0));
    explained[component] = values[component] / total;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let k = 0; k < width; k++) sum += y[k * rows + r] * vectors[component * width + k];
      coords[r * 2 + component] = sum * sigma;
    }
  }
  return { coords, explained };
}
