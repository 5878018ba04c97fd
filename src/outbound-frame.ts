/**
 * One encoded frame on its way to many recipients. A broadcast encodes its payload once per
 * codec into one of these; each transport then derives its wire form (a WebSocket frame with
 * its header, a TCP line with its newline) once, on first use, and writes those same bytes to
 * every socket of that transport. Nothing is encoded, copied or framed per recipient.
 */
export class OutboundFrame {
  readonly text: string;
  #bytes: Buffer | undefined;
  #forms: Map<symbol, Buffer> | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** The frame's UTF-8 bytes (lone surrogates become U+FFFD, as in any UTF-8 encoder). */
  get bytes(): Buffer {
    this.#bytes ??= Buffer.from(this.text);
    return this.#bytes;
  }

  /** A transport's wire form of this frame, built by `build` the first time `key` is asked. */
  wireForm(key: symbol, build: (bytes: Buffer) => Buffer): Buffer {
    this.#forms ??= new Map();
    let form = this.#forms.get(key);
    if (!form) {
      form = build(this.bytes);
      this.#forms.set(key, form);
    }
    return form;
  }
}
