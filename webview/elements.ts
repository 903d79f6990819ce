// Small DOM builders for the panel's HTML controls, so modules read as layout, not as
// createElement calls. Styles go through CSSOM only: the panel's CSP forbids style attributes.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  if (className) node.setAttribute('class', className);
  return node;
}

/** A labelled <select>; values are option indexes. */
export function labelledSelect(label: string, className: string): { wrapper: HTMLLabelElement; select: HTMLSelectElement } {
  const wrapper = el('label', `control ${className}`);
  wrapper.append(el('span', 'control-label', label));
  const select = el('select');
  wrapper.append(select);
  return { wrapper, select };
}

export function setOptions(select: HTMLSelectElement, labels: readonly string[], selected: number): void {
  const current = [...select.options].map((option) => option.text);
  if (current.length !== labels.length || current.some((text, i) => text !== labels[i])) {
    select.replaceChildren(...labels.map((text, index) => new Option(text, String(index))));
  }
  select.value = String(selected);
}

/** A canvas sized in CSS pixels and backed at the device pixel ratio. */
export function sizeCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  canvas.style.setProperty('width', `${width}px`);
  canvas.style.setProperty('height', `${height}px`);
  const context = canvas.getContext('2d')!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

/** Width a label takes in the panel font, for laying out axes before drawing them. */
export function textWidth(text: string, font: string): number {
  const context = measureCanvas.getContext('2d')!;
  context.font = font;
  return context.measureText(text).width;
}

const measureCanvas = document.createElement('canvas');

export function panelFont(sizePx = 11): string {
  const family = getComputedStyle(document.body).getPropertyValue('--vscode-editor-font-family').trim() || 'monospace';
  return `${sizePx}px ${family}`;
}
