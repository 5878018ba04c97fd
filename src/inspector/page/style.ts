/** The inspector page's stylesheet (system fonts only: nothing is fetched). */
export const STYLE_CSS = `:root {
  color-scheme: light;
  --bg: #f6f7f9;
  --panel: #ffffff;
  --ink: #1d2330;
  --muted: #5d6675;
  --line: #d5dae2;
  --accent: #2b6cb0;
  --lit: #f6ad55;
  --lit-fill: #fff4e0;
  --ok: #2f855a;
  --bad: #c53030;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 14px;
  color: var(--ink);
  background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, .mono, td, .events { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }

.top {
  display: flex; align-items: center; gap: 24px; padding: 10px 18px;
  background: var(--ink); color: #fff; position: sticky; top: 0; z-index: 2;
}
.top h1 { font-size: 17px; margin: 0; font-weight: 600; }
.top h1 span { color: var(--lit); font-weight: 400; }
.counts { display: flex; gap: 18px; margin: 0; }
.counts div { display: flex; flex-direction: column-reverse; align-items: center; }
.counts dt { font-size: 11px; opacity: .75; }
.counts dd { margin: 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.status { margin: 0 0 0 auto; font-size: 12px; padding: 3px 10px; border-radius: 12px; background: #4a5568; }
.status[data-status="live"] { background: var(--ok); }
.status[data-status="reconnecting"] { background: var(--bad); }

main {
  display: grid; gap: 14px; padding: 14px 18px;
  grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
  grid-template-areas: "connections supervisor" "diagrams diagrams" "log actor";
}
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 0; }
.panel h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
#actor-events-name { text-transform: none; letter-spacing: 0; font-family: ui-monospace, Menlo, Consolas, monospace; color: var(--ink); }
.panel h3 { font-size: 12px; margin: 10px 0 4px; color: var(--muted); }
.connections { grid-area: connections; }
.supervisor { grid-area: supervisor; }
.diagrams { grid-area: diagrams; }
.log { grid-area: log; }
.actor-events { grid-area: actor; }
@media (max-width: 900px) {
  main { grid-template-columns: minmax(0, 1fr); grid-template-areas: "connections" "supervisor" "diagrams" "log" "actor"; }
}

.scroll { max-height: 320px; overflow: auto; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 11px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 4px 6px; position: sticky; top: 0; background: var(--panel); }
td { padding: 4px 6px; border-bottom: 1px solid #eef0f4; vertical-align: top; }
td.description { font-family: inherit; font-size: 12px; color: var(--muted); }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f0f4fa; }
tbody tr[aria-selected="true"] { background: var(--lit-fill); box-shadow: inset 3px 0 0 var(--lit); }
tbody tr.gone { opacity: .45; }
.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
.empty[hidden] { display: none; }
button { font: inherit; cursor: pointer; border: 1px solid var(--line); background: #fff; border-radius: 5px; padding: 3px 10px; color: var(--ink); }
button:hover { border-color: var(--accent); }
button:focus-visible, input:focus-visible, tr:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button.link { border: 0; padding: 0; background: none; color: var(--accent); font: inherit; text-transform: inherit; letter-spacing: inherit; }
button.link[aria-pressed="true"] { text-decoration: underline; text-decoration-color: var(--lit); text-decoration-thickness: 3px; }
button[aria-pressed="true"]#pause { background: var(--lit-fill); border-color: var(--lit); }
td button.link { font-family: inherit; font-size: 12px; }

.description { color: var(--muted); }
#rooms, #timers { list-style: none; padding: 0; margin: 0; }
#rooms li, #timers li { padding: 2px 0; font-size: 12px; }
#rooms li strong { font-family: ui-monospace, Menlo, Consolas, monospace; }
#rooms li .members { color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; }
#rooms:empty::after, #timers:empty::after { content: "none"; color: var(--muted); font-style: italic; font-size: 12px; }

.selected { margin: 0 0 6px; }
.diagrams figure { margin: 8px 0 0; }
.diagrams figcaption { font-size: 12px; color: var(--muted); margin-bottom: 2px; }
.diagram { overflow-x: auto; }
.diagram svg { display: block; max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
.diagram .state rect { fill: #fff; stroke: #8a94a6; stroke-width: 1.2; }
.diagram .state.root > rect { fill: #fafbfc; stroke: var(--line); stroke-dasharray: 4 3; }
.diagram .state.compound > rect { fill: #f7f9fc; }
.diagram .state.final > rect.inner { fill: none; }
.diagram .state.active > rect { stroke: var(--lit); stroke-width: 2.5; fill: var(--lit-fill); }
.diagram .state.active.compound > rect { fill: #fffaf0; }
.diagram .state text.name { font-size: 13px; font-weight: 600; fill: var(--ink); }
.diagram .state text.handles { font-size: 10px; fill: var(--muted); }
.diagram .edge path { fill: none; stroke: #7b8496; stroke-width: 1.2; }
.diagram .edge.after path { stroke-dasharray: 5 3; }
.diagram .edge.always path { stroke-dasharray: 2 3; }
.diagram .edge text { font-size: 10.5px; fill: #2d3748; }
.diagram .edge rect { fill: #fff; opacity: .9; }
.diagram .arrowhead { fill: #7b8496; }
.diagram .initial { fill: var(--ink); stroke: var(--ink); }
.diagram title { display: none; }

.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin-bottom: 6px; }
.filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--muted); gap: 2px; }
.filters input { font: inherit; font-size: 12px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; width: 150px; }
.note { font-size: 12px; color: var(--muted); margin: 0 0 6px; }
.note[hidden] { display: none; }
.events { list-style: none; margin: 0; padding: 0; max-height: 420px; overflow: auto; border-top: 1px solid var(--line); }
.events li { display: grid; grid-template-columns: 92px 82px minmax(0, 1fr); gap: 8px; padding: 2px 4px; border-bottom: 1px solid #f0f2f5; }
.events li .time { color: var(--muted); }
.events li .kind { font-weight: 600; }
.events li .text { overflow-wrap: anywhere; }
.events li .fields { color: var(--muted); }
.events li[data-type="snapshot"] .kind { color: #805ad5; }
.events li[data-type="event"] .kind { color: var(--accent); }
.events li[data-type="connect"] .kind { color: var(--ok); }
.events li[data-type="disconnect"] .kind { color: var(--bad); }
.events li[data-type="actor"] .kind { color: #b7791f; }
`;
