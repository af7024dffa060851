// A Server-Sent Events parser (the HTML standard's "event stream interpretation"), fed text as
// it arrives in arbitrary chunks: lines end with CRLF, LF or CR (a CR at a chunk's end may be
// the first half of a CRLF), a leading BOM is dropped, `:` lines are comments, a blank line
// dispatches the event. Pure: the network side is in live.ts.

export interface SseEvent {
  // The `event:` field, "message" when none was given.
  type: string;
  // The `data:` lines joined with "\n".
  data: string;
  // The last event ID in effect when it was dispatched ("" when none was ever set).
  lastEventId: string;
}

export class SseParser {
  // The last `id:` seen (ids with a NUL are ignored); it persists across events, as the
  // browser's EventSource keeps it for Last-Event-ID.
  lastEventId = "";
  // The last valid `retry:` in milliseconds, or undefined while the stream gave none.
  retry: number | undefined = undefined;
  // How many comment lines were seen (keep-alives).
  comments = 0;

  private buffer = "";
  private started = false;
  private skipLf = false;
  private data: string[] = [];
  private type = "";

  // Parses `chunk` and returns the events it completed.
  push(chunk: string): SseEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    let i = 0;
    if (this.skipLf && chunk.length > 0) {
      this.skipLf = false;
      if (chunk[0] === "\n") start = i = 1;
    }
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this.buffer + chunk.slice(start, i);
      this.buffer = "";
      if (c === "\r") {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === "\n") i++;
        } else {
          this.skipLf = true;
        }
      }
      start = i + 1;
      const ev = this.line(line);
      if (ev) events.push(ev);
    }
    this.buffer += chunk.slice(start);
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line[0] === ":") {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value[0] === " ") value = value.slice(1);
    switch (field) {
      case "event":
        this.type = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = "";
    if (data.length === 0) return null;
    return { type: type || "message", data: data.join("\n"), lastEventId: this.lastEventId };
  }
}
