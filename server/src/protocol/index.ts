/**
 * MedStudio's one protocol module: every message between the extension host, the compute
 * server (LSP custom requests/notifications) and the webviews (postMessage) is declared here,
 * one file per area. Import from this index only.
 */
export * from './defs';
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
