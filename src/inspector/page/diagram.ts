/**
 * Browser code (plain JavaScript, part of `/_inspect/app.js`): lays a machine graph out and draws
 * it as SVG. Layout: every compound state places its children in layers, left to right, by the
 * longest path from its initial state along the transitions between them (back edges ignored);
 * nested states are drawn inside their parent. Edges are quadratic curves labelled with their
 * event, bent apart when several join the same pair and around states in their way. Each state
 * is a `g[data-state-path]`; `lightStates` gives the active ones the class `active`.
 *
 * Kept free of backticks and dollar-brace so it can live in a template string as is.
 */
export const DIAGRAM_JS = String.raw`
// ---- diagram ---------------------------------------------------------------------------
const SVG_NS = "http://www.w3.org/2000/svg";
const NAME_CHAR = 7.8;
const LABEL_CHAR = 6.2;
const HANDLE_CHAR = 5.8;
const HANDLE_LINE = 13;
const PAD_X = 16;
const PAD_TOP = 30;
const PAD_BOTTOM = 14;
const INITIAL_SPACE = 24;
const ROW_GAP = 34;
const PAIR_SPREAD = 40;
const ROOT_MARGIN = 56;

function svgNode(tag, attributes, children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const key of Object.keys(attributes || {})) node.setAttribute(key, String(attributes[key]));
  for (const child of children || []) {
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function stateName(state) {
  if (state.path === "") return state.id;
  const parts = state.path.split(".");
  return parts[parts.length - 1];
}

function edgeLabel(edge) {
  return edge.guard ? edge.event + " [" + edge.guard + "]" : edge.event;
}

/** "on: a, b, c" wrapped at about width characters. */
function wrapHandles(items, width) {
  const lines = [];
  let line = "on:";
  items.forEach((item, index) => {
    const piece = item + (index < items.length - 1 ? "," : "");
    if (line.length + 1 + piece.length > width && line.trim() !== "on:") {
      lines.push(line);
      line = "    " + piece;
    } else {
      line = line + " " + piece;
    }
  });
  if (items.length > 0) lines.push(line);
  return lines;
}

/** The child of parentPath that is path or one of its ancestors, or null. */
function childOf(parentPath, path) {
  if (parentPath === "") return path === "" ? null : path.split(".")[0];
  if (!path.startsWith(parentPath + ".")) return null;
  return parentPath + "." + path.slice(parentPath.length + 1).split(".")[0];
}

function isWithin(path, ancestor) {
  return ancestor === "" || path === ancestor || path.startsWith(ancestor + ".");
}

/** Layer per child: longest path from the initial child over forward (non-back) edges. */
function layerNodes(ids, successors, initialId) {
  const order = [];
  const onStack = new Set();
  const seen = new Set();
  const forward = new Map(ids.map((id) => [id, []]));
  const visit = (id) => {
    seen.add(id);
    onStack.add(id);
    for (const next of successors.get(id)) {
      if (onStack.has(next)) continue;
      if (forward.get(id).indexOf(next) < 0) forward.get(id).push(next);
      if (!seen.has(next)) visit(next);
    }
    onStack.delete(id);
    order.push(id);
  };
  for (const id of initialId ? [initialId].concat(ids) : ids) if (!seen.has(id)) visit(id);
  order.reverse();
  const layer = new Map(ids.map((id) => [id, 0]));
  for (const id of order) {
    for (const next of forward.get(id)) {
      layer.set(next, Math.max(layer.get(next), layer.get(id) + 1));
    }
  }
  return layer;
}

function measure(node, edges) {
  const name = stateName(node.state);
  node.lines = wrapHandles(node.handles, node.children.length > 0 ? 70 : 34);
  const handlesWidth = node.lines.reduce((widest, line) => Math.max(widest, line.length * HANDLE_CHAR), 0);
  const handlesHeight = node.lines.length > 0 ? node.lines.length * HANDLE_LINE + 4 : 0;
  if (node.children.length === 0) {
    node.w = Math.max(104, name.length * NAME_CHAR + 28, handlesWidth + 20);
    node.h = 34 + handlesHeight;
    return;
  }
  for (const child of node.children) measure(child, edges);
  const path = node.state.path;
  const ids = node.children.map((child) => child.state.path);
  const successors = new Map(ids.map((id) => [id, []]));
  let widestLabel = 0;
  for (const edge of edges) {
    const from = childOf(path, edge.source);
    const to = childOf(path, edge.target);
    if (from === null || to === null || from === to) continue;
    if (!successors.has(from) || !successors.has(to)) continue;
    successors.get(from).push(to);
    widestLabel = Math.max(widestLabel, edgeLabel(edge).length);
  }
  const initial = node.children.find((child) => child.state.initial);
  const layer = layerNodes(ids, successors, initial ? initial.state.path : null);
  const columns = [];
  for (const child of node.children) {
    const index = layer.get(child.state.path);
    while (columns.length <= index) columns.push([]);
    columns[index].push(child);
  }
  const gap = Math.min(270, Math.max(90, widestLabel * LABEL_CHAR + 36));
  const margin = path === "" ? ROOT_MARGIN : 0;
  let x = PAD_X + INITIAL_SPACE;
  let contentHeight = 0;
  const columnHeights = columns.map((column) =>
    column.reduce((sum, child) => sum + child.h, 0) + ROW_GAP * (column.length - 1),
  );
  for (const height of columnHeights) contentHeight = Math.max(contentHeight, height);
  columns.forEach((column, index) => {
    const width = column.reduce((widest, child) => Math.max(widest, child.w), 0);
    let y = PAD_TOP + margin + (contentHeight - columnHeights[index]) / 2;
    for (const child of column) {
      child.rx = x + (width - child.w) / 2;
      child.ry = y;
      y += child.h + ROW_GAP;
    }
    x += width + (index < columns.length - 1 ? gap : 0);
  });
  node.w = Math.max(x + PAD_X, name.length * NAME_CHAR + 28, handlesWidth + 2 * PAD_X);
  node.h = PAD_TOP + margin + contentHeight + margin + PAD_BOTTOM + handlesHeight;
}

function place(node, x, y) {
  node.x = x;
  node.y = y;
  for (const child of node.children) place(child, x + child.rx, y + child.ry);
}

/** Positions every state of a machine graph; the root at 0,0. */
function layoutGraph(graph) {
  const byPath = new Map();
  for (const state of graph.states) {
    byPath.set(state.path, { state, children: [], handles: [], x: 0, y: 0, w: 0, h: 0, rx: 0, ry: 0 });
  }
  for (const state of graph.states) {
    if (state.parent !== null && byPath.has(state.parent)) {
      byPath.get(state.parent).children.push(byPath.get(state.path));
    }
  }
  for (const edge of graph.transitions) {
    if (edge.target !== null) continue;
    const node = byPath.get(edge.source);
    if (node && node.handles.indexOf(edge.event) < 0) node.handles.push(edge.event);
  }
  const edges = graph.transitions.filter(
    (edge) => edge.target !== null && byPath.has(edge.source) && byPath.has(edge.target),
  );
  const root = byPath.get("");
  measure(root, edges);
  place(root, 0, 0);
  return { root, byPath, edges };
}

function centerOf(node) {
  return { x: node.x + node.w / 2, y: node.y + node.h / 2 };
}

/**
 * Where the ray from the node's center towards point leaves the node's box; towards fallback
 * (the other end's center) when point lies inside the box.
 */
function exitPoint(node, toward, fallback) {
  const center = centerOf(node);
  const inside = Math.abs(toward.x - center.x) <= node.w / 2 && Math.abs(toward.y - center.y) <= node.h / 2;
  const aim = inside ? fallback : toward;
  const dx = aim.x - center.x;
  const dy = aim.y - center.y;
  const tx = dx === 0 ? Infinity : node.w / 2 / Math.abs(dx);
  const ty = dy === 0 ? Infinity : node.h / 2 / Math.abs(dy);
  const t = Math.min(tx, ty, 1);
  return { x: center.x + dx * t, y: center.y + dy * t };
}

/** Whether segment a-b crosses the box (Liang-Barsky), grown by pad. */
function crosses(a, b, node, pad) {
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const checks = [
    [-dx, a.x - (node.x - pad)],
    [dx, node.x + node.w + pad - a.x],
    [-dy, a.y - (node.y - pad)],
    [dy, node.y + node.h + pad - a.y],
  ];
  for (const [p, q] of checks) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return false;
  }
  return true;
}

function drawState(node, name, into) {
  const state = node.state;
  const classes = ["state", state.path === "" ? "root" : state.type];
  if (state.final) classes.push("final");
  if (node.children.length > 0) classes.push("compound");
  const title = (state.path || state.id) + (state.description ? ": " + state.description : "");
  const group = svgNode("g", {
    class: classes.join(" "),
    "data-state-path": state.path,
    "data-state-id": state.id,
  }, [svgNode("title", {}, [title])]);
  group.appendChild(svgNode("rect", { x: node.x, y: node.y, width: node.w, height: node.h, rx: 9 }));
  if (state.final) {
    group.appendChild(svgNode("rect", {
      class: "inner", x: node.x + 4, y: node.y + 4, width: node.w - 8, height: node.h - 8, rx: 6,
    }));
  }
  const leaf = node.children.length === 0;
  group.appendChild(svgNode("text", {
    class: "name",
    x: leaf ? node.x + node.w / 2 : node.x + 12,
    y: node.y + 21,
    "text-anchor": leaf ? "middle" : "start",
  }, [stateName(state)]));
  node.lines.forEach((line, index) => {
    const y = node.y + node.h - 10 - (node.lines.length - 1 - index) * HANDLE_LINE;
    group.appendChild(svgNode("text", { class: "handles", x: node.x + 10, y }, [line]));
  });
  if (state.initial && state.parent !== null) {
    const y = node.y + Math.min(node.h / 2, 17);
    group.appendChild(svgNode("circle", { class: "initial", cx: node.x - 17, cy: y, r: 4 }));
    group.appendChild(svgNode("path", {
      class: "initial",
      d: "M" + (node.x - 13) + "," + y + " L" + (node.x - 2) + "," + y,
      "marker-end": "url(#arrow-" + name + ")",
    }));
  }
  into.appendChild(group);
  for (const child of node.children) drawState(child, name, into);
}

/** Draws a graph into container as svg[data-machine=name]. */
function drawGraph(container, name, graph) {
  const layout = layoutGraph(graph);
  const bounds = { minX: 0, minY: 0, maxX: layout.root.w, maxY: layout.root.h };
  const grow = (x, y) => {
    bounds.minX = Math.min(bounds.minX, x);
    bounds.minY = Math.min(bounds.minY, y);
    bounds.maxX = Math.max(bounds.maxX, x);
    bounds.maxY = Math.max(bounds.maxY, y);
  };
  const names = graph.states.filter((state) => state.path !== "").map((state) => state.path);
  const root = svgNode("svg", {
    "data-machine": name,
    role: "img",
    "aria-label": name + " state machine: " + names.join(", "),
  });
  root.appendChild(svgNode("defs", {}, [
    svgNode("marker", {
      id: "arrow-" + name, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse",
    }, [svgNode("path", { class: "arrowhead", d: "M0,0 L10,5 L0,10 z" })]),
  ]));
  const states = svgNode("g", { class: "states" });
  drawState(layout.root, name, states);
  root.appendChild(states);

  const edgeLayer = svgNode("g", { class: "edges" });
  const groups = new Map();
  for (const edge of layout.edges) {
    const key = [edge.source, edge.target].sort().join("|");
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(edge);
  }
  const nodes = Array.from(layout.byPath.values()).filter((node) => node.state.path !== "");
  let detours = 0;
  for (const group of groups.values()) {
    group.forEach((edge, index) => {
      const source = layout.byPath.get(edge.source);
      const target = layout.byPath.get(edge.target);
      let d;
      let label;
      if (source === target || isWithin(edge.target, edge.source) || isWithin(edge.source, edge.target)) {
        const x = source.x + source.w;
        const y = source.y + 10;
        d = "M" + x + "," + y + " C" + (x + 46) + "," + (y - 28) + " " + (x + 46) + "," + (y + 38) + " " + x + "," + (y + 22);
        label = { x: x + 40 + (edgeLabel(edge).length * LABEL_CHAR) / 2, y: y + 6 };
        grow(x + 46, y - 28);
      } else {
        const a = centerOf(source);
        const b = centerOf(target);
        const forward = edge.source < edge.target;
        const p = forward ? a : b;
        const q = forward ? b : a;
        const length = Math.hypot(q.x - p.x, q.y - p.y) || 1;
        const nx = -(q.y - p.y) / length;
        const ny = (q.x - p.x) / length;
        let bend = (index - (group.length - 1) / 2) * PAIR_SPREAD;
        const blockers = nodes.filter((node) =>
          node !== source && node !== target &&
          !isWithin(edge.source, node.state.path) && !isWithin(edge.target, node.state.path) &&
          !isWithin(node.state.path, edge.source) && !isWithin(node.state.path, edge.target) &&
          crosses(a, b, node, 6),
        );
        if (blockers.length > 0) {
          const half = blockers.reduce((tallest, node) => Math.max(tallest, node.h / 2), 0);
          const side = detours % 2 === 0 ? -1 : 1;
          detours += 1;
          // A horizontal chord has the normal pointing down: -1 takes the curve above.
          bend += side * Math.sign(ny || 1) * 2 * (half + 26);
        }
        let control = { x: (a.x + b.x) / 2 + nx * bend, y: (a.y + b.y) / 2 + ny * bend };
        const start = exitPoint(source, control, b);
        const end = exitPoint(target, control, a);
        // A straight edge: its label sits halfway between the boxes, not between the centers.
        if (bend === 0) control = { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 };
        d = "M" + start.x + "," + start.y + " Q" + control.x + "," + control.y + " " + end.x + "," + end.y;
        label = {
          x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x,
          y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y,
        };
      }
      const text = edgeLabel(edge);
      const width = text.length * LABEL_CHAR + 8;
      grow(label.x - width / 2, label.y - 9);
      grow(label.x + width / 2, label.y + 9);
      edgeLayer.appendChild(svgNode("g", {
        class: "edge " + edge.kind,
        "data-source": edge.source,
        "data-target": edge.target,
        "data-event": edge.event,
      }, [
        svgNode("path", { d, "marker-end": "url(#arrow-" + name + ")" }),
        svgNode("rect", { x: label.x - width / 2, y: label.y - 8, width, height: 15, rx: 3 }),
        svgNode("text", { x: label.x, y: label.y + 3.5, "text-anchor": "middle" }, [text]),
      ]));
    });
  }
  root.appendChild(edgeLayer);
  const pad = 12;
  const width = bounds.maxX - bounds.minX + 2 * pad;
  const height = bounds.maxY - bounds.minY + 2 * pad;
  root.setAttribute("viewBox", [bounds.minX - pad, bounds.minY - pad, width, height].join(" "));
  root.setAttribute("width", String(Math.ceil(width)));
  root.setAttribute("height", String(Math.ceil(height)));
  container.replaceChildren(root);
}

/** Lights the states of a dotted value (and their ancestors) in svg[data-machine=name]. */
function lightStates(name, dotted) {
  const root = document.querySelector("svg[data-machine=\"" + name + "\"]");
  if (!root) return;
  for (const group of root.querySelectorAll("g[data-state-path]")) {
    const path = group.getAttribute("data-state-path");
    const on = path !== "" && !!dotted && (dotted === path || dotted.startsWith(path + "."));
    group.classList.toggle("active", on);
    if (on) group.setAttribute("aria-current", "true");
    else group.removeAttribute("aria-current");
  }
}
`;
