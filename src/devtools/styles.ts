/** The inspector's own styles, inside its shadow root: nothing of the page's reaches it, nor of its the page. */
export const STYLES = `
:host { all: initial; display: block; height: 100%; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #1d232a; }
.panel { display: grid; grid-template-rows: auto auto 1fr; height: 100%; min-height: 420px; border: 1px solid #c9d1d9; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; padding: 6px 8px; border-bottom: 1px solid #d8dee4; background: #f6f8fa; }
header h2 { font-size: 13px; margin: 0; }
header .travel { color: #8a4600; font-weight: bold; }
.status { display: flex; flex-wrap: wrap; gap: 4px 12px; }
.status .error { color: #b42318; }
.filters { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 8px; border-bottom: 1px solid #d8dee4; }
.filters input { font: inherit; padding: 2px 4px; width: 9em; }
button, select { font: inherit; }
.body { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); min-height: 0; overflow: hidden; }
.list { overflow-y: auto; position: relative; min-height: 0; outline-offset: -2px; }
.spacer { position: relative; }
.rows { position: absolute; left: 0; right: 0; top: 0; }
.row { display: grid; grid-template-columns: 5em 8.5em 7em 13em 8em 9em 1fr; gap: 6px; height: 24px; line-height: 24px; padding: 0 6px; white-space: nowrap; overflow: hidden; cursor: pointer; border-bottom: 1px solid #f0f2f4; }
.row > span { overflow: hidden; text-overflow: ellipsis; }
.row[aria-selected='true'] { background: #dbeafe; }
.row.pending .state { color: #8a4600; }
.row.undone { text-decoration: line-through; color: #6e7781; }
.row.redone .state { color: #1a7f37; }
.row.loading { color: #8c959f; }
.side { overflow-y: auto; border-left: 1px solid #d8dee4; min-height: 0; }
.detail, .summary { padding: 6px 8px; }
.detail h2 { font-size: 13px; margin: 4px 0; }
.detail h3, .summary h3 { font-size: 12px; margin: 8px 0 2px; color: #57606a; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 0; }
dt { color: #57606a; } dd { margin: 0; word-break: break-all; }
pre.json { margin: 0; padding: 4px; background: #f6f8fa; max-height: 16em; overflow: auto; white-space: pre-wrap; }
.actions { display: flex; gap: 6px; margin: 8px 0; }
ul.changes { margin: 0; padding-left: 1.2em; }
.changes .added { color: #1a7f37; } .changes .removed { color: #b42318; } .changes .changed { color: #8a4600; }
.summary { border-top: 1px solid #d8dee4; }
.hint { color: #6e7781; }
:focus-visible { outline: 2px solid #0969da; }
`;
