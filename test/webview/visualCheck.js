// Run in the panel's page by visual.test.ts (an expression; its value is the list of problems).
(() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) problems.push(`the panel scrolls sideways: ${root.scrollWidth} px of content in ${root.clientWidth}`);
  const boxes = [];
  const walker = document.createTreeWalker(document.getElementById('app'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = (node.textContent || '').trim();
    const element = node.parentElement;
    if (!text || !element || element.closest('.tooltip, option, select, style, script, title, [hidden]')) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width <= 0.5 || rect.height <= 0.5) continue;
      // Text scrolled out of an intended scroll area is not on screen: left out; text partly in it counts as the part shown.
      let visible = new DOMRect(rect.x, rect.y, rect.width, rect.height);
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        const style = getComputedStyle(parent);
        if (!/(auto|scroll)/.test(style.overflowX + style.overflowY)) continue;
        const box = parent.getBoundingClientRect();
        const left = Math.max(visible.left, box.left);
        const top = Math.max(visible.top, box.top);
        const right = Math.min(visible.right, box.right);
        const bottom = Math.min(visible.bottom, box.bottom);
        visible = new DOMRect(left, top, Math.max(0, right - left), Math.max(0, bottom - top));
      }
      if (visible.width > 0.5 && visible.height > 0.5) boxes.push({ text, rect: visible, full: rect, element });
    }
  }
  const shown = (text) => (text.length > 24 ? `${text.slice(0, 24)}…` : text);
  const scrolls = (element) => {
    for (let parent = element; parent && parent !== document.body; parent = parent.parentElement) if (/(auto|scroll)/.test(getComputedStyle(parent).overflowX)) return true;
    return false;
  };
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      if (a.element === b.element) continue;
      const x = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const y = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      // More than two pixels each way: glyph boxes of neighbouring labels may touch.
      if (x > 2 && y > 2) problems.push(`"${shown(a.text)}" overlaps "${shown(b.text)}"`);
    }
    // Cut: outside an ancestor that clips (overflow other than visible), unless that ancestor scrolls.
    for (let parent = a.element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      if (/(auto|scroll)/.test(style.overflowX + style.overflowY)) break;
      const box = parent.getBoundingClientRect();
      if (a.full.left < box.left - 1 || a.full.right > box.right + 1 || a.full.top < box.top - 1 || a.full.bottom > box.bottom + 1) {
        problems.push(`"${shown(a.text)}" is cut by its ${parent.tagName.toLowerCase()}.${(parent.getAttribute('class') || '').split(' ')[0]}`);
        break;
      }
    }
    if ((a.rect.right > root.clientWidth + 1 || a.rect.left < -1) && !scrolls(a.element)) problems.push(`"${shown(a.text)}" runs off the panel's edge`);
  }
  // Every token labelled: a matrix's labels against its size (up to 64 a side).
  for (const canvas of document.querySelectorAll('canvas.matrix-canvas')) {
    if (canvas.getClientRects().length === 0) continue;
    const svg = canvas.parentElement.querySelector('svg.matrix-axes');
    const rows = Number(canvas.dataset.rows);
    const cols = Number(canvas.dataset.cols);
    const rowLabels = svg.querySelectorAll('text.row-label').length;
    const colLabels = svg.querySelectorAll('text.col-label').length;
    if (rows <= 64 && rowLabels !== rows) problems.push(`${rowLabels} of ${rows} row labels`);
    if (cols <= 64 && colLabels !== cols) problems.push(`${colLabels} of ${cols} column labels`);
  }
  return [...new Set(problems)];
})();
