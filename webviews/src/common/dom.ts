/**
 * DOM builders for webviews: elements with attributes and children, text always as text nodes
 * (never parsed as HTML), so data from files (job states, class names, errors) cannot inject
 * markup. Also the stylesheet helper that carries the page's CSP nonce.
 */
export type Attrs = Record<string, string | number | boolean | undefined>;
/** Children: strings become text nodes; null, undefined and false are skipped. */
export type Child = Node | string | null | undefined | false;

const present = (children: Child[]): (Node | string)[] => children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false);

function setAttrs(e: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === undefined) continue;
    if (k === 'text') e.textContent = String(v);
    // Through the CSSOM: the CSP has no 'unsafe-inline', which blocks style attributes set as markup.
    else if (k === 'style') (e as HTMLElement | SVGElement).style.cssText = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element; string children become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  e.append(...present(children));
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; string children become text nodes. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  setAttrs(e, attrs);
  e.append(...present(children));
  return e;
}

/**
 * Adds a stylesheet that the page's CSP admits: style-src allows only the page's nonce (no
 * 'unsafe-inline'), so the <style> carries the nonce of the script that loaded this bundle.
 */
export function addStyle(css: string): void {
  const s = document.createElement('style');
  const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
  if (nonce) s.nonce = nonce;
  s.textContent = css;
  document.head.append(s);
}
