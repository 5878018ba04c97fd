/**
 * Everything on its way out: the queue of frames sent while not open (bounded, flushed in order)
 * and the requests waiting for their ack (each with its own timeout, counted from the call,
 * queued or not). A request times out of the queue too: it is never sent late.
 */
import type { AckOutcome } from "../../protocols/codec.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import type { ClientSocket } from "./socket.js";

type Timer = ReturnType<typeof setTimeout>;

/** A frame on its way out; `id` marks a request. */
export interface Outbound {
  readonly type: string;
  readonly text: string;
  readonly id?: number;
}

interface PendingRequest {
  readonly type: string;
  readonly timeout: number;
  readonly timer: Timer;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: ClientError) => void;
  /** Written to a socket: only that socket's connection can answer it. */
  sent: boolean;
}

export class Outbox {
  /** 0: nothing is queued. */
  readonly #max: number;
  #queue: Outbound[] = [];
  readonly #requests = new Map<number, PendingRequest>();
  #nextId = 1;

  constructor(max: number) {
    this.#max = max;
  }

  /** Frames waiting for a connection. */
  get queued(): number {
    return this.#queue.length;
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Tracks a request until its ack, a failure, or `timeout` ms from now. */
  track(
    id: number,
    type: string,
    timeout: number,
    resolve: (value: unknown) => void,
    reject: (error: ClientError) => void,
  ): void {
    const timer = setTimeout(() => this.#timeOut(id), timeout);
    this.#requests.set(id, { type, timeout, timer, resolve, reject, sent: false });
  }

  /**
   * Writes `frame` to `socket` (an open connection), else queues it. Returns the error when the
   * frame is dropped instead (a request is rejected with it); `state` only words the message.
   */
  deliver(
    frame: Outbound,
    socket: ClientSocket | undefined,
    state: string,
  ): ClientError | undefined {
    if (socket) {
      this.#write(socket, frame);
      return undefined;
    }
    let error: ClientError | undefined;
    if (this.#max === 0) {
      const message = `"${frame.type}" dropped: not open (${state}) and queueing is off`;
      error = new ClientError(ClientErrorCode.NOT_OPEN, message);
    } else if (this.#queue.length >= this.#max) {
      const message = `"${frame.type}" dropped: the queue is full (${this.#max} frames) while ${state}`;
      error = new ClientError(ClientErrorCode.QUEUE_FULL, message);
    }
    if (!error) {
      this.#queue.push(frame);
      return undefined;
    }
    if (frame.id !== undefined) this.settle(frame.id, error);
    return error;
  }

  /** Writes every queued frame, oldest first. */
  flush(socket: ClientSocket): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const frame of queued) this.#write(socket, frame);
  }

  /** Settles a request with its ack, or rejects it; an unknown id (timed out already) is ignored. */
  settle(id: number, outcome: AckOutcome | ClientError): void {
    const request = this.#requests.get(id);
    if (!request) return;
    this.#requests.delete(id);
    clearTimeout(request.timer);
    if (outcome instanceof ClientError) request.reject(outcome);
    else if (outcome.ok) request.resolve(outcome.data);
    else if (outcome.code === undefined) {
      request.reject(new ClientError(ClientErrorCode.REQUEST_FAILED, outcome.message));
    } else {
      // The broker refused it before any listener saw it: its code, as for an error frame.
      const message = `Request "${request.type}" refused by the broker, unhandled: ${outcome.message}`;
      request.reject(new ClientError(outcome.code, message));
    }
  }

  /** The connection closed: requests already written can only have been answered on it. */
  failSent(): void {
    for (const [id, request] of this.#requests) {
      if (!request.sent) continue;
      const message = `Request "${request.type}" lost: the connection closed before its ack`;
      this.settle(id, new ClientError(ClientErrorCode.DISCONNECTED, message));
    }
  }

  /** The client ended: every request is rejected after `cause`; returns how many events were dropped. */
  drop(cause: ClientError): number {
    const dropped = this.#queue.filter((frame) => frame.id === undefined).length;
    this.#queue = [];
    for (const [id, request] of this.#requests) {
      const message = `Request "${request.type}" dropped: ${cause.message}`;
      this.settle(id, new ClientError(cause.code, message, { cause }));
    }
    return dropped;
  }

  #write(socket: ClientSocket, frame: Outbound): void {
    socket.send(frame.text);
    if (frame.id === undefined) return;
    const request = this.#requests.get(frame.id);
    if (request) request.sent = true;
  }

  #timeOut(id: number): void {
    const request = this.#requests.get(id);
    if (!request) return;
    if (!request.sent) this.#queue = this.#queue.filter((frame) => frame.id !== id);
    const message = `Request "${request.type}" timed out after ${request.timeout} ms`;
    this.settle(id, new ClientError(ClientErrorCode.TIMEOUT, message));
  }
}
