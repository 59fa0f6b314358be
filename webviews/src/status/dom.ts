/** The panel's DOM builders are the webviews' shared ones (text as text nodes, styles via the CSSOM). */
export { el, svg } from '../common/dom';

export const f3 = (v: number | undefined): string => (v === undefined ? '–' : v.toFixed(3));
