/** The annotator's CSS: VS Code theme variables, with fallbacks for the test page. */
export const ANNOTATOR_CSS = `
.root { display: flex; flex-direction: column; height: 100vh; }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 6px 8px;
  border-bottom: 1px solid var(--vscode-panel-border, #444); }
.toolbar .file { font-weight: 600; margin-right: 8px; }
.toolbar .cats { display: flex; gap: 4px; }
button, select { font: inherit; color: var(--vscode-button-secondaryForeground, #eee);
  background: var(--vscode-button-secondaryBackground, #3a3d41); border: 1px solid transparent;
  border-radius: 2px; padding: 2px 8px; cursor: pointer; }
button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
button:focus-visible, select:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
button.active { color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); }
button:disabled { opacity: 0.5; cursor: default; }
.swatch { display: inline-block; width: 9px; height: 9px; margin-right: 4px; border-radius: 2px; }
.main { flex: 1; display: flex; min-height: 0; }
.list { width: 300px; overflow: auto; border-right: 1px solid var(--vscode-panel-border, #444); }
table.images { width: 100%; border-collapse: collapse; }
table.images th { text-align: left; position: sticky; top: 0; background: var(--vscode-editor-background, #1e1e1e);
  font-weight: 600; padding: 3px 6px; }
table.images td { padding: 2px 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 120px; cursor: pointer; }
table.images tr.current td { background: var(--vscode-list-activeSelectionBackground, #094771);
  color: var(--vscode-list-activeSelectionForeground, #fff); }
table.images tr:hover td { background: var(--vscode-list-hoverBackground, #2a2d2e); }
.stage { flex: 1; position: relative; min-width: 0; }
.stage canvas:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: -1px; }
.stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: crosshair; touch-action: none; }
.queue { padding: 6px 8px; display: flex; gap: 8px; align-items: center;
  border-top: 1px solid var(--vscode-panel-border, #444); background: var(--vscode-editorWidget-background, #252526); }
.status { padding: 3px 8px; display: flex; justify-content: space-between; gap: 12px;
  border-top: 1px solid var(--vscode-panel-border, #444); color: var(--vscode-descriptionForeground, #aaa); }
.status .msg.warning { color: var(--vscode-editorWarning-foreground, #cca700); }
.status .msg.error { color: var(--vscode-errorForeground, #f48771); }
.error { margin: 24px; padding: 12px; white-space: pre-wrap;
  border: 1px solid var(--vscode-inputValidation-errorBorder, #be1100);
  background: var(--vscode-inputValidation-errorBackground, #5a1d1d); }
[hidden] { display: none !important; }
.volume .views { flex: 1; display: grid; grid-template-columns: repeat(3, 1fr); gap: 2px; min-height: 0; }
.volume .pane { position: relative; min-width: 0; background: #000; }
.volume .pane .label { position: absolute; left: 6px; top: 4px; z-index: 1; color: #ddd; font-size: 11px; pointer-events: none; }
.volume .pane canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: crosshair; touch-action: none; }
`;
