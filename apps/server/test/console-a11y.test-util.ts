/**
 * An accessibility check run inside the browser on the page as it is now (the console tests call
 * it on every page they visit). It reports, as strings:
 * - form controls (input, select, textarea) without a label (a <label>, aria-label or aria-labelledby);
 * - buttons and links without an accessible name;
 * - visible text whose contrast against its effective background is below WCAG 2 AA (4.5:1, or 3:1
 *   for large text: 24 px, or 18.66 px bold), computed from the computed colours with WCAG's
 *   relative luminance formula. Disabled controls are exempt, as WCAG exempts inactive components.
 * The script is a string: the server's tsconfig has no DOM types, and this runs in the page only.
 */
import type { Page } from 'playwright-core';

const SCRIPT = `(() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('unlabelled ' + el.tagName.toLowerCase() + ' ' + (el.name || el.outerHTML.slice(0, 80)));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push('nameless ' + el.tagName.toLowerCase() + ' ' + el.outerHTML.slice(0, 80));
  }
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (text === '' || el === null || seen.has(el)) continue;
    seen.add(el);
    if (el.getClientRects().length === 0 || el.closest('.visually-hidden')) continue;
    if (el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, option')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const fg = parse(style.color);
    if (fg === null) continue;
    const bg = background(el);
    // A translucent text colour is blended over its background first.
    const blended = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
    const [hi, lo] = [luminance(blended), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ':1 for "' + text.slice(0, 40) + '" (' + style.color + ' on ' + getComputedStyle(el).backgroundColor + ')');
  }
  return problems;
})()`;

export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(SCRIPT) as Promise<string[]>;
}
