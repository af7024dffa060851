export default function CreateExperiment() {
  return <h1>CreateExperiment</h1>;
}
