export default function ExperimentPage() {
  return <h1>ExperimentPage</h1>;
}
