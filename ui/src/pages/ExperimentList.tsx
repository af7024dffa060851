export default function ExperimentList() {
  return <h1>ExperimentList</h1>;
}
