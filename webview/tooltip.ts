// The one floating tooltip of a view: exact values and neighbours on hover. Positioned through
// CSSOM (the CSP forbids style attributes), on screen, and aside from what it describes.

import { el } from './elements';

/** A box in the tooltip container's coordinates (CSS pixels from its top-left corner). */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export const box = (left: number, top: number, width: number, height: number): Box => ({ left, top, right: left + width, bottom: top + height });

const GAP = 6;

export class Tooltip {
  readonly element = el('div', 'tooltip');

  constructor(private readonly container: HTMLElement) {
    this.element.setAttribute('role', 'status');
    this.element.hidden = true;
    container.append(this.element);
  }

  /**
   * Shows `lines` near the pointer at (x, y), in the container's coordinates, where it covers none of
   * `avoid` (what the tooltip describes: the hovered cell and its labels) and stays on screen.
   */
  show(x: number, y: number, lines: readonly string[], avoid: readonly Box[] = [box(x - 4, y - 4, 8, 8)]): void {
    this.element.replaceChildren(...lines.map((line, i) => el('div', i === 0 ? 'tooltip-title' : 'tooltip-line', line)));
    this.element.hidden = false;
    const width = this.element.offsetWidth;
    const height = this.element.offsetHeight;
    const screen = this.visibleArea();
    const aside = avoid.length ? union(avoid) : box(x, y, 0, 0);
    // Beside the pointer first, then just outside what it describes, each way round.
    const right = Math.max(x, aside.right) + GAP;
    const left = Math.min(x, aside.left) - GAP - width;
    const below = Math.max(y, aside.bottom) + GAP;
    const above = Math.min(y, aside.top) - GAP - height;
    const candidates: [number, number][] = [
      [x + 14, y + 14], [x + 14, y - height - 10], [x - width - 10, y + 14], [x - width - 10, y - height - 10],
      [x + 14, below], [x - width - 10, below], [x + 14, above], [x - width - 10, above],
      [right, y + 14], [right, y - height - 10], [left, y + 14], [left, y - height - 10],
      [clamp(x - width / 2, screen), below], [clamp(x - width / 2, screen), above],
    ];
    let best = candidates[0];
    let bestCost = Infinity;
    for (const candidate of candidates) {
      const placed = box(candidate[0], candidate[1], width, height);
      // On screen first, then covering least of what it describes, then nearest the pointer.
      const off = offScreen(placed, screen);
      const cost = (off > 0.5 ? 1e9 + 1e4 * off : 0) + 1e3 * avoid.reduce((sum, b) => sum + overlap(placed, b), 0) + Math.hypot(candidate[0] - x, candidate[1] - y);
      if (cost < bestCost) [best, bestCost] = [candidate, cost];
    }
    this.element.style.setProperty('left', `${Math.round(best[0])}px`);
    this.element.style.setProperty('top', `${Math.round(best[1])}px`);
  }

  hide(): void {
    this.element.hidden = true;
  }

  /** The part of the container the user can see: inside the page and every scrolling ancestor. */
  private visibleArea(): Box {
    const origin = this.container.getBoundingClientRect();
    let area = { left: 0, top: 0, right: document.documentElement.clientWidth, bottom: document.documentElement.clientHeight };
    for (let parent = this.container.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (!/(auto|scroll|hidden)/.test(style.overflowX + style.overflowY)) continue;
      const rect = parent.getBoundingClientRect();
      area = { left: Math.max(area.left, rect.left), top: Math.max(area.top, rect.top), right: Math.min(area.right, rect.left + parent.clientWidth), bottom: Math.min(area.bottom, rect.top + parent.clientHeight) };
    }
    return { left: area.left - origin.left, top: area.top - origin.top, right: area.right - origin.left, bottom: area.bottom - origin.top };
  }
}

function union(boxes: readonly Box[]): Box {
  return boxes.reduce((u, b) => ({ left: Math.min(u.left, b.left), top: Math.min(u.top, b.top), right: Math.max(u.right, b.right), bottom: Math.max(u.bottom, b.bottom) }));
}

function overlap(a: Box, b: Box): number {
  return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
}

function offScreen(placed: Box, screen: Box): number {
  return Math.max(0, screen.left - placed.left) + Math.max(0, placed.right - screen.right) + Math.max(0, screen.top - placed.top) + Math.max(0, placed.bottom - screen.bottom);
}

function clamp(left: number, screen: Box): number {
  return Math.max(screen.left, Math.min(left, screen.right));
}
