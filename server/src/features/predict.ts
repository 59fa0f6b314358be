/**
 * "Run Model on…" over LSP: a run's model on a volume, image or folder of them, with progress
 * notifications and cancellation between sliding windows. Every path is confined to the
 * workspace; outputs go to `<run>/predictions` unless the request names a folder.
 */
import * as path from 'node:path';
import type { CancellationToken } from 'vscode-languageserver/node';
import { PredictProgressNotification, PredictRequest } from '../protocol';
import { onRequest, sendNotification } from '../lsp/typed';
import { predictRun } from '../predict/predictRun';
import { requestPath } from './paths';
import type { ServerFeature } from './types';

export const predictFeature: ServerFeature = {
  name: 'predict',
  register(ctx) {
    const { connection } = ctx;
    onRequest(connection, PredictRequest, async (p, token: CancellationToken) => {
      const runDir = requestPath(ctx, p.runDir, 'runDir', 'read');
      const input = requestPath(ctx, p.input, 'input', 'read');
      const outDir = requestPath(ctx, p.outDir ?? path.join(runDir, 'predictions'), 'outDir', 'write');
      await ctx.engine();
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      let last = 0;
      try {
        return await predictRun(runDir, input, {
          outDir,
          mirror: p.mirror,
          signal: ac.signal,
          log: (l) => ctx.log(`predict: ${l}`),
          onProgress: (q) => {
            const now = Date.now();
            // A 512x512x300 volume has thousands of windows: a few updates a second are enough.
            if (!p.streamId || (now - last < 250 && q.done !== q.total)) return;
            last = now;
            sendNotification(connection, PredictProgressNotification, { streamId: p.streamId, ...q });
          },
        });
      } finally {
        sub.dispose();
      }
    });
  },
};
