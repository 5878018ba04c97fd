import { DIAGRAM_JS } from "./diagram.js";
import { LOG_JS } from "./log.js";

/**
 * Browser code (plain JavaScript): the page's model and wiring. It loads the machine graphs and
 * `broker.inspect()` once, then follows the `/_inspect/feed` event stream: snapshot records
 * move connection states and the lit diagram states at once, connect/disconnect records add and
 * retire table rows, and supervisor events that change rooms or timers refetch the snapshot
 * (throttled). The page's own `?token=` is passed on to every fetch and to the EventSource.
 *
 * Kept free of backticks and dollar-brace so it can live in a template string as is.
 */
const MAIN_JS = String.raw`
// ---- model and wiring ------------------------------------------------------------------
const BASE = "/_inspect";
const MAX_RECORDS = 2000;
const LINGER_MS = 3000;
const REFRESH_MIN_MS = 200;
const REFRESH_EVERY_MS = 10000;
const RECORD_TYPES = ["actor", "snapshot", "event", "connect", "disconnect"];
/** Supervisor events after which rooms, members or timers may differ. */
const STRUCTURAL = new Set([
  "connection.accept", "connection.closed", "connection.failed", "room.join", "room.leave",
  "timer.set", "timer.clear", "timer.fired", "channel.close", "shutdown",
]);
const token = new URLSearchParams(location.search).get("token");

const model = {
  graphs: null,
  boot: null,
  helloSeq: 0,
  lastSeq: 0,
  connections: new Map(),
  supervisor: { state: "", description: "", rooms: {}, timers: [] },
  selected: "supervisor",
  records: [],
  logPending: [],
  logCleared: 0,
  paused: false,
  missed: 0,
  eventTimes: [],
  eventTypes: new Set(),
  dirty: false,
  refresh: { inFlight: false, again: false, last: 0, timer: 0 },
};

function $(id) {
  return document.getElementById(id);
}

function apiUrl(path) {
  return BASE + path + (token ? "?token=" + encodeURIComponent(token) : "");
}

/** A DOM element with attributes and children (strings become text, nulls are skipped). */
function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const key of Object.keys(attributes || {})) {
    if (key === "class") node.className = attributes[key];
    else node.setAttribute(key, attributes[key]);
  }
  for (const child of children || []) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function describe(machine, state) {
  const graph = model.graphs && model.graphs[machine];
  if (!graph) return "";
  const found = graph.states.find((candidate) => candidate.path === state);
  return found ? found.description : "";
}

function setStatus(status, text) {
  const node = $("feed-status");
  node.dataset.status = status;
  node.textContent = text;
}

function scheduleRender() {
  if (model.dirty) return;
  model.dirty = true;
  requestAnimationFrame(render);
}

// ---- snapshot ----------------------------------------------------------------------------
function scheduleRefresh() {
  const refresh = model.refresh;
  if (refresh.inFlight) {
    refresh.again = true;
    return;
  }
  if (refresh.timer) return;
  const wait = Math.max(0, refresh.last + REFRESH_MIN_MS - Date.now());
  refresh.timer = setTimeout(() => {
    refresh.timer = 0;
    loadSnapshot();
  }, wait);
}

async function loadSnapshot() {
  const refresh = model.refresh;
  refresh.inFlight = true;
  refresh.last = Date.now();
  const startedAt = Date.now();
  try {
    const response = await fetch(apiUrl("/snapshot"), { cache: "no-store" });
    if (response.ok) applySnapshot(await response.json(), startedAt);
  } catch (error) {
    // The feed reports the broker going away; the next record or tick tries again.
  } finally {
    refresh.inFlight = false;
    if (refresh.again) {
      refresh.again = false;
      scheduleRefresh();
    }
  }
}

function applySnapshot(snapshot, startedAt) {
  const supervisor = snapshot.supervisor;
  model.supervisor.rooms = supervisor.rooms;
  model.supervisor.timers = supervisor.timers;
  if (model.supervisor.stateAt === undefined || model.supervisor.stateAt < startedAt) {
    model.supervisor.state = supervisor.state;
    model.supervisor.description = supervisor.description;
  }
  const present = new Set();
  for (const view of snapshot.connections) {
    present.add(view.id);
    const entry = model.connections.get(view.id) || { id: view.id, seenAt: startedAt };
    if (entry.gone) continue;
    entry.transport = view.transport;
    entry.protocol = view.protocol;
    entry.address = view.address;
    entry.rooms = view.rooms;
    if (entry.stateAt === undefined || entry.stateAt < startedAt) {
      entry.state = view.state;
      entry.description = view.description;
    }
    model.connections.set(view.id, entry);
  }
  for (const [id, entry] of model.connections) {
    if (!present.has(id) && !entry.gone && entry.seenAt < startedAt) model.connections.delete(id);
  }
  scheduleRender();
}

// ---- feed --------------------------------------------------------------------------------
function connectFeed() {
  const source = new EventSource(apiUrl("/feed"));
  source.addEventListener("hello", (event) => {
    const hello = JSON.parse(event.data);
    if (model.boot !== null && hello.boot !== model.boot) resetModel();
    model.boot = hello.boot;
    model.helloSeq = hello.seq;
    $("payload-note").hidden = hello.payloads;
    setStatus("live", "live");
    scheduleRefresh();
  });
  for (const type of RECORD_TYPES) {
    source.addEventListener(type, (event) => onRecord(JSON.parse(event.data)));
  }
  source.addEventListener("open", () => setStatus("live", "live"));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      setStatus("reconnecting", "disconnected, retrying…");
      setTimeout(connectFeed, 5000);
    } else {
      setStatus("reconnecting", "reconnecting…");
    }
  });
}

function resetModel() {
  model.lastSeq = 0;
  model.records = [];
  model.connections.clear();
  model.logCleared = 0;
  renderLog();
}

function onRecord(record) {
  if (record.seq <= model.lastSeq) return;
  model.lastSeq = record.seq;
  model.records.push(record);
  if (model.records.length > MAX_RECORDS) model.records.splice(0, model.records.length - MAX_RECORDS);
  const live = record.seq > model.helloSeq;
  switch (record.type) {
    case "event":
      model.eventTimes.push(Date.now());
      noteEventType(record.event);
      if (record.target === "supervisor" && STRUCTURAL.has(record.event)) scheduleRefresh();
      break;
    case "snapshot":
      onSnapshotRecord(record);
      break;
    case "connect":
      if (live) {
        const entry = model.connections.get(record.actor) || { id: record.actor, rooms: [] };
        entry.seenAt = Date.now();
        entry.transport = record.transport;
        entry.protocol = record.codec;
        entry.address = record.address;
        model.connections.set(record.actor, entry);
      }
      scheduleRefresh();
      break;
    case "disconnect":
      retire(record);
      scheduleRefresh();
      break;
    case "actor":
      if (record.kind === "timer") scheduleRefresh();
      break;
  }
  logRecord(record);
  scheduleRender();
}

function onSnapshotRecord(record) {
  if (record.kind === "supervisor") {
    model.supervisor.state = record.state;
    model.supervisor.description = describe("supervisor", record.state);
    model.supervisor.stateAt = Date.now();
    return;
  }
  if (record.kind === "timer" && record.status !== "active") {
    scheduleRefresh();
    return;
  }
  if (record.kind !== "connection") return;
  const entry = model.connections.get(record.actor);
  if (!entry) return;
  entry.state = record.state;
  entry.description = describe("connection", record.state);
  entry.stateAt = Date.now();
}

/** A closed connection stays a moment, dimmed, so its last state can be seen. */
function retire(record) {
  const entry = model.connections.get(record.actor);
  if (!entry) return;
  entry.gone = true;
  // A closed connection is in no room any more (the disconnect left them all).
  entry.rooms = [];
  entry.state = "closed";
  entry.description = describe("connection", "closed");
  const linger = Math.max(0, LINGER_MS - (Date.now() - record.time));
  setTimeout(() => {
    if (model.connections.get(record.actor) === entry) model.connections.delete(record.actor);
    scheduleRender();
  }, linger);
}

// ---- rendering ---------------------------------------------------------------------------
function render() {
  model.dirty = false;
  renderCounts();
  renderConnections();
  renderSupervisor();
  renderSelection();
  flushLog();
  renderActorEvents();
}

function renderCounts() {
  let open = 0;
  for (const entry of model.connections.values()) if (!entry.gone) open += 1;
  $("count-connections").textContent = String(open);
  $("count-rooms").textContent = String(Object.keys(model.supervisor.rooms).length);
  $("count-timers").textContent = String(model.supervisor.timers.length);
}

function renderRate() {
  const now = Date.now();
  while (model.eventTimes.length > 0 && model.eventTimes[0] < now - 1000) model.eventTimes.shift();
  $("count-rate").textContent = String(model.eventTimes.length);
}

function connectionCells(entry) {
  return [
    ["transport", entry.transport || ""],
    ["codec", entry.protocol || ""],
    ["address", entry.address || ""],
    ["rooms", (entry.rooms || []).join(", ")],
    ["state", entry.state || ""],
    ["description", entry.description || ""],
  ];
}

function renderConnections() {
  const body = $("connection-rows");
  const rows = new Map();
  for (const row of body.children) rows.set(row.dataset.connectionId, row);
  for (const [id, row] of rows) if (!model.connections.has(id)) row.remove();
  for (const entry of model.connections.values()) {
    let row = rows.get(entry.id);
    if (!row) {
      const button = el("button", { type: "button", class: "link", "data-select": entry.id }, [entry.id]);
      row = el("tr", { "data-connection-id": entry.id }, [el("td", { "data-cell": "id" }, [button])]);
      for (const [name] of connectionCells(entry)) {
        row.appendChild(el("td", { "data-cell": name, class: name }, []));
      }
      body.appendChild(row);
    }
    for (const [name, value] of connectionCells(entry)) {
      const cell = row.querySelector("td[data-cell=\"" + name + "\"]");
      if (cell.textContent !== value) cell.textContent = value;
    }
    row.classList.toggle("gone", !!entry.gone);
    row.setAttribute("aria-selected", String(model.selected === entry.id));
  }
  $("no-connections").hidden = model.connections.size > 0;
}

function renderSupervisor() {
  const supervisor = model.supervisor;
  $("supervisor-state").textContent = supervisor.state;
  $("supervisor-description").textContent = supervisor.description;
  const rooms = Object.keys(supervisor.rooms).sort().map((room) =>
    el("li", { "data-room": room }, [
      el("strong", {}, [room]),
      " ",
      el("span", { class: "members" }, [supervisor.rooms[room].join(", ")]),
    ]),
  );
  $("rooms").replaceChildren(...rooms);
  const timers = supervisor.timers.map((timer) =>
    el("li", { "data-timer-id": timer.id }, [
      el("strong", {}, [timer.id]),
      " " + timer.kind + (timer.kind === "interval" ? " every " : " after ") + timer.ms + " ms",
    ]),
  );
  $("timers").replaceChildren(...timers);
}

function renderSelection() {
  const selected = model.connections.get(model.selected);
  if (!selected && model.selected !== "supervisor") model.selected = "supervisor";
  const isSupervisor = model.selected === "supervisor";
  lightStates("supervisor", model.supervisor.state);
  lightStates("connection", selected ? selected.state : "");
  $("selected-actor").textContent = model.selected;
  $("selected-state").textContent = isSupervisor ? model.supervisor.state : selected.state || "";
  $("selected-description").textContent = isSupervisor
    ? model.supervisor.description
    : selected.description || "";
  $("select-supervisor").setAttribute("aria-pressed", String(isSupervisor));
}

function select(id) {
  if (model.selected === id) return;
  model.selected = id;
  for (const row of $("connection-rows").children) {
    row.setAttribute("aria-selected", String(row.dataset.connectionId === id));
  }
  scheduleRender();
}

// ---- start -------------------------------------------------------------------------------
function wire() {
  $("connection-rows").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-connection-id]");
    if (row) select(row.dataset.connectionId);
  });
  $("select-supervisor").addEventListener("click", () => select("supervisor"));
  $("pause").addEventListener("click", togglePause);
  $("clear").addEventListener("click", () => {
    model.logCleared = model.lastSeq;
    renderLog();
  });
  for (const id of ["filter-client", "filter-room", "filter-type"]) {
    $(id).addEventListener("input", renderLog);
  }
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  setInterval(renderRate, 500);
  setInterval(scheduleRefresh, REFRESH_EVERY_MS);
}

async function start() {
  wire();
  // The table needs no graphs: fill it while the machines load.
  loadSnapshot();
  try {
    const response = await fetch(apiUrl("/machines"), { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    model.graphs = await response.json();
    for (const name of ["connection", "supervisor"]) {
      if (model.graphs[name]) drawGraph($("diagram-" + name), name, model.graphs[name]);
    }
  } catch (error) {
    setStatus("reconnecting", "cannot load the machines: " + error.message);
    return;
  }
  connectFeed();
  scheduleRender();
}
`;

/** `/_inspect/app.js`: one script, no imports, no build step. */
export const APP_JS = `"use strict";\n(() => {\n${MAIN_JS}${LOG_JS}${DIAGRAM_JS}\nstart();\n})();\n`;
