// Signed values (Q, K, V, position vectors) as colour strips: orange below zero, the background at
// zero, the accent above, one backing pixel per value scaled up without smoothing.

import { LUT_SIZE, type Theme } from '../theme';

/** Backing canvas for one block before it is scaled onto the view's canvas. */
const scratch = document.createElement('canvas');

/** The diverging table's entry for `value` on a ±max scale (0 in the middle). */
export function divergingIndex(value: number, max: number): number {
  const middle = (LUT_SIZE - 1) / 2;
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(middle + (value / max) * middle)));
}

/** Rows `rows` of a [n, width] matrix at (x, y): each value `cell` wide, each row `rowHeight` tall. */
export function paintDiverging(context: CanvasRenderingContext2D, values: Float32Array, rows: readonly number[], width: number, at: { x: number; y: number; cell: number; rowHeight: number }, max: number, theme: Theme): void {
  if (rows.length === 0) return;
  const image = new ImageData(width, rows.length);
  rows.forEach((row, r) => {
    for (let i = 0; i < width; i++) {
      const entry = divergingIndex(values[row * width + i], max) * 4;
      image.data.set(theme.divergingLut.subarray(entry, entry + 4), (r * width + i) * 4);
    }
  });
  scratch.width = width;
  scratch.height = rows.length;
  scratch.getContext('2d')!.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(scratch, at.x, at.y, width * at.cell, rows.length * at.rowHeight);
}

/** Largest |x| over the arrays: strips that are compared share one colour scale. */
export function symmetricMax(...arrays: Float32Array[]): number {
  let max = 0;
  for (const array of arrays) for (let i = 0; i < array.length; i++) max = Math.max(max, Math.abs(array[i]));
  return max || 1;
}
