/** Panel styles: VS Code theme variables only, so it follows light, dark and high-contrast themes. */
export const STYLE = `
body { overflow: auto; }
.layout { display: flex; gap: 12px; height: 100%; }
.runs { list-style: none; margin: 0; padding: 4px; width: 240px; min-width: 180px; overflow: auto; border-right: 1px solid var(--vscode-panel-border, #444); }
.run { padding: 4px 6px; cursor: pointer; border-radius: 3px; }
.run.sel { background: var(--vscode-list-activeSelectionBackground, #094771); color: var(--vscode-list-activeSelectionForeground, #fff); }
.runs:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
.detail { flex: 1; overflow: auto; padding: 4px; }
.detail header { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.detail h2 { font-size: 1.1em; margin: 0; }
.muted { color: var(--vscode-descriptionForeground, #999); }
.error { color: var(--vscode-errorForeground, #f48771); }
.state { font-size: 0.85em; padding: 0 4px; border-radius: 3px; background: var(--vscode-badge-background, #4d4d4d); color: var(--vscode-badge-foreground, #fff); }
.s-running { background: var(--vscode-charts-blue, #3794ff); }
.s-finished { background: var(--vscode-charts-green, #89d185); color: #000; }
.s-failed { background: var(--vscode-charts-red, #f14c4c); }
.s-interrupted, .s-cancelled, .s-paused { background: var(--vscode-charts-orange, #d18616); }
.stats { display: flex; gap: 14px; flex-wrap: wrap; margin: 6px 0; }
.buttons button { margin-right: 6px; background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); border: none; padding: 3px 10px; cursor: pointer; }
.buttons button:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
.charts { display: flex; flex-wrap: wrap; gap: 10px; }
.chart text { fill: var(--vscode-foreground, #ccc); font-size: 10px; }
.chart .t { font-weight: bold; }
.chart .axis { stroke: var(--vscode-panel-border, #666); }
.chart .bar { fill: var(--vscode-charts-blue, #3794ff); }
.chart .bar.rare { fill: var(--vscode-charts-orange, #d18616); }
.live-chart { margin: 0; padding: 4px; }
.live-chart .chart-title { font-weight: bold; font-size: 11px; margin: 0 0 2px 4px; }
.live-chart .u-legend { font-size: 11px; color: var(--vscode-foreground, #ccc); }
.live-chart .u-legend .u-series > * { padding: 1px 4px; }
.chart .cellv { fill: var(--vscode-editor-foreground, #fff); font-size: 9px; }
`;
