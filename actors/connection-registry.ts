import type { ConnectionRecord } from "./hooks.js";

/** The rooms of every connection in none: shared, never modified. */
export const NO_ROOMS: ReadonlySet<string> = new Set<string>();

/** A record's own room set, made on its first join and kept from then on. */
function ownRooms(record: ConnectionRecord): Set<string> {
  if (record.rooms === NO_ROOMS) record.rooms = new Set();
  return record.rooms as Set<string>;
}

/**
 * The supervisor's mutable registry of connections and rooms. It grows with the number of
 * clients, so it is updated in place by the supervisor's named actions: copying a Map on every
 * join would make n joins cost O(n²). `inspect()` builds serialisable views on demand.
 */
export class ConnectionRegistry {
  readonly connections = new Map<string, ConnectionRecord>();
  readonly rooms = new Map<string, Set<string>>();

  add(record: ConnectionRecord): void {
    this.connections.set(record.id, record);
  }

  get(id: string): ConnectionRecord | undefined {
    return this.connections.get(id);
  }

  /** Removes a connection and takes it out of every room; empty rooms disappear. */
  remove(id: string): ConnectionRecord | undefined {
    const record = this.connections.get(id);
    if (!record) return undefined;
    for (const room of record.rooms) this.leave(id, room);
    this.connections.delete(id);
    return record;
  }

  /** Returns false for an unknown connection id. */
  join(id: string, room: string): boolean {
    const record = this.connections.get(id);
    if (!record) return false;
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(id);
    ownRooms(record).add(room);
    return true;
  }

  /** Returns false for an unknown connection id. */
  leave(id: string, room: string): boolean {
    const record = this.connections.get(id);
    if (!record) return false;
    if (record.rooms !== NO_ROOMS) ownRooms(record).delete(room);
    const members = this.rooms.get(room);
    if (members) {
      members.delete(id);
      if (members.size === 0) this.rooms.delete(room);
    }
    return true;
  }

  get size(): number {
    return this.connections.size;
  }
}
