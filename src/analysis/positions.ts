// The sinusoidal position encoding of "Attention Is All You Need" — PE(pos, 2i) = sin(pos / 10000^(2i/d)),
// PE(pos, 2i+1) = cos(…) — in the paper's interleaved layout and in the halves layout (all sines, then
// all cosines) that Marian uses; and which of them a table is, if any.

export type SinusoidalLayout = 'interleaved' | 'halves';

/** The formula's value at a position and dimension. */
export function sinusoid(position: number, dimension: number, width: number, layout: SinusoidalLayout): number {
  const half = Math.floor(width / 2);
  const pair = layout === 'interleaved' ? Math.floor(dimension / 2) : dimension % half;
  const usesSine = layout === 'interleaved' ? dimension % 2 === 0 : dimension < half;
  const angle = position / Math.pow(10000, (2 * pair) / width);
  return usesSine ? Math.sin(angle) : Math.cos(angle);
}

/** The layout the table follows best, and its largest difference from the formula over every row given. */
export function sinusoidalFit(table: Float32Array, rows: number, width: number): { layout: SinusoidalLayout; difference: number } {
  const fits = (['interleaved', 'halves'] as const).map((layout) => {
    let difference = 0;
    for (let p = 0; p < rows && difference < 1; p++) {
      for (let i = 0; i < width; i++) difference = Math.max(difference, Math.abs(table[p * width + i] - sinusoid(p, i, width, layout)));
    }
    return { layout, difference };
  });
  return fits[0].difference <= fits[1].difference ? fits[0] : fits[1];
}

/** Differences this small are float rounding: the table is the formula. */
export const SINUSOIDAL_TOLERANCE = 1e-4;
