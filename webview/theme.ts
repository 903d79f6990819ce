// Colours of the panel, all read from the `--vscode-*` CSS variables: the 256-entry colour lookup
// table of the heatmaps, head and token-type colours. Rebuilt whenever VS Code changes the theme.

import { color, lab, rgb } from 'd3';

export const LUT_SIZE = 256;

export interface ThemeColors {
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly border: string;
  readonly focus: string;
  readonly highlight: string;
  readonly accent: string;
}

/** Heads beyond this list reuse its colours in order. */
const HEAD_VARIABLES = [
  'charts-blue', 'charts-red', 'charts-green', 'charts-yellow', 'charts-orange', 'charts-purple',
  'terminal-ansiCyan', 'terminal-ansiMagenta', 'terminal-ansiBrightBlue', 'terminal-ansiBrightGreen', 'terminal-ansiBrightRed', 'terminal-ansiBrightYellow',
];

/** Used only where a variable is missing altogether (never in VS Code, whose themes define them all). */
const LAST_RESORT: Record<string, string> = {
  'editor-background': '#1e1e1e', foreground: '#cccccc', descriptionForeground: '#9d9d9d', 'panel-border': '#80808059',
  focusBorder: '#0078d4', 'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700',
  'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'editor-selectionBackground': '#264f78',
};

export function cssVariable(name: string, element: Element = document.body): string {
  const value = getComputedStyle(element).getPropertyValue(`--vscode-${name}`).trim();
  return value || LAST_RESORT[name] || '';
}

/** A colour with alpha flattened onto the background, as CSS rgb(). */
function opaque(value: string, background: string): string {
  const parsed = rgb(value);
  const base = rgb(background);
  if (!color(value) || Number.isNaN(parsed.r)) return background;
  const a = Number.isNaN(parsed.opacity) ? 1 : parsed.opacity;
  return rgb(parsed.r * a + base.r * (1 - a), parsed.g * a + base.g * (1 - a), parsed.b * a + base.b * (1 - a)).formatRgb();
}

/**
 * 256 RGBA entries interpolated in Lab through `stops`: index 0 is the weakest value. The same colours
 * as d3's piecewise interpolateLab, computed on numbers: its string result, parsed back, made this a
 * quarter of the panel's start-up (three tables, 768 entries).
 */
export function buildLut(stops: readonly string[]): Uint8ClampedArray {
  const points = stops.map((stop) => lab(stop));
  const segments = points.length - 1;
  const lut = new Uint8ClampedArray(LUT_SIZE * 4);
  for (let i = 0; i < LUT_SIZE; i++) {
    const position = (i / (LUT_SIZE - 1)) * segments;
    const segment = Math.min(segments - 1, Math.floor(position));
    const [from, to] = [points[segment], points[segment + 1]];
    const t = position - segment;
    const c = lab(mix(from.l, to.l, t), mix(from.a, to.a, t), mix(from.b, to.b, t)).rgb();
    lut.set([channel(c.r), channel(c.g), channel(c.b), 255], i * 4);
  }
  return lut;
}

/** Rounded and clamped as d3 formats a colour (a typed array's own clamping rounds halves to even). */
const channel = (value: number) => Math.max(0, Math.min(255, Math.round(value) || 0));

/** Linear interpolation that keeps an undefined (NaN) channel at the other end's value, as d3 does. */
function mix(from: number, to: number, t: number): number {
  if (Number.isNaN(from)) return to;
  if (Number.isNaN(to)) return from;
  return from + (to - from) * t;
}

/** The LUT entry for `value` on a linear scale from 0 to `max`. */
export function lutIndex(value: number, max: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.min(LUT_SIZE - 1, Math.round((value / max) * (LUT_SIZE - 1)));
}

export function lutCss(lut: Uint8ClampedArray, index: number): string {
  return `rgb(${lut[index * 4]}, ${lut[index * 4 + 1]}, ${lut[index * 4 + 2]})`;
}

export class Theme {
  colors!: ThemeColors;
  /** Sequential LUT: background → chart blue → foreground, so weak values fade into the page. */
  lut!: Uint8ClampedArray;
  /** Position colours (first → last token); built when a view first asks (start-up builds only `lut`). */
  get positionLut(): Uint8ClampedArray {
    return (this.lazyLuts.position ??= buildLut(this.lazyStops.position));
  }
  /** Signed values (Q, K, V): orange below zero → background at zero → blue above; entry 128 is zero. */
  get divergingLut(): Uint8ClampedArray {
    return (this.lazyLuts.diverging ??= buildLut(this.lazyStops.diverging));
  }
  /** The lazy tables' colours, read with the rest of the theme. */
  private lazyStops!: { readonly position: readonly string[]; readonly diverging: readonly string[] };
  private lazyLuts: { position?: Uint8ClampedArray; diverging?: Uint8ClampedArray } = {};
  headColors!: readonly string[];
  tokenTypeColors!: { readonly special: string; readonly wordStart: string; readonly continuation: string };
  /** Increments on every rebuild, so views can tell stale drawings. */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly observer: MutationObserver;
  private readonly media = matchMedia('(prefers-color-scheme: dark)');
  private scheduled = false;
  private readonly onMedia = () => this.schedule();

  constructor() {
    this.read();
    // VS Code toggles vscode-light/-dark/-high-contrast on <body> and rewrites the variables on <html>.
    this.observer = new MutationObserver(() => this.schedule());
    this.observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    this.media.addEventListener('change', this.onMedia);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the variables now (also used by tests through the observer). */
  refresh(): void {
    const before = this.signature();
    this.read();
    if (this.signature() === before) return;
    for (const listener of this.listeners) listener();
  }

  dispose(): void {
    this.observer.disconnect();
    this.media.removeEventListener('change', this.onMedia);
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Class and variables change in separate mutations: read once both have landed.
    queueMicrotask(() => {
      this.scheduled = false;
      this.refresh();
    });
  }

  private signature(): string {
    return [this.colors.background, this.colors.foreground, this.colors.accent, ...this.headColors, this.colors.focus].join('|');
  }

  private read(): void {
    const background = opaque(cssVariable('editor-background'), '#808080');
    const flat = (name: string) => opaque(cssVariable(name), background);
    const foreground = flat('foreground');
    const accent = flat('charts-blue');
    this.colors = {
      background,
      foreground,
      muted: flat('descriptionForeground'),
      border: flat('panel-border'),
      focus: flat('focusBorder'),
      highlight: flat('editor-selectionBackground'),
      accent,
    };
    const [green, orange] = [flat('charts-green'), flat('charts-orange')];
    this.lut = buildLut([background, accent, foreground]);
    this.lazyStops = { position: [accent, green, orange], diverging: [orange, background, accent] };
    this.lazyLuts = {};
    const heads = HEAD_VARIABLES.map((name) => cssVariable(name)).filter((value) => value !== '').map((value) => opaque(value, background));
    this.headColors = heads.length > 0 ? heads : [accent];
    this.tokenTypeColors = { special: flat('charts-purple'), wordStart: accent, continuation: orange };
    this.version++;
  }
}
