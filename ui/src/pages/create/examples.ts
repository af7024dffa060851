// The repository's examples/*/experiment.yaml, bundled into the UI as seeds for the editor.
const files = import.meta.glob("../../../../examples/*/experiment.yaml", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

export interface Example {
  name: string; // the example's folder, e.g. "quickstart"
  yaml: string;
}

export const EXAMPLES: Example[] = Object.entries(files)
  .map(([path, yaml]) => ({ name: path.split("/").slice(-2, -1)[0], yaml }))
  .sort((a, b) => (a.name === "quickstart" ? -1 : b.name === "quickstart" ? 1 : a.name.localeCompare(b.name)));

export function exampleByName(name: string | null): Example | undefined {
  return EXAMPLES.find((e) => e.name === name) ?? EXAMPLES[0];
}
