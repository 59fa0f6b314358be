import { ComputeStatusRequest } from '../protocol';
import { onRequest } from '../lsp/typed';
import type { ServerFeature } from './types';

/** Answers "which backend, and why not a better one" (status bar and Show Compute Status). */
export const computeFeature: ServerFeature = {
  name: 'compute',
  register(ctx) {
    onRequest(ctx.connection, ComputeStatusRequest, () => ctx.engine());
  },
};
