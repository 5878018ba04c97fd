/**
 * Browser code (plain JavaScript, part of `/_inspect/app.js`): the event log and the selected
 * actor's last events. Records are kept in `model.records`; the log shows the newest matching
 * ones first, filtered by client id, room and event type, and stops moving while paused.
 *
 * Kept free of backticks and dollar-brace so it can live in a template string as is.
 */
export const LOG_JS = String.raw`
// ---- event log -------------------------------------------------------------------------
const LOG_ROWS = 300;
const ACTOR_ROWS = 50;

function clock(time) {
  const date = new Date(time);
  const pad = (n, width) => String(n).padStart(width, "0");
  return pad(date.getHours(), 2) + ":" + pad(date.getMinutes(), 2) + ":" +
    pad(date.getSeconds(), 2) + "." + pad(date.getMilliseconds(), 3);
}

function fieldText(value) {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The ids a record is about: its actor, source and target, and an id field. */
function recordActors(record) {
  const ids = [];
  if (record.actor) ids.push(record.actor);
  if (record.source) ids.push(record.source);
  if (record.target) ids.push(record.target);
  if (record.fields && typeof record.fields.id === "string") ids.push(record.fields.id);
  return ids;
}

function recordRooms(record) {
  const rooms = [];
  const fields = record.fields || {};
  if (typeof fields.room === "string") rooms.push(fields.room);
  if (Array.isArray(fields.rooms)) for (const room of fields.rooms) rooms.push(String(room));
  return rooms;
}

/** xstate's delayed events read as in the diagram: "after heartbeatInterval". */
function eventName(type) {
  const delayed = /^xstate\.after\.([^.]+)\./.exec(type);
  return delayed ? "after " + delayed[1] : type;
}

function recordSummary(record) {
  switch (record.type) {
    case "event": {
      const fields = Object.keys(record.fields || {})
        .map((key) => key + "=" + fieldText(record.fields[key]))
        .join(" ");
      return {
        kind: "event",
        text: (record.source ? record.source + " \u2192 " : "") + record.target + "  " + eventName(record.event),
        fields,
      };
    }
    case "snapshot":
      return {
        kind: "snapshot",
        // Timers are callback actors: they have a status but no state value.
        text: record.state
          ? record.actor + " \u21d2 " + record.state +
            (record.status !== "active" ? " (" + record.status + ")" : "")
          : record.actor + " " + record.status,
        fields: "",
      };
    case "connect":
      return {
        kind: "connect",
        text: record.actor + " connected",
        fields: [record.transport, record.codec, record.address].filter(Boolean).join(" \u00b7 "),
      };
    case "disconnect":
      return {
        kind: "disconnect",
        text: record.actor + " disconnected",
        fields: (record.code === null ? "" : String(record.code)) + (record.reason ? " " + record.reason : ""),
      };
    case "actor":
      return {
        kind: "actor",
        text: record.actor + " started (" + record.kind + ")",
        fields: record.parent ? "parent " + record.parent : "",
      };
    default:
      return { kind: record.type, text: "", fields: "" };
  }
}

function recordRow(record) {
  const summary = recordSummary(record);
  const row = el("li", {
    "data-type": record.type,
    "data-seq": String(record.seq),
    "data-event": record.type === "event" ? record.event : record.type,
    "data-actor": recordActors(record)[0] || "",
  }, [
    el("time", { class: "time", datetime: new Date(record.time).toISOString() }, [clock(record.time)]),
    el("span", { class: "kind" }, [summary.kind]),
    el("span", { class: "text" }, [
      summary.text,
      summary.fields ? el("span", { class: "fields" }, ["  " + summary.fields]) : null,
    ]),
  ]);
  return row;
}

function currentFilters() {
  return {
    client: $("filter-client").value.trim().toLowerCase(),
    room: $("filter-room").value.trim().toLowerCase(),
    type: $("filter-type").value.trim().toLowerCase(),
  };
}

function matches(record, filters) {
  const actors = recordActors(record);
  if (filters.client && !actors.some((id) => id.toLowerCase().includes(filters.client))) {
    return false;
  }
  if (filters.type) {
    const name = (record.type === "event" ? record.event : record.type).toLowerCase();
    if (!name.includes(filters.type) && record.type !== filters.type) return false;
  }
  if (filters.room) {
    const rooms = Object.keys(model.supervisor.rooms).filter((room) =>
      room.toLowerCase().includes(filters.room),
    );
    const named = recordRooms(record).some((room) => room.toLowerCase().includes(filters.room));
    const member = rooms.some((room) =>
      actors.some((id) => model.supervisor.rooms[room].indexOf(id) >= 0),
    );
    if (!named && !member) return false;
  }
  return true;
}

/** Rebuilds the log from the kept records: filters changed, resumed or cleared. */
function renderLog() {
  const filters = currentFilters();
  const rows = [];
  for (let index = model.records.length - 1; index >= 0 && rows.length < LOG_ROWS; index -= 1) {
    const record = model.records[index];
    if (record.seq > model.logCleared && matches(record, filters)) rows.push(recordRow(record));
  }
  $("event-log").replaceChildren(...rows);
  model.logPending = [];
  model.missed = 0;
  renderPauseButton();
}

/** Adds the records that came since the last frame to the top of the log. */
function flushLog() {
  const pending = model.logPending;
  model.logPending = [];
  if (pending.length === 0) return;
  const filters = currentFilters();
  const list = $("event-log");
  const fresh = document.createDocumentFragment();
  for (let index = pending.length - 1; index >= 0; index -= 1) {
    if (matches(pending[index], filters)) fresh.appendChild(recordRow(pending[index]));
  }
  list.insertBefore(fresh, list.firstChild);
  while (list.childElementCount > LOG_ROWS) list.lastElementChild.remove();
}

function logRecord(record) {
  if (model.paused) {
    model.missed += 1;
    renderPauseButton();
    return;
  }
  model.logPending.push(record);
  // A hidden tab gets no animation frames: keep only what the log could show.
  if (model.logPending.length > LOG_ROWS) model.logPending.shift();
}

function renderPauseButton() {
  const button = $("pause");
  button.setAttribute("aria-pressed", String(model.paused));
  button.textContent = model.paused
    ? "Resume" + (model.missed > 0 ? " (" + model.missed + " new)" : "")
    : "Pause";
}

function togglePause() {
  // Show what had arrived up to the click, so pausing freezes exactly that moment.
  if (!model.paused) flushLog();
  model.paused = !model.paused;
  if (model.paused) renderPauseButton();
  else renderLog();
}

/** The selected actor's last events, newest first. */
function renderActorEvents() {
  const id = model.selected;
  const rows = [];
  for (let index = model.records.length - 1; index >= 0 && rows.length < ACTOR_ROWS; index -= 1) {
    const record = model.records[index];
    if (recordActors(record).indexOf(id) >= 0) rows.push(recordRow(record));
  }
  $("actor-events-name").textContent = id;
  $("actor-events").replaceChildren(...rows);
}

function noteEventType(name) {
  if (model.eventTypes.has(name)) return;
  model.eventTypes.add(name);
  $("event-types").appendChild(el("option", { value: name }, []));
}
`;
