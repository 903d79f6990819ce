// The one floating tooltip of a view: exact values and neighbours on hover. Positioned through
// CSSOM (the CSP forbids style attributes) and kept inside the view's box.

import { el } from './elements';

export class Tooltip {
  readonly element = el('div', 'tooltip');

  constructor(private readonly container: HTMLElement) {
    this.element.setAttribute('role', 'status');
    this.element.hidden = true;
    container.append(this.element);
  }

  /** Shows `lines` near (x, y), in the container's coordinates. */
  show(x: number, y: number, lines: readonly string[]): void {
    this.element.replaceChildren(...lines.map((line, i) => el('div', i === 0 ? 'tooltip-title' : 'tooltip-line', line)));
    this.element.hidden = false;
    const width = this.element.offsetWidth;
    // Room to the right edge of the page, not of the (narrow) figure: tooltips may overhang it.
    const room = document.documentElement.clientWidth - this.container.getBoundingClientRect().left;
    const left = x + 14 + width > room ? Math.max(0, x - width - 10) : x + 14;
    this.element.style.setProperty('left', `${left}px`);
    // Above the pointer when below it would run past the bottom of the figure.
    const height = this.element.offsetHeight;
    const top = y + 12 + height > this.container.clientHeight && y - height - 8 >= 0 ? y - height - 8 : y + 12;
    this.element.style.setProperty('top', `${top}px`);
  }

  hide(): void {
    this.element.hidden = true;
  }
}
