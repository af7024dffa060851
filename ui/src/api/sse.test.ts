import { describe, expect, it } from "vitest";
import { SseParser, type SseEvent } from "./sse";

function parseAll(chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  return { events, parser };
}

const stream =
  "retry: 2000\nevent: hello\ndata: {\"resourceVersion\":\"7\"}\n\n" +
  "id: 8\nevent: change\ndata: {\"name\":\"a\"}\n\n" +
  ": ping\n\n" +
  "event: change\ndata: {\"name\":\"b\"}\n\n";

describe("SseParser", () => {
  it("parses fields, ids and retry", () => {
    const { events, parser } = parseAll([stream]);
    expect(events).toEqual([
      { type: "hello", data: '{"resourceVersion":"7"}', lastEventId: "" },
      { type: "change", data: '{"name":"a"}', lastEventId: "8" },
      // no id of its own: the last one stays in effect
      { type: "change", data: '{"name":"b"}', lastEventId: "8" },
    ]);
    expect(parser.retry).toBe(2000);
    expect(parser.lastEventId).toBe("8");
    expect(parser.comments).toBe(1);
  });

  it("gives the same events however the text is split", () => {
    const whole = parseAll([stream]).events;
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(parseAll(chunks).events).toEqual(whole);
    }
  });

  it("holds an unfinished event until its blank line", () => {
    const p = new SseParser();
    expect(p.push("event: change\nda")).toEqual([]);
    expect(p.push("ta: x\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ type: "change", data: "x", lastEventId: "" }]);
  });

  it("accepts CRLF and lone CR line ends, also split between chunks", () => {
    const crlf = stream.replace(/\n/g, "\r\n");
    const cr = stream.replace(/\n/g, "\r");
    const whole = parseAll([stream]).events;
    expect(parseAll([crlf]).events).toEqual(whole);
    expect(parseAll([cr]).events).toEqual(whole);
    // "\r" ends one chunk and "\n" starts the next: one line end, not a blank line
    expect(parseAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"]).events).toEqual([
      { type: "message", data: "a\nb", lastEventId: "" },
    ]);
  });

  it("joins multi-line data with newlines and keeps empty data lines", () => {
    const { events } = parseAll(["data: one\ndata:two\ndata\ndata:  three\n\n"]);
    expect(events).toEqual([{ type: "message", data: "one\ntwo\n\n three", lastEventId: "" }]);
  });

  it("ignores comments, unknown fields and bad retry values", () => {
    const { events, parser } = parseAll([
      ":hello\n: keep-alive\nfoo: bar\nretry: 1s\ndata: x\n\nretry: 50\n\nretry: -1\n\n",
    ]);
    expect(events).toEqual([{ type: "message", data: "x", lastEventId: "" }]);
    expect(parser.comments).toBe(2);
    expect(parser.retry).toBe(50);
  });

  it("sets the last event id from an event without data, dispatching nothing", () => {
    const p = new SseParser();
    expect(p.push("id: 41\n\n")).toEqual([]);
    expect(p.lastEventId).toBe("41");
    expect(p.push("event: change\n\n")).toEqual([]); // no data: the type is dropped too
    expect(p.push("data: y\n\n")).toEqual([{ type: "message", data: "y", lastEventId: "41" }]);
    p.push("id\n\n"); // an empty id resets it
    expect(p.lastEventId).toBe("");
    p.push("id: a\0b\n\n"); // a NUL: ignored
    expect(p.lastEventId).toBe("");
  });

  it("drops a leading byte order mark only", () => {
    expect(parseAll(["\uFEFFdata: a\n\n"]).events[0].data).toBe("a");
    expect(parseAll(["", "\uFEFFdata: a\n\n"]).events[0].data).toBe("a");
    expect(parseAll(["data: \uFEFFa\n\n"]).events[0].data).toBe("\uFEFFa");
  });
});
