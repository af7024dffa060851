// A CodeMirror 6 YAML editor. The text is controlled from outside (`value`), but an edit the
// editor itself made is not written back into it; `diagnostics` are shown with
// @codemirror/lint (underline, gutter marker, hover), and `jumpTo` moves the cursor.
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";
import { basicSetup, EditorView } from "codemirror";
import { EditorState } from "@codemirror/state";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

export interface YamlEditorHandle {
  jumpTo: (from: number, to?: number) => void;
}

interface Props {
  value: string;
  onChange: (text: string) => void;
  diagnostics: Diagnostic[];
  label: string;
}

// Colours from the page's CSS variables, so the editor follows the light/dark theme.
const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "var(--syn-key)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--syn-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.keyword], color: "var(--syn-number)" },
  { tag: [tags.comment, tags.lineComment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: [tags.meta, tags.punctuation, tags.separator], color: "var(--muted)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--bg)", color: "var(--fg)", fontSize: "13px" },
  ".cm-content": { fontFamily: "var(--mono)", caretColor: "var(--fg)" },
  ".cm-gutters": { backgroundColor: "var(--panel)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--row-hover)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--row-focus)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--fg)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--row-focus) !important",
  },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--fg)", border: "1px solid var(--border)" },
  ".cm-diagnostic": { whiteSpace: "pre-wrap", maxWidth: "40rem" },
});

const YamlEditor = forwardRef<YamlEditorHandle, Props>(function YamlEditor(props, ref) {
  const { value, onChange, diagnostics, label } = props;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          yaml(),
          syntaxHighlighting(highlight),
          lintGutter(),
          theme,
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is created once; later values arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value from outside (an example picked, a form edit) replaces the text.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const current = v.state.doc.toString();
    if (current === value) return;
    v.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const len = v.state.doc.length;
    const clamped = diagnostics.map((d) => ({
      ...d,
      from: Math.min(d.from, len),
      to: Math.min(Math.max(d.to, d.from), len),
    }));
    v.dispatch(setDiagnostics(v.state, clamped));
  }, [diagnostics]);

  useImperativeHandle(ref, () => ({
    jumpTo(from: number, to?: number) {
      const v = view.current;
      if (!v) return;
      const len = v.state.doc.length;
      const anchor = Math.min(from, len);
      v.dispatch({
        selection: { anchor, head: Math.min(to ?? anchor, len) },
        effects: EditorView.scrollIntoView(anchor, { y: "center" }),
      });
      v.focus();
    },
  }));

  return <div ref={host} className="yaml-editor" data-testid="yaml-editor" />;
});

export default YamlEditor;
