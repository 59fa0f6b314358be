/**
 * MedStudio's one protocol module: every message between the extension host, the compute
 * server (LSP custom requests/notifications) and the webviews (postMessage) is declared here,
 * one file per area. Import from this index; the receiving ends also import `./validate` (the
 * runtime checks), kept out of the index so that the webview bundles stay small.
 */
export * from './defs';
export * from './limits';
export * from './compute';
export * from './webviewChannel';
export * from './explain';
export * from './boxes';
export * from './jobs';
export * from './viewer';
export * from './annotator';
export * from './status';
export * from './glmae';
export * from './sweeps';
export * from './runs';
export * from './predict';
