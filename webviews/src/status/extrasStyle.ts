/** Styles of the sweep table and compare view (theme variables only). */
export const EXTRAS_STYLE = `
.extras { border-top: 1px solid var(--vscode-panel-border, #444); margin-top: 8px; padding: 4px; }
.extras h3 { font-size: 1em; margin: 8px 0 4px; }
.extras h4 { font-size: 0.95em; margin: 8px 0 2px; }
table.grid { border-collapse: collapse; margin: 4px 0; }
table.grid td, table.grid th { border: 1px solid var(--vscode-panel-border, #555); padding: 2px 6px; text-align: right; }
table.grid .l { text-align: left; }
table.grid th.sortable { cursor: pointer; }
table.grid th.sorted { text-decoration: underline; }
table.grid th.sortable:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
table.grid tr.best { font-weight: bold; background: var(--vscode-list-inactiveSelectionBackground, #37373d); }
.picks { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.legend span { margin-right: 10px; }
button[disabled] { opacity: 0.5; cursor: default; }
.s-pending, .s-queued, .s-not-started { background: var(--vscode-badge-background, #4d4d4d); }
`;
