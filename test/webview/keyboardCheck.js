// Run in the panel's page by keyboard.test.ts: installs window.tiKeyboard, whose functions describe the
// page's controls and the focused element (plain JavaScript, so no test-transpiler helper reaches the page).
(() => {
  const CONTROL = 'button, input, select, textarea, a[href], [tabindex], [role="tab"], [role="button"], [role="slider"], [role="checkbox"], summary';
  const shownOnScreen = (element) => element.getClientRects().length > 0 && !element.closest('[hidden], [aria-hidden="true"]') && getComputedStyle(element).visibility !== 'hidden';
  /** A path that names an element the same way each time it is found. */
  const key = (element) => {
    const parts = [];
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      const index = node.parentElement ? [...node.parentElement.children].indexOf(node) : 0;
      parts.unshift(`${node.tagName.toLowerCase()}${node.getAttribute('class') ? '.' + node.getAttribute('class').split(' ')[0] : ''}:${index}`);
    }
    return parts.join('>');
  };
  const textOf = (element) => (element.textContent || '').replace(/\s+/g, ' ').trim();
  /** The accessible name, as far as these controls need it: aria-label(ledby), a label, the content, the title. */
  const nameOf = (element) => {
    const label = element.getAttribute('aria-label');
    if (label && label.trim()) return label.trim();
    const labelledBy = element.getAttribute('aria-labelledby');
    if (labelledBy) return labelledBy.split(' ').map((id) => textOf(document.getElementById(id) || document.createElement('i'))).join(' ').trim();
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
      const wrapping = element.closest('label');
      const pointing = element.id ? document.querySelector(`label[for="${element.id}"]`) : null;
      const text = textOf(wrapping || pointing || document.createElement('i'));
      if (text) return text;
    }
    return textOf(element) || (element.getAttribute('title') || '').trim();
  };
  const rgb = (colour) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(colour);
    return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : undefined;
  };
  const luminance = (c) => {
    const channel = (v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  window.tiKeyboard = {
    /** Every control the user can see and use now, with its name and whether a roving group holds it. */
    controls() {
      return [...document.querySelectorAll(CONTROL)]
        .filter((element) => shownOnScreen(element) && !element.disabled)
        // tabindex -1 outside a roving group is a programmatic focus target, not a control.
        .filter((element) => element.tabIndex >= 0 || element.closest('[role="tablist"], svg.model-cells'))
        .map((element) => ({
          key: key(element),
          name: nameOf(element),
          tag: element.tagName.toLowerCase(),
          // Roving tabindex (tabs, the model view's cells): one member takes Tab, arrows reach the rest.
          group: element.closest('[role="tablist"], svg.model-cells') ? key(element.closest('[role="tablist"], svg.model-cells')) : undefined,
        }));
    },
    /** The focused element: what it is, whether it shows focus, and how strongly against the page. */
    focused() {
      const element = document.activeElement;
      if (!element || element === document.body || element === document.documentElement) return undefined;
      const style = getComputedStyle(element);
      const page = rgb(getComputedStyle(document.body).backgroundColor);
      const outline = rgb(style.outlineColor);
      const width = parseFloat(style.outlineWidth) || 0;
      const outlined = style.outlineStyle !== 'none' && width >= 1 && outline && outline.a > 0;
      // An SVG cell may show focus by its stroke instead (the model view's selected cell).
      const stroke = element instanceof SVGElement ? rgb(style.stroke) : undefined;
      const stroked = !!stroke && (parseFloat(style.strokeWidth) || 0) >= 1.5;
      const shown = outlined ? outline : stroked ? stroke : undefined;
      return {
        key: key(element),
        name: nameOf(element),
        focusVisible: element.matches(':focus-visible') && !!shown,
        contrast: shown && page ? Math.round(contrast(shown, page) * 100) / 100 : 0,
        group: element.closest('[role="tablist"], svg.model-cells') ? key(element.closest('[role="tablist"], svg.model-cells')) : undefined,
      };
    },
  };
})();
