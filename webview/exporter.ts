// Turns the current view into files: its figure as a standalone SVG (canvases embedded as PNG,
// SVG parts with their computed colours inlined) or a PNG raster of it, and its numbers as JSON/CSV.

import type { SaveRequest } from '../src/protocol/panelProtocol';
import { SVG_NS } from './elements';
import type { ExportTable } from './views/view';

export interface ExportFile {
  readonly name: string;
  readonly mime: SaveRequest['mime'];
  readonly data: string;
  readonly encoding: SaveRequest['encoding'];
}

export type ExportKind = 'png' | 'svg' | 'json' | 'csv';

/** Styles that decide how SVG draws; written out so the file looks the same outside the panel. */
const INLINED = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline', 'visibility', 'display'];
const TITLE_HEIGHT = 24;

/** A file name the host accepts: `[\w.-]`, at most 100 characters. */
export function fileName(stem: string, extension: string): string {
  const safe = stem.replace(/[^\w.-]+/g, '_').replace(/_+/g, '_').slice(0, 100 - extension.length - 1) || 'export';
  return `${safe}.${extension}`;
}

function isShown(element: Element): boolean {
  return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
}

function inlineStyles(original: Element, copy: Element): void {
  const originals = [original, ...original.querySelectorAll('*')];
  const copies = [copy, ...copy.querySelectorAll('*')];
  originals.forEach((source, i) => {
    const target = copies[i];
    if (!target) return;
    const style = getComputedStyle(source);
    // Presentation attributes rather than style="": same effect, and nothing a CSP could object to.
    for (const name of INLINED) target.setAttribute(name, style.getPropertyValue(name));
    target.removeAttribute('class');
    target.removeAttribute('tabindex');
  });
}

/** Heatmaps keep one backing pixel per cell; a file gets them at their size on screen, cells kept sharp. */
function screenResolution(canvas: HTMLCanvasElement, width: number, height: number): HTMLCanvasElement {
  const w = Math.round(width);
  const h = Math.round(height);
  if (canvas.width >= w && canvas.height >= h) return canvas;
  const copy = document.createElement('canvas');
  copy.width = w;
  copy.height = h;
  const context = copy.getContext('2d')!;
  context.imageSmoothingEnabled = false;
  context.drawImage(canvas, 0, 0, w, h);
  return copy;
}

/** The figure as a standalone SVG document, laid out as on screen, with a title line on top. */
export function figureSvg(figure: HTMLElement, title: string, colors: { background: string; foreground: string }): { svg: string; width: number; height: number } {
  const origin = figure.getBoundingClientRect();
  const width = Math.ceil(Math.max(figure.scrollWidth, origin.width));
  const height = Math.ceil(Math.max(figure.scrollHeight, origin.height)) + TITLE_HEIGHT;
  const doc = document.implementation.createDocument(SVG_NS, 'svg', null);
  const root = doc.documentElement;
  root.setAttribute('xmlns', SVG_NS);
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(height));
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const background = doc.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', colors.background);
  root.append(background);
  const heading = doc.createElementNS(SVG_NS, 'text');
  heading.setAttribute('x', '4');
  heading.setAttribute('y', '16');
  heading.setAttribute('fill', colors.foreground);
  heading.setAttribute('font-family', getComputedStyle(figure).fontFamily);
  heading.setAttribute('font-size', '13');
  heading.textContent = title;
  root.append(heading);
  for (const part of figure.querySelectorAll('canvas, svg')) {
    if (part.parentElement?.closest('svg') || !isShown(part)) continue;
    const box = part.getBoundingClientRect();
    const x = (box.left - origin.left).toFixed(1);
    const y = (box.top - origin.top + TITLE_HEIGHT).toFixed(1);
    if (part instanceof HTMLCanvasElement) {
      const image = doc.createElementNS(SVG_NS, 'image');
      image.setAttribute('x', x);
      image.setAttribute('y', y);
      image.setAttribute('width', String(box.width));
      image.setAttribute('height', String(box.height));
      image.setAttribute('preserveAspectRatio', 'none');
      image.setAttribute('href', screenResolution(part, box.width, box.height).toDataURL('image/png'));
      root.append(image);
    } else {
      const copy = doc.importNode(part, true) as SVGSVGElement;
      inlineStyles(part, copy);
      copy.setAttribute('x', x);
      copy.setAttribute('y', y);
      copy.setAttribute('overflow', 'visible');
      root.append(copy);
    }
  }
  return { svg: new XMLSerializer().serializeToString(doc), width, height };
}

/** Rasterises an SVG document to PNG, as base64. */
export async function svgToPng(svg: string, width: number, height: number, scale = 2): Promise<string> {
  const image = new Image();
  // The load event, not decode(): Chromium's decode() can reject SVG images when the page is busy.
  await new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error('The figure could not be rendered as PNG.'));
    image.src = `data:image/svg+xml;base64,${utf8Base64(svg)}`;
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d')!;
  context.scale(scale, scale);
  context.drawImage(image, 0, 0, width, height);
  return canvas.toDataURL('image/png').slice('data:image/png;base64,'.length);
}

export function utf8Base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** One export of the current view; undefined when the view has nothing to export. */
export async function exportView(kind: ExportKind, figure: HTMLElement, title: string, table: ExportTable | undefined, colors: { background: string; foreground: string }): Promise<ExportFile | undefined> {
  if (!table) return undefined;
  switch (kind) {
    case 'svg':
      return { name: fileName(table.name, 'svg'), mime: 'image/svg+xml', data: figureSvg(figure, title, colors).svg, encoding: 'utf8' };
    case 'png': {
      const { svg, width, height } = figureSvg(figure, title, colors);
      return { name: fileName(table.name, 'png'), mime: 'image/png', data: await svgToPng(svg, width, height), encoding: 'base64' };
    }
    case 'json':
      return { name: fileName(table.name, 'json'), mime: 'application/json', data: JSON.stringify(table.json, null, 1), encoding: 'utf8' };
    case 'csv':
      return { name: fileName(table.name, 'csv'), mime: 'text/csv', data: table.csv, encoding: 'utf8' };
  }
}
