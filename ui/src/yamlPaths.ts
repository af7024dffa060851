// Katib field paths (as its validation reports them: `spec.parameters[1].feasibleSpace.min`,
// `metadata.labels[app.kubernetes.io/name]`) mapped to where they are in a YAML source, so a
// finding can be marked at its line. A path the document lacks maps to its nearest present
// ancestor (a missing `objectiveMetricName` → the `objective:` key).
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";

export type PathSegment = string | number;

// Splits a field path into keys and indices. A bracket holds a sequence index (`[2]`), or a
// map key, bare (`[app.kubernetes.io/name]`, Kubernetes' form) or quoted (`["a.b"]`, `['a']`).
// A number in brackets stays a number; the document decides whether it indexes a sequence.
export function parseFieldPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  let name = "";
  const flush = () => {
    if (name !== "") out.push(name);
    name = "";
  };
  while (i < path.length) {
    const ch = path[i];
    if (ch === ".") {
      flush();
      i++;
    } else if (ch === "[") {
      flush();
      const q = path[i + 1];
      if (q === '"' || q === "'") {
        let j = i + 2;
        let key = "";
        while (j < path.length && path[j] !== q) {
          if (path[j] === "\\" && j + 1 < path.length) j++;
          key += path[j];
          j++;
        }
        out.push(key);
        i = path.indexOf("]", j) + 1 || path.length;
      } else {
        const end = path.indexOf("]", i);
        const inner = end < 0 ? path.slice(i + 1) : path.slice(i + 1, end);
        out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = end < 0 ? path.length : end + 1;
      }
    } else {
      name += ch;
      i++;
    }
  }
  flush();
  return out;
}

export interface SourceLocation {
  from: number; // offsets into the source
  to: number;
  line: number; // 1-based line of `from`
  // The part of the path found in the document: the whole path when `exact`.
  found: PathSegment[];
  exact: boolean;
}

function keyMatches(pair: Pair, key: PathSegment): boolean {
  const k = pair.key;
  const value = isScalar(k) ? k.value : k;
  return value !== null && value !== undefined && String(value) === String(key);
}

type Range = [number, number];

// The range to mark for a node: a scalar whole, a collection only on its first line (its
// first line is where a reader looks, and a multi-line squiggle hides the text).
function markRange(src: string, node: Node | null | undefined): Range | undefined {
  if (!node?.range) return undefined;
  const [start, valueEnd] = node.range;
  if (isScalar(node)) return [start, Math.max(valueEnd, start)];
  const nl = src.indexOf("\n", start);
  return [start, nl < 0 || nl > valueEnd ? valueEnd : nl];
}

function lineEnd(src: string, from: number): number {
  const nl = src.indexOf("\n", from);
  return nl < 0 ? src.length : nl;
}

// Where `path` is in `doc` (parsed from `src`). An empty path is the whole document.
export function locatePath(doc: Document, src: string, path: PathSegment[]): SourceLocation {
  const counter = lineOf(src);
  let node: unknown = doc.contents;
  // The range to report if the walk stops here: the key of the last pair passed (so
  // `objective:`) or the item of the last sequence passed.
  let best: Range | undefined = markRange(src, doc.contents as Node | null);
  const found: PathSegment[] = [];
  for (const seg of path) {
    let next: unknown = undefined;
    let here: Range | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyMatches(p, seg));
      if (pair && isPair(pair)) {
        next = pair.value;
        const keyNode = pair.key as Node | null;
        const valueNode = pair.value as Node | null;
        // A scalar value marks the value itself (`-2` in `maxTrialCount: -2`); a collection
        // or an empty value marks the key's line.
        if (isScalar(valueNode) && valueNode.range && valueNode.range[1] > valueNode.range[0]) {
          here = markRange(src, valueNode);
        } else if (keyNode?.range) {
          here = [keyNode.range[0], lineEnd(src, keyNode.range[0])];
        }
      }
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item !== undefined) {
        next = item;
        here = markRange(src, item as Node);
      }
    }
    if (next === undefined && here === undefined) break;
    found.push(seg);
    node = next;
    if (here) best = here;
  }
  const [from, to] = best ?? [0, lineEnd(src, 0)];
  return { from, to: Math.max(to, from), line: counter(from), found, exact: found.length === path.length };
}

function lineOf(src: string): (offset: number) => number {
  const lc = new LineCounter();
  let pos = 0;
  lc.addNewLine(0);
  for (;;) {
    const nl = src.indexOf("\n", pos);
    if (nl < 0) break;
    lc.addNewLine(nl + 1);
    pos = nl + 1;
  }
  return (offset) => lc.linePos(offset).line;
}

// Convenience: parse `src` and locate a field path string in it.
export function locateField(src: string, field: string): SourceLocation {
  const doc = parseDocument(src, { keepSourceTokens: true });
  return locatePath(doc, src, parseFieldPath(field));
}

export interface SyntaxProblem {
  from: number;
  to: number;
  line: number;
  message: string;
  severity: "error" | "warning";
}

// The YAML parser's own errors and warnings (bad indentation, duplicate keys, tabs...).
export function yamlProblems(doc: Document, src: string): SyntaxProblem[] {
  const counter = lineOf(src);
  const toProblem = (e: { pos: [number, number]; message: string }, severity: "error" | "warning") => {
    const from = Math.min(e.pos[0], src.length);
    const to = Math.min(Math.max(e.pos[1], from), src.length);
    // The parser's message ends with a code excerpt after a blank line; keep the first part.
    return { from, to, line: counter(from), message: e.message.split("\n\n")[0].replace(/\s+at line \d+, column \d+:?$/, ""), severity };
  };
  return [
    ...doc.errors.map((e) => toProblem(e, "error")),
    ...doc.warnings.map((e) => toProblem(e, "warning")),
  ];
}
