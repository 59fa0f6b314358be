/** DOM helpers for the viewer: `el` (text as text, no innerHTML) from common/dom, and `option`. */
import { el } from '../common/dom';

export { el };

export function option(value: string, label = value, selected = false): HTMLOptionElement {
  const o = el('option', { value }, label);
  o.selected = selected;
  return o;
}
