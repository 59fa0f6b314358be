/**
 * Open viewer sessions: which one is active (for "Explain This Image"), and what the
 * integration tests read through the extension's activate() API.
 */
import type * as vscode from 'vscode';

export interface SessionInfo {
  uri: string;
  /** ms from webview start to the first slice on screen, once rendered. */
  firstSliceMs?: number;
  error?: string;
}

export interface SessionLike {
  readonly uri: vscode.Uri;
  readonly info: SessionInfo;
  isActive(): boolean;
  onRendered(fn: () => void): void;
  webviewStatus(): Promise<{ loaded: boolean; overlays: string[] }>;
}

const sessions = new Set<SessionLike>();

export function addSession(s: SessionLike): { dispose(): void } {
  sessions.add(s);
  return { dispose: () => void sessions.delete(s) };
}

export function activeSession(): SessionLike | undefined {
  return [...sessions].find((s) => s.isActive()) ?? (sessions.size === 1 ? [...sessions][0] : undefined);
}

export function sessionFor(uri: string): SessionLike | undefined {
  return [...sessions].find((s) => s.uri.toString() === uri);
}

/** Exposed as `viewer` on the extension API (tests). */
export const viewerApi = {
  sessions: (): SessionInfo[] => [...sessions].map((s) => ({ ...s.info })),
  /** The overlays (heatmaps, label maps) a viewer of `uri` shows now, as its webview reports them. */
  async overlays(uri: string): Promise<string[]> {
    const s = sessionFor(uri);
    if (!s) throw new Error(`no viewer of ${uri} is open`);
    return (await s.webviewStatus()).overlays;
  },
  /** Resolves when a viewer of `uri` has drawn its first slice; rejects on its error or timeout. */
  whenRendered(uri: string, timeoutMs = 60_000): Promise<SessionInfo> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        const s = [...sessions].find((x) => x.uri.toString() === uri);
        if (s?.info.firstSliceMs !== undefined) return resolve({ ...s.info });
        if (s?.info.error) return reject(new Error(s.info.error));
        if (Date.now() - t0 > timeoutMs) return reject(new Error(`no viewer rendered ${uri} within ${timeoutMs} ms`));
        setTimeout(poll, 50);
      };
      poll();
    });
  },
};
