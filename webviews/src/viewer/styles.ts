/** The viewer's CSS: VS Code theme variables only, so it follows light, dark and high contrast. */
export const VIEWER_CSS = `
#viewer { display: contents; }
#app { display: flex; flex-direction: column; height: 100vh; }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 6px;
  border-bottom: 1px solid var(--vscode-panel-border, #444); background: var(--vscode-editorWidget-background, #252526); }
.toolbar label { display: inline-flex; gap: 3px; align-items: center; }
.toolbar select, .toolbar input[type=number], .side select { background: var(--vscode-dropdown-background, #3c3c3c);
  color: var(--vscode-dropdown-foreground, #ccc); border: 1px solid var(--vscode-dropdown-border, #555); }
.toolbar input[type=number] { width: 70px; }
button { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #fff);
  border: 1px solid var(--vscode-button-border, transparent); padding: 2px 8px; cursor: pointer; }
button.primary { background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); }
button:focus, select:focus, input:focus, canvas:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: -1px; }
.main { flex: 1; display: flex; min-height: 0; }
.views { flex: 1; display: grid; gap: 2px; min-width: 0; background: var(--vscode-panel-border, #333); }
.views.single { grid-template: 1fr / 1fr; }
.views.grid { grid-template: 1fr 1fr / 1fr 1fr; }
.view { position: relative; background: #000; min-height: 0; min-width: 0; display: flex; flex-direction: column; }
.view.hidden { display: none; }
.view canvas { flex: 1; width: 100%; min-height: 0; display: block; cursor: crosshair; }
.view.active { box-shadow: inset 0 0 0 1px var(--vscode-focusBorder, #007fd4); }
.view .name { position: absolute; left: 6px; top: 4px; color: var(--vscode-descriptionForeground, #aaa); font-size: 11px; pointer-events: none; text-shadow: 0 0 2px #000; }
.view .oblique { position: absolute; left: 6px; top: 20px; color: #000; background: var(--vscode-editorWarning-foreground, #fc6); font-size: 11px; padding: 0 4px; border-radius: 2px; pointer-events: none; }
.view .oblique.hidden { display: none; }
.view .orient { position: absolute; color: var(--vscode-editorWarning-foreground, #fc6); font-weight: bold; pointer-events: none;
  text-shadow: 0 0 2px #000, 0 0 4px #000; /* readable over bright tissue */ }
.view .orient.left { left: 4px; top: 50%; transform: translateY(-50%); } .view .orient.right { right: 4px; top: 50%; transform: translateY(-50%); }
.view .orient.top { top: 4px; left: 50%; transform: translateX(-50%); } .view .orient.bottom { bottom: 30px; left: 50%; transform: translateX(-50%); }
.view .footer { display: flex; gap: 6px; align-items: center; padding: 2px 6px; background: var(--vscode-editorWidget-background, #252526); }
.view .footer input[type=range] { flex: 1; }
.view .footer span { min-width: 64px; text-align: right; font-variant-numeric: tabular-nums; }
.view.help { background: var(--vscode-editor-background, #1e1e1e); padding: 8px 12px; overflow: auto; font-size: 12px; }
.view.help h3 { margin: 0 0 6px; font-size: 12px; text-transform: uppercase; color: var(--vscode-descriptionForeground, #aaa); }
.view.help kbd { font-family: var(--vscode-editor-font-family, monospace); color: var(--vscode-textPreformat-foreground, #d7ba7d); }
.view.help.hidden { display: none; }
.side { width: 280px; overflow: auto; padding: 6px; border-left: 1px solid var(--vscode-panel-border, #444);
  background: var(--vscode-sideBar-background, #252526); }
.side h3 { margin: 8px 0 4px; font-size: 12px; text-transform: uppercase; color: var(--vscode-descriptionForeground, #aaa); }
.side table { border-collapse: collapse; width: 100%; font-size: 12px; }
.side td { padding: 1px 4px; vertical-align: top; word-break: break-all; }
.side td:first-child { color: var(--vscode-descriptionForeground, #aaa); white-space: nowrap; word-break: normal; }
.side .row { display: flex; gap: 4px; align-items: center; margin: 2px 0; }
.side .row input[type=range] { flex: 1; }
.status { padding: 2px 6px; border-top: 1px solid var(--vscode-panel-border, #444); font-variant-numeric: tabular-nums;
  background: var(--vscode-statusBar-background, #007acc); color: var(--vscode-statusBar-foreground, #fff); white-space: nowrap; overflow: hidden; }
.message { margin: auto; max-width: 600px; padding: 16px; border: 1px solid var(--vscode-inputValidation-errorBorder, #be1100);
  background: var(--vscode-inputValidation-errorBackground, #5a1d1d); }
.loading { margin: auto; color: var(--vscode-descriptionForeground, #aaa); }
`;
