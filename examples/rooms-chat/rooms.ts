/**
 * The rooms chat's state and rules, with no broker in sight: who is in which room, each room's
 * last 50 messages, and the checks every input goes through. `server.ts` wires it to the broker.
 */

/** How many messages a room keeps, and sends to whoever joins it. */
export const HISTORY_SIZE = 50;
/** Rooms one client may be in at once. */
export const MAX_ROOMS_PER_CLIENT = 10;
/**
 * Rooms remembered at once: a room outlives its last member (its history is kept for whoever
 * comes back), but past this many the longest-quiet empty room is forgotten.
 */
export const MAX_ROOMS = 200;

const NAME_MAX = 32;
const ROOM_MAX = 32;
const TEXT_MAX = 2000;
const ROOM_PATTERN = /^[A-Za-z0-9 _-]+$/;
/**
 * Whether `value` has a C0 or C1 control character (DEL included), other than those `allowed`:
 * never part of a name, and only tabs and line breaks in a message.
 */
function hasControl(value: string, allowed = ""): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (control && !allowed.includes(char)) return true;
  }
  return false;
}

/** A message as stored and sent: `id` increases across the whole server. */
export interface ChatMessage {
  readonly id: number;
  readonly room: string;
  readonly name: string;
  readonly text: string;
  /** Milliseconds since the epoch, server time. */
  readonly at: number;
}

/** A row of the room list. */
export interface RoomSummary {
  readonly name: string;
  readonly members: number;
}

/** What a client gets on joining: the room's recent past and who is there now. */
export interface JoinReply {
  readonly room: string;
  readonly history: readonly ChatMessage[];
  readonly members: readonly string[];
}

/**
 * An input the app refuses. Its message is written for the person at the keyboard: it is what
 * the browser shows under the field (the request's ack carries it).
 */
export class BadInput extends Error {
  override readonly name = "BadInput";
}

/** The object a request carries, or a clear refusal. */
function fields(data: unknown, what: string): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new BadInput(`Expected ${what}`);
  }
  return data as Record<string, unknown>;
}

/** One string field, trimmed, checked for length (in characters, not UTF-16 units). */
function stringField(value: unknown, label: string, max: number): string {
  if (typeof value !== "string") throw new BadInput(`${label} must be text`);
  const trimmed = value.trim();
  if (trimmed === "") throw new BadInput(`${label} cannot be empty`);
  if ([...trimmed].length > max) throw new BadInput(`${label} is too long (${max} at most)`);
  return trimmed;
}

/** `{ name }` of `hello`: 1–32 characters, no control characters. */
export function parseName(data: unknown): string {
  const name = stringField(fields(data, "{ name }").name, "Name", NAME_MAX);
  if (hasControl(name)) throw new BadInput("Name cannot contain control characters");
  return name;
}

/** `{ room }` of `join`, `leave`, `typing`: 1–32 of letters, digits, space, `_` and `-`. */
export function parseRoom(data: unknown): string {
  const room = stringField(fields(data, "{ room }").room, "Room", ROOM_MAX).replace(/ +/g, " ");
  if (!ROOM_PATTERN.test(room)) {
    throw new BadInput("Room names use letters, digits, spaces, _ and - only");
  }
  return room;
}

/** `{ room, text }` of `say`: the text 1–2000 characters; tabs and line breaks allowed. */
export function parseSay(data: unknown): { room: string; text: string } {
  const room = parseRoom(data);
  const body = stringField(fields(data, "{ room, text }").text, "Message", TEXT_MAX);
  if (hasControl(body, "\t\n\r")) {
    throw new BadInput("Message cannot contain control characters");
  }
  return { room, text: body };
}

class Room {
  /** Client id -> name, in joining order. */
  readonly members = new Map<string, string>();
  readonly #history: ChatMessage[] = [];
  /** When something last happened here; the quietest empty room is forgotten first. */
  lastActive = Date.now();

  constructor(readonly name: string) {}

  get history(): readonly ChatMessage[] {
    return this.#history;
  }

  remember(message: ChatMessage): void {
    this.#history.push(message);
    if (this.#history.length > HISTORY_SIZE) this.#history.shift();
    this.lastActive = message.at;
  }

  memberNames(): string[] {
    return [...this.members.values()];
  }
}

/**
 * Every room, its members and its history. Methods throw `BadInput` for what a client may not
 * do, and say what changed so the caller can tell the others.
 */
export class Rooms {
  readonly #rooms = new Map<string, Room>();
  #nextId = 1;

  /** The rooms with someone in them, by name. */
  list(): RoomSummary[] {
    return [...this.#rooms.values()]
      .filter((room) => room.members.size > 0)
      .map((room) => ({ name: room.name, members: room.members.size }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The rooms `clientId` is in. */
  roomsOf(clientId: string): string[] {
    return [...this.#rooms.values()]
      .filter((room) => room.members.has(clientId))
      .map((room) => room.name);
  }

  /** Whether `clientId` is in `room`. */
  isMember(room: string, clientId: string): boolean {
    return this.#rooms.get(room)?.members.has(clientId) ?? false;
  }

  /**
   * Adds a client to a room (created if need be). `joined` is false when it was there already,
   * in which case nothing changed and nobody needs telling.
   */
  join(room: string, clientId: string, name: string): { reply: JoinReply; joined: boolean } {
    const existing = this.#rooms.get(room);
    if (existing?.members.has(clientId)) {
      return { reply: this.#reply(existing), joined: false };
    }
    if (this.roomsOf(clientId).length >= MAX_ROOMS_PER_CLIENT) {
      throw new BadInput(`You are in ${MAX_ROOMS_PER_CLIENT} rooms already: leave one first`);
    }
    const target = existing ?? this.#create(room);
    target.members.set(clientId, name);
    target.lastActive = Date.now();
    return { reply: this.#reply(target), joined: true };
  }

  /** Takes a client out of a room; the members left behind. */
  leave(room: string, clientId: string): string[] {
    const target = this.#rooms.get(room);
    if (!target?.members.delete(clientId)) throw new BadInput(`You are not in room "${room}"`);
    target.lastActive = Date.now();
    return target.memberNames();
  }

  /** Stores a message from a member and returns it as it is to be broadcast. */
  say(room: string, clientId: string, text: string): ChatMessage {
    const target = this.#memberRoom(room, clientId);
    const name = target.members.get(clientId) ?? "";
    const message: ChatMessage = { id: this.#nextId++, room, name, text, at: Date.now() };
    target.remember(message);
    return message;
  }

  /** The name a member goes by in a room; throws if it is not a member. */
  nameIn(room: string, clientId: string): string {
    return this.#memberRoom(room, clientId).members.get(clientId) ?? "";
  }

  #memberRoom(room: string, clientId: string): Room {
    const target = this.#rooms.get(room);
    if (!target?.members.has(clientId)) throw new BadInput(`Join room "${room}" first`);
    return target;
  }

  #reply(room: Room): JoinReply {
    return { room: room.name, history: [...room.history], members: room.memberNames() };
  }

  #create(name: string): Room {
    if (this.#rooms.size >= MAX_ROOMS) {
      const quietest = [...this.#rooms.values()]
        .filter((room) => room.members.size === 0)
        .sort((a, b) => a.lastActive - b.lastActive)[0];
      if (!quietest) throw new BadInput("Too many rooms: join an existing one");
      this.#rooms.delete(quietest.name);
    }
    const room = new Room(name);
    this.#rooms.set(name, room);
    return room;
  }
}
