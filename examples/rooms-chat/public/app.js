// Rooms chat, the page. A plain ES module: the client library comes from the broker itself
// (/_switchboard/client.js), so there is nothing to build and nothing from a CDN.
//
// The server's protocol is described at the top of ../server.ts. The page keeps, for every room
// it is in, its own message log (role="log", so new messages are read out by screen readers),
// the member list and who is typing; one room at a time is shown.
import { connect } from "/_switchboard/client.js";

/** How long "bob is typing…" stays up after bob's last keystroke signal. */
const TYPING_SHOWN_MS = 3000;
/** At most one typing signal per room this often, while the user keeps typing. */
const TYPING_SEND_EVERY_MS = 2000;
/** Messages and notices kept on the page per room; older ones are removed. */
const MAX_SHOWN = 200;
const ROOM_PATTERN = /^[A-Za-z0-9 _-]{1,32}$/;
const NAME_KEY = "rooms-chat:name";

/** @param {string} id */
const byId = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing #${id}`);
  return element;
};

const ui = {
  connection: byId("connection"),
  whoami: byId("whoami"),
  me: byId("me"),
  welcome: byId("welcome"),
  nameForm: /** @type {HTMLFormElement} */ (byId("name-form")),
  name: /** @type {HTMLInputElement} */ (byId("name")),
  nameError: byId("name-error"),
  chat: byId("chat"),
  roomList: byId("room-list"),
  noRooms: byId("no-rooms"),
  roomForm: /** @type {HTMLFormElement} */ (byId("room-form")),
  room: /** @type {HTMLInputElement} */ (byId("room")),
  roomError: byId("room-error"),
  roomTitle: byId("room-title"),
  leave: /** @type {HTMLButtonElement} */ (byId("leave")),
  emptyHint: byId("empty-hint"),
  logs: byId("logs"),
  typing: byId("typing"),
  messageForm: /** @type {HTMLFormElement} */ (byId("message-form")),
  message: /** @type {HTMLInputElement} */ (byId("message")),
  messageError: byId("message-error"),
  membersTitle: byId("members-title"),
  memberList: byId("member-list"),
};

/**
 * @typedef {{ id: number, room: string, name: string, text: string, at: number }} ChatMessage
 * @typedef {{ name: string, members: number }} RoomSummary
 * @typedef {{
 *   name: string,
 *   log: HTMLOListElement,
 *   members: string[],
 *   seen: Set<string>,
 *   unread: number,
 *   typing: Map<string, ReturnType<typeof setTimeout>>,
 *   typingSentAt: number,
 * }} JoinedRoom
 */

const state = {
  /** @type {string | null} the name the server knows us by */
  name: null,
  /** @type {string | null} the room shown */
  active: null,
  /** @type {RoomSummary[]} every room with members, from the server */
  rooms: [],
  /** @type {Map<string, JoinedRoom>} the rooms we are in */
  joined: new Map(),
  /** whether the connection dropped since the name was chosen */
  dropped: false,
};

const client = connect("/ws", { protocol: "json" });

// --- connection -------------------------------------------------------------------------------

/** @param {"connecting" | "open" | "reconnecting"} status @param {string} text */
function showConnection(status, text) {
  ui.connection.dataset.state = status;
  ui.connection.textContent = text;
}

client.on("open", () => {
  showConnection("open", "Connected");
  if (state.dropped && state.name !== null) void resume();
});
client.on("close", () => {
  if (state.name !== null) state.dropped = true;
  showConnection("reconnecting", "Connection lost: reconnecting…");
});
client.on("reconnecting", ({ delay }) => {
  showConnection("reconnecting", `Connection lost: retrying in ${Math.ceil(delay / 1000)} s…`);
});
client.on("error", (error) => console.warn("switchboard:", error.code, error.message));

/** After a reconnect the server has forgotten us: say hello again and rejoin every room. */
async function resume() {
  state.dropped = false;
  try {
    setRooms(await client.request("hello", { name: state.name }));
    for (const entry of state.joined.values()) {
      /** @type {{ room: string, history: ChatMessage[], members: string[] }} */
      const reply = await client.request("join", { room: entry.name });
      // Only what was missed: addMessage skips the messages already shown.
      for (const message of reply.history) addMessage(message);
      entry.members = reply.members;
      addNotice(entry, "Reconnected");
    }
    renderActive();
  } catch (error) {
    console.warn("Could not resume:", error);
  }
}

// --- server events ----------------------------------------------------------------------------

client.on("roomsChanged", (/** @type {RoomSummary[]} */ rooms) => setRooms(rooms));

client.on("message", (/** @type {ChatMessage} */ message) => {
  const entry = state.joined.get(message.room);
  if (!entry) return;
  stopTyping(entry, message.name);
  addMessage(message);
  if (message.room !== state.active) {
    entry.unread += 1;
    renderRooms();
  }
});

client.on(
  "presence",
  (
    /** @type {{ room: string, name: string, action: "join" | "leave", members: string[] }} */ event,
  ) => {
    const entry = state.joined.get(event.room);
    if (!entry) return;
    entry.members = event.members;
    if (event.action === "leave") stopTyping(entry, event.name);
    addNotice(entry, `${event.name} ${event.action === "join" ? "joined" : "left"}`);
    if (event.room === state.active) renderMembers();
  },
);

client.on("typing", (/** @type {{ room: string, name: string }} */ { room, name }) => {
  const entry = state.joined.get(room);
  if (!entry) return;
  clearTimeout(entry.typing.get(name));
  entry.typing.set(
    name,
    setTimeout(() => stopTyping(entry, name), TYPING_SHOWN_MS),
  );
  if (room === state.active) renderTyping();
});

// --- forms ------------------------------------------------------------------------------------

ui.name.value = localStorage.getItem(NAME_KEY) ?? "";

ui.nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  if (name === "") return showError(ui.name, ui.nameError, "Enter a name.");
  if ([...name].length > 32) return showError(ui.name, ui.nameError, "32 characters at most.");
  void submitting(ui.nameForm, async () => {
    try {
      setRooms(await client.request("hello", { name }));
    } catch (error) {
      return showError(ui.name, ui.nameError, messageOf(error));
    }
    clearError(ui.name, ui.nameError);
    state.name = name;
    localStorage.setItem(NAME_KEY, name);
    ui.me.textContent = name;
    ui.whoami.hidden = false;
    ui.welcome.hidden = true;
    ui.chat.hidden = false;
    renderActive();
    ui.room.focus();
  });
});

ui.roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = ui.room.value.trim().replace(/ +/g, " ");
  if (room === "") return showError(ui.room, ui.roomError, "Enter a room name.");
  if (!ROOM_PATTERN.test(room)) {
    return showError(ui.room, ui.roomError, "Use 1 to 32 letters, digits, spaces, _ or -.");
  }
  void submitting(ui.roomForm, async () => {
    if (await join(room, ui.room, ui.roomError)) ui.room.value = "";
  });
});

ui.leave.addEventListener("click", () => {
  const room = state.active;
  if (room === null) return;
  void submitting(ui.leave, async () => {
    try {
      await client.request("leave", { room });
    } catch (error) {
      return showError(ui.message, ui.messageError, messageOf(error));
    }
    forget(room);
    ui.room.focus();
  });
});

ui.messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = state.active;
  const text = ui.message.value.trim();
  if (room === null) return;
  if (text === "") return showError(ui.message, ui.messageError, "Type a message first.");
  const entry = state.joined.get(room);
  if (entry) entry.typingSentAt = 0;
  ui.message.value = "";
  clearError(ui.message, ui.messageError);
  client.request("say", { room, text }).catch((/** @type {unknown} */ error) => {
    // Give the text back so nothing typed is lost.
    if (ui.message.value === "") ui.message.value = text;
    showError(ui.message, ui.messageError, messageOf(error));
  });
});

ui.message.addEventListener("input", () => {
  const entry = state.active === null ? undefined : state.joined.get(state.active);
  if (!entry || ui.message.value.trim() === "") return;
  const now = Date.now();
  if (now - entry.typingSentAt < TYPING_SEND_EVERY_MS) return;
  entry.typingSentAt = now;
  client.send("typing", { room: entry.name });
});

// --- rooms ------------------------------------------------------------------------------------

/**
 * Joins a room (or just shows it, when already in it) and moves the focus to the message field.
 * Returns false, with the reason shown under `field`, when the server refused.
 * @param {string} room @param {HTMLElement} field @param {HTMLElement} errorBox
 */
async function join(room, field, errorBox) {
  let shown = room;
  if (!state.joined.has(room)) {
    /** @type {{ room: string, history: ChatMessage[], members: string[] }} */
    let reply;
    try {
      reply = await client.request("join", { room });
    } catch (error) {
      showError(field, errorBox, messageOf(error));
      return false;
    }
    if (!state.joined.has(reply.room)) createRoom(reply);
    shown = reply.room;
  }
  clearError(field, errorBox);
  show(shown);
  ui.message.focus();
  return true;
}

/**
 * A room's page state; its log is filled with the history before it enters the document, so a
 * screen reader announces what happens from now on, not 50 old messages.
 * @param {{ room: string, history: ChatMessage[], members: string[] }} reply
 * @returns {JoinedRoom}
 */
function createRoom(reply) {
  const log = document.createElement("ol");
  log.className = "log";
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", `Messages in ${reply.room}`);
  log.tabIndex = 0; // a scrollable region must be reachable by keyboard
  log.hidden = true;
  /** @type {JoinedRoom} */
  const entry = {
    name: reply.room,
    log,
    members: reply.members,
    seen: new Set(),
    unread: 0,
    typing: new Map(),
    typingSentAt: 0,
  };
  state.joined.set(reply.room, entry);
  if (reply.history.length > 0) {
    const count = reply.history.length;
    addNotice(entry, `Last ${count} message${count === 1 ? "" : "s"} in ${reply.room}`);
  }
  for (const message of reply.history) addMessage(message);
  ui.logs.append(log);
  addNotice(entry, `You joined ${reply.room}`);
  return entry;
}

/** Shows a room we are in. @param {string} room */
function show(room) {
  state.active = room;
  const entry = state.joined.get(room);
  if (entry) entry.unread = 0;
  renderActive();
  if (entry) entry.log.scrollTop = entry.log.scrollHeight;
}

/** Drops a room we left and shows another one we are still in, if any. @param {string} room */
function forget(room) {
  const entry = state.joined.get(room);
  if (!entry) return;
  for (const timer of entry.typing.values()) clearTimeout(timer);
  entry.log.remove();
  state.joined.delete(room);
  if (state.active === room) state.active = state.joined.keys().next().value ?? null;
  renderActive();
}

/** @param {RoomSummary[]} rooms */
function setRooms(rooms) {
  state.rooms = rooms;
  renderRooms();
}

// --- the log ----------------------------------------------------------------------------------

/** @param {ChatMessage} message */
function addMessage(message) {
  const entry = state.joined.get(message.room);
  if (!entry) return;
  // A message is known by its id and time: ids restart with the server, times do not repeat.
  const key = `${message.id}@${message.at}`;
  if (entry.seen.has(key)) return;
  entry.seen.add(key);
  if (entry.seen.size > MAX_SHOWN * 2) entry.seen.delete(entry.seen.values().next().value ?? "");
  const item = document.createElement("li");
  item.className = message.name === state.name ? "message mine" : "message";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = message.name;
  const separator = document.createElement("span");
  separator.className = "visually-hidden";
  separator.textContent = ": ";
  const text = document.createElement("p");
  text.className = "text";
  text.textContent = message.text;
  const time = document.createElement("time");
  const at = new Date(message.at);
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  item.append(author, separator, text, time);
  append(entry, item);
}

/** A line such as "bob joined". @param {JoinedRoom} entry @param {string} text */
function addNotice(entry, text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  append(entry, item);
}

/** @param {JoinedRoom} entry @param {HTMLLIElement} item */
function append(entry, item) {
  const { log } = entry;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  log.append(item);
  while (log.childElementCount > MAX_SHOWN) log.firstElementChild?.remove();
  if (atBottom || item.classList.contains("mine")) log.scrollTop = log.scrollHeight;
}

/** @param {JoinedRoom} entry @param {string} name */
function stopTyping(entry, name) {
  if (!entry.typing.has(name)) return;
  clearTimeout(entry.typing.get(name));
  entry.typing.delete(name);
  if (entry.name === state.active) renderTyping();
}

// --- rendering --------------------------------------------------------------------------------

/** Everything that depends on which room is shown. */
function renderActive() {
  const entry = state.active === null ? undefined : state.joined.get(state.active);
  for (const joined of state.joined.values()) joined.log.hidden = joined !== entry;
  ui.roomTitle.textContent = entry ? `# ${entry.name}` : "No room open";
  ui.leave.hidden = !entry;
  ui.leave.setAttribute("aria-label", entry ? `Leave room ${entry.name}` : "Leave room");
  ui.emptyHint.hidden = Boolean(entry);
  ui.messageForm.hidden = !entry;
  ui.message.placeholder = entry ? `Message #${entry.name}` : "";
  clearError(ui.message, ui.messageError);
  renderRooms();
  renderMembers();
  renderTyping();
}

/**
 * The room list, updated in place (keyed by room), so the button that has the keyboard focus
 * is never replaced under it when the list changes.
 */
function renderRooms() {
  const names = new Set(state.rooms.map((room) => room.name));
  for (const room of state.joined.keys()) names.add(room);
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  /** @type {Map<string, HTMLLIElement>} */
  const existing = new Map();
  for (const item of ui.roomList.querySelectorAll("li")) {
    const room = item.dataset.room ?? "";
    if (names.has(room)) existing.set(room, item);
    else {
      const hadFocus = item.contains(document.activeElement);
      item.remove();
      if (hadFocus) ui.room.focus();
    }
  }
  sorted.forEach((room, index) => {
    const item = existing.get(room) ?? createRoomItem(room);
    if (ui.roomList.children[index] !== item) {
      ui.roomList.insertBefore(item, ui.roomList.children[index] ?? null);
    }
    updateRoomItem(item, room);
  });
  ui.noRooms.hidden = sorted.length > 0;
}

/** @param {string} room */
function createRoomItem(room) {
  const item = document.createElement("li");
  item.dataset.room = room;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "room-button";
  button.addEventListener("click", () => {
    void submitting(button, () => join(room, ui.room, ui.roomError));
  });
  const count = document.createElement("span");
  count.className = "count";
  const unread = document.createElement("span");
  unread.className = "unread";
  item.append(button, count, unread);
  return item;
}

/** @param {HTMLLIElement} item @param {string} room */
function updateRoomItem(item, room) {
  const [button, count, unread] = /** @type {HTMLElement[]} */ ([...item.children]);
  if (!button || !count || !unread) return;
  const entry = state.joined.get(room);
  const members = state.rooms.find((summary) => summary.name === room)?.members ?? 1;
  const label = `${entry ? "Open" : "Join"} ${room}`;
  if (button.textContent !== label) button.textContent = label;
  if (room === state.active) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
  count.textContent = `${members} ${members === 1 ? "member" : "members"}`;
  unread.textContent = entry && entry.unread > 0 ? `${entry.unread} new` : "";
  unread.hidden = !entry || entry.unread === 0;
}

function renderMembers() {
  const entry = state.active === null ? undefined : state.joined.get(state.active);
  const members = entry?.members ?? [];
  ui.membersTitle.textContent = entry ? `Members (${members.length})` : "Members";
  ui.memberList.replaceChildren(
    ...members.map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      if (name === state.name) {
        item.className = "me";
        item.append(Object.assign(document.createElement("span"), { textContent: " (you)" }));
      }
      return item;
    }),
  );
}

function renderTyping() {
  const entry = state.active === null ? undefined : state.joined.get(state.active);
  const names = entry ? [...entry.typing.keys()] : [];
  ui.typing.textContent =
    names.length === 0
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : "Several people are typing…";
}

// --- helpers ----------------------------------------------------------------------------------

/**
 * Runs an action with its form or button marked busy, so a second Enter does not send twice.
 * @param {HTMLFormElement | HTMLButtonElement} target @param {() => Promise<unknown>} action
 */
async function submitting(target, action) {
  if (target.getAttribute("aria-busy") === "true") return;
  target.setAttribute("aria-busy", "true");
  try {
    await action();
  } finally {
    target.removeAttribute("aria-busy");
  }
}

/** @param {HTMLElement} field @param {HTMLElement} box @param {string} text */
function showError(field, box, text) {
  field.setAttribute("aria-invalid", "true");
  box.textContent = text;
  field.focus();
}

/** @param {HTMLElement} field @param {HTMLElement} box */
function clearError(field, box) {
  field.removeAttribute("aria-invalid");
  box.textContent = "";
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
