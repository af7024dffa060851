#include "webhook/pod_mutation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ktune::webhook {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPrimary[] = "training-container";

json BasePod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"generateName": "exp-abc-", "namespace": "team-ns",
                 "labels": {"job-name": "exp-abc", "training.kubeflow.org/job-role": "master"}},
    "spec": {
      "restartPolicy": "Never",
      "containers": [{
        "name": "training-container", "image": "docker.io/acme/train:1",
        "command": ["python3", "/opt/train.py"], "args": ["--lr=0.1", "--epochs=2"],
        "securityContext": {"runAsUser": 1000}
      }]
    }
  })");
}

PodTrial MakeTrial(const std::string& kind) {
  PodTrial owner;
  core::Trial& t = owner.trial;
  t.metadata.name = "exp-abc";
  t.metadata.namespace_ = "team-ns";
  t.metadata.labels = {{"katib.kubeflow.org/experiment", "exp"}, {"team", "vision"}};
  t.spec.objective.type = "maximize";
  t.spec.objective.objective_metric_name = "accuracy";
  t.spec.objective.additional_metric_names = {"loss", "f1"};
  t.spec.primary_container_name = kPrimary;
  t.spec.metrics_collector.kind = kind;
  owner.algorithm_name = "random";
  return owner;
}

InjectionConfig MakeConfig() {
  InjectionConfig config;
  config.collectors["StdOut"].image = "ghcr.io/kubeflow/katib/file-metrics-collector:v1";
  config.collectors["File"].image = "ghcr.io/kubeflow/katib/file-metrics-collector:v1";
  config.collectors["TensorFlowEvent"].image =
      "ghcr.io/kubeflow/katib/tfevent-metrics-collector:v1";
  config.collectors["TensorFlowEvent"].resources = json::parse(R"({"limits": {"memory": "1Gi"}})");
  config.collectors["PrometheusMetric"].image = "acme/prometheus-collector:v1";
  return config;
}

json MustMutate(const json& pod, const PodTrial& owner, const InjectionConfig& config) {
  absl::StatusOr<json> mutated = MutatedPod(pod, owner, config);
  EXPECT_TRUE(mutated.ok()) << mutated.status();
  return mutated.ok() ? *mutated : json();
}

std::vector<std::string> Strings(const json& list) {
  return list.is_array() ? list.get<std::vector<std::string>>() : std::vector<std::string>{};
}

// The patch Kubernetes will apply must turn the original pod into MutatedPod, and use only
// operations and pointers that its JSON-patch applier understands.
void ExpectPatchReproducesMutatedPod(const json& pod, const PodTrial& owner,
                                     const InjectionConfig& config) {
  absl::StatusOr<json> patch = MutatePod(pod, owner, config);
  ASSERT_TRUE(patch.ok()) << patch.status();
  ASSERT_TRUE(patch->is_array());
  EXPECT_FALSE(patch->empty());
  for (const json& op : *patch) {
    EXPECT_THAT(op["op"].get<std::string>(), ::testing::AnyOf("add", "replace", "remove")) << op;
    EXPECT_EQ(op["path"].get<std::string>().rfind("/", 0), 0u) << op;
  }
  EXPECT_EQ(pod.patch(*patch), MustMutate(pod, owner, config)) << patch->dump(2);
}

const json kTrialNameEnv = json::parse(R"({
  "name": "KATIB_TRIAL_NAME",
  "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['katib.kubeflow.org/trial']"}}
})");

const json kDefaultResources = json::parse(R"({
  "requests": {"cpu": "50m", "memory": "10Mi", "ephemeral-storage": "500Mi"},
  "limits": {"cpu": "500m", "memory": "100Mi", "ephemeral-storage": "5Gi"}
})");

// ---- one row per collector kind -------------------------------------------------------------

struct KindCase {
  std::string test_name;
  std::string kind;
  std::optional<core::FileSystemPath> file_system_path;
  std::optional<std::vector<std::string>> filters;
  std::optional<json> custom_collector;
  // Expected:
  std::string sidecar_name;
  std::string sidecar_image;                 // empty for Custom (the user's container)
  std::vector<std::string> sidecar_args;     // ignored for Custom
  std::optional<std::string> metrics_mount;  // metrics-volume mount point, none if nullopt
  std::vector<std::string> primary_command;  // after wrapping
  std::vector<std::string> primary_args;
};

// Readable test names in CTest instead of gtest's byte dump.
void PrintTo(const KindCase& c, std::ostream* os) { *os << c.test_name; }

const std::vector<std::string> kOriginalCommand = {"python3", "/opt/train.py"};
const std::vector<std::string> kOriginalArgs = {"--lr=0.1", "--epochs=2"};

std::vector<KindCase> KindCases() {
  const json custom = json::parse(R"({
    "name": "my-collector", "image": "acme/collector:2", "args": ["--report", "db"]
  })");
  return {
      {"StdOut",
       "StdOut",
       std::nullopt,
       std::nullopt,
       std::nullopt,
       "metrics-logger-and-collector",
       "ghcr.io/kubeflow/katib/file-metrics-collector:v1",
       {"-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
        "katib-db-manager.kubeflow:6789", "-path", "/var/log/katib/metrics.log", "-format", "TEXT"},
       "/var/log/katib",
       {"sh", "-c"},
       {"python3 /opt/train.py --lr=0.1 --epochs=2 1>/var/log/katib/metrics.log 2>&1 && "
        "echo completed > /var/log/katib/$$$$.pid"}},
      {"FileText",
       "File",
       core::FileSystemPath{"/tmp/out/metrics.txt", "File", "TEXT"},
       std::vector<std::string>{R"({metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)})",
                                R"(([\w-]+)=(Genotype.*))"},
       std::nullopt,
       "metrics-logger-and-collector",
       "ghcr.io/kubeflow/katib/file-metrics-collector:v1",
       {"-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
        "katib-db-manager.kubeflow:6789", "-path", "/tmp/out/metrics.txt", "-f",
        R"({metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)};([\w-]+)=(Genotype.*))",
        "-format", "TEXT"},
       "/tmp/out",
       {"sh", "-c"},
       {"python3 /opt/train.py --lr=0.1 --epochs=2 && echo completed > /tmp/out/$$$$.pid"}},
      {"FileJson",
       "File",
       core::FileSystemPath{"/katib/train.json", "File", "JSON"},
       std::nullopt,
       std::nullopt,
       "metrics-logger-and-collector",
       "ghcr.io/kubeflow/katib/file-metrics-collector:v1",
       {"-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
        "katib-db-manager.kubeflow:6789", "-path", "/katib/train.json", "-format", "JSON"},
       "/katib",
       {"sh", "-c"},
       {"python3 /opt/train.py --lr=0.1 --epochs=2 && echo completed > /katib/$$$$.pid"}},
      {"TensorFlowEvent",
       "TensorFlowEvent",
       core::FileSystemPath{"/var/log/katib/tfevent/", "Directory", ""},
       std::nullopt,
       std::nullopt,
       "metrics-collector",
       "ghcr.io/kubeflow/katib/tfevent-metrics-collector:v1",
       {"-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
        "katib-db-manager.kubeflow:6789", "-path", "/var/log/katib/tfevent/"},
       "/var/log/katib/tfevent/",
       {"sh", "-c"},
       {"python3 /opt/train.py --lr=0.1 --epochs=2 && "
        "echo completed > /var/log/katib/tfevent/$$$$.pid"}},
      {"CustomDirectory",
       "Custom",
       core::FileSystemPath{"/metrics", "Directory", ""},
       std::nullopt,
       custom,
       "my-collector",
       "",
       {},
       "/metrics",
       kOriginalCommand,
       kOriginalArgs},
      {"CustomFile",
       "Custom",
       core::FileSystemPath{"/out/log/m.txt", "File", "TEXT"},
       std::nullopt,
       custom,
       "my-collector",
       "",
       {},
       "/out/log",
       kOriginalCommand,
       kOriginalArgs},
      {"CustomNoSource",
       "Custom",
       std::nullopt,
       std::nullopt,
       custom,
       "my-collector",
       "",
       {},
       std::nullopt,
       kOriginalCommand,
       kOriginalArgs},
      {"PrometheusMetric",
       "PrometheusMetric",
       std::nullopt,
       std::nullopt,
       std::nullopt,
       "metrics-collector",
       "acme/prometheus-collector:v1",
       {"-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
        "katib-db-manager.kubeflow:6789"},
       std::nullopt,
       kOriginalCommand,
       kOriginalArgs},
  };
}

class PodMutationKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(PodMutationKindTest, MutatesPrimaryPod) {
  const KindCase& c = GetParam();
  PodTrial owner = MakeTrial(c.kind);
  owner.trial.spec.metrics_collector.file_system_path = c.file_system_path;
  owner.trial.spec.metrics_collector.metrics_format = c.filters;
  owner.trial.spec.metrics_collector.custom_collector = c.custom_collector;
  const json pod = BasePod();
  const json mutated = MustMutate(pod, owner, MakeConfig());

  EXPECT_EQ(mutated["metadata"]["labels"], json::parse(R"({
    "job-name": "exp-abc", "training.kubeflow.org/job-role": "master",
    "katib.kubeflow.org/experiment": "exp", "team": "vision",
    "katib.kubeflow.org/trial": "exp-abc"})"));
  EXPECT_EQ(mutated["spec"]["shareProcessNamespace"], true);
  ASSERT_EQ(mutated["spec"]["containers"].size(), 2u);

  const json& primary = mutated["spec"]["containers"][0];
  EXPECT_EQ(primary["name"], kPrimary);
  EXPECT_EQ(primary["env"], json::array({kTrialNameEnv}));
  EXPECT_EQ(Strings(primary["command"]), c.primary_command);
  EXPECT_EQ(Strings(primary["args"]), c.primary_args);

  const json& sidecar = mutated["spec"]["containers"][1];
  EXPECT_EQ(sidecar["name"], c.sidecar_name);
  if (c.kind == "Custom") {
    json expected = *c.custom_collector;
    if (c.metrics_mount) {
      expected["volumeMounts"] =
          json::array({{{"name", "metrics-volume"}, {"mountPath", *c.metrics_mount}}});
    }
    EXPECT_EQ(sidecar, expected);
  } else {
    EXPECT_EQ(sidecar["image"], c.sidecar_image);
    EXPECT_EQ(sidecar["imagePullPolicy"], "IfNotPresent");
    EXPECT_EQ(Strings(sidecar["args"]), c.sidecar_args);
    EXPECT_FALSE(sidecar.contains("securityContext"));
    EXPECT_FALSE(sidecar.contains("command"));
  }

  if (c.metrics_mount) {
    const json mount = {{"name", "metrics-volume"}, {"mountPath", *c.metrics_mount}};
    EXPECT_EQ(primary["volumeMounts"], json::array({mount}));
    EXPECT_EQ(sidecar["volumeMounts"], json::array({mount}));
    EXPECT_EQ(mutated["spec"]["volumes"],
              json::parse(R"([{"name": "metrics-volume", "emptyDir": {}}])"));
  } else {
    EXPECT_FALSE(primary.contains("volumeMounts"));
    EXPECT_FALSE(sidecar.contains("volumeMounts"));
    EXPECT_FALSE(mutated["spec"].contains("volumes"));
  }
  // Nothing else in the pod changes.
  EXPECT_EQ(mutated["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(mutated["metadata"]["generateName"], "exp-abc-");

  ExpectPatchReproducesMutatedPod(pod, owner, MakeConfig());
}

INSTANTIATE_TEST_SUITE_P(Kinds, PodMutationKindTest, ::testing::ValuesIn(KindCases()),
                         [](const ::testing::TestParamInfo<KindCase>& info) {
                           return info.param.test_name;
                         });

TEST(PodMutationTest, PushAddsOnlyLabelsAndEnv) {
  const json pod = BasePod();
  const json mutated = MustMutate(pod, MakeTrial("Push"), InjectionConfig{});
  json expected = pod;
  expected["metadata"]["labels"]["katib.kubeflow.org/experiment"] = "exp";
  expected["metadata"]["labels"]["team"] = "vision";
  expected["metadata"]["labels"]["katib.kubeflow.org/trial"] = "exp-abc";
  expected["spec"]["containers"][0]["env"] = json::array({kTrialNameEnv});
  EXPECT_EQ(mutated, expected);
  ExpectPatchReproducesMutatedPod(pod, MakeTrial("Push"), InjectionConfig{});
}

TEST(PodMutationTest, PatchEscapesLabelKeysAndAppendsToArrays) {
  json pod = BasePod();
  pod["spec"]["containers"][0]["env"] = json::array({{{"name", "A"}, {"value", "1"}}});
  absl::StatusOr<json> patch = MutatePod(pod, MakeTrial("StdOut"), MakeConfig());
  ASSERT_TRUE(patch.ok()) << patch.status();
  EXPECT_THAT(
      patch->dump(),
      HasSubstr(
          R"({"op":"add","path":"/metadata/labels/katib.kubeflow.org~1trial","value":"exp-abc"})"));
  EXPECT_THAT(patch->dump(), HasSubstr(R"("op":"add","path":"/spec/containers/0/env/-")"));
  EXPECT_THAT(patch->dump(), HasSubstr(R"("op":"add","path":"/spec/containers/-")"));
  EXPECT_THAT(patch->dump(),
              HasSubstr(R"("op":"add","path":"/spec/shareProcessNamespace","value":true)"));
  EXPECT_EQ(pod.patch(*patch), MustMutate(pod, MakeTrial("StdOut"), MakeConfig()));
}

TEST(PodMutationTest, PodWithoutLabelsOrVolumes) {
  json pod = BasePod();
  pod["metadata"].erase("labels");
  pod["spec"]["shareProcessNamespace"] = false;
  const json mutated = MustMutate(pod, MakeTrial("StdOut"), MakeConfig());
  EXPECT_EQ(mutated["metadata"]["labels"]["katib.kubeflow.org/trial"], "exp-abc");
  EXPECT_EQ(mutated["spec"]["shareProcessNamespace"], true);
  ExpectPatchReproducesMutatedPod(pod, MakeTrial("StdOut"), MakeConfig());
}

TEST(PodMutationTest, ExistingVolumesAndMountsAreKept) {
  json pod = BasePod();
  pod["spec"]["volumes"] = json::parse(R"([{"name": "data", "emptyDir": {}}])");
  pod["spec"]["containers"][0]["volumeMounts"] =
      json::parse(R"([{"name": "data", "mountPath": "/data"}])");
  const json mutated = MustMutate(pod, MakeTrial("StdOut"), MakeConfig());
  EXPECT_EQ(mutated["spec"]["volumes"], json::parse(R"([
    {"name": "data", "emptyDir": {}},
    {"name": "metrics-volume", "emptyDir": {}}])"));
  EXPECT_EQ(mutated["spec"]["containers"][0]["volumeMounts"],
            json::parse(R"([{"name": "data", "mountPath": "/data"},
                            {"name": "metrics-volume", "mountPath": "/var/log/katib"}])"));
  ExpectPatchReproducesMutatedPod(pod, MakeTrial("StdOut"), MakeConfig());
}

// ---- sidecar container details --------------------------------------------------------------

TEST(PodMutationTest, SidecarResourcesDefaultAndMerge) {
  const json pod = BasePod();
  json mutated = MustMutate(pod, MakeTrial("StdOut"), MakeConfig());
  EXPECT_EQ(mutated["spec"]["containers"][1]["resources"], kDefaultResources);

  // Katib fills each missing quantity; configured ones stay.
  mutated = MustMutate(pod, MakeTrial("TensorFlowEvent"), MakeConfig());
  EXPECT_EQ(mutated["spec"]["containers"][1]["resources"], json::parse(R"({
    "requests": {"cpu": "50m", "memory": "10Mi", "ephemeral-storage": "500Mi"},
    "limits": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "5Gi"}})"));
}

TEST(PodMutationTest, SidecarPullPolicyAndWaitAllProcesses) {
  InjectionConfig config = MakeConfig();
  config.collectors["StdOut"].image_pull_policy = "Always";
  config.collectors["StdOut"].wait_all_processes = false;
  config.collectors["File"].image_pull_policy = "Sometimes";  // not a policy: Katib's default
  config.collectors["File"].wait_all_processes = true;
  config.db_manager_address = "db.katib-system:6789";

  json sidecar = MustMutate(BasePod(), MakeTrial("StdOut"), config)["spec"]["containers"][1];
  EXPECT_EQ(sidecar["imagePullPolicy"], "Always");
  EXPECT_THAT(Strings(sidecar["args"]),
              ElementsAre("-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
                          "db.katib-system:6789", "-path", "/var/log/katib/metrics.log", "-format",
                          "TEXT", "-w", "false"));

  sidecar = MustMutate(BasePod(), MakeTrial("File"), config)["spec"]["containers"][1];
  EXPECT_EQ(sidecar["imagePullPolicy"], "IfNotPresent");
  EXPECT_THAT(Strings(sidecar["args"]),
              ElementsAre("-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
                          "db.katib-system:6789", "-path", "/var/log/katib/metrics.log", "-format",
                          "TEXT", "-w", "true"));
}

TEST(PodMutationTest, SecurityContextCopiedFromFirstContainerWhenEnabled) {
  InjectionConfig config = MakeConfig();
  config.inject_security_context = true;
  json sidecar = MustMutate(BasePod(), MakeTrial("StdOut"), config)["spec"]["containers"][1];
  EXPECT_EQ(sidecar["securityContext"], json::parse(R"({"runAsUser": 1000})"));

  json pod = BasePod();
  pod["spec"]["containers"][0].erase("securityContext");
  sidecar = MustMutate(pod, MakeTrial("StdOut"), config)["spec"]["containers"][1];
  EXPECT_FALSE(sidecar.contains("securityContext"));
}

TEST(PodMutationTest, ObjectiveOnlyMetricNames) {
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.spec.objective.additional_metric_names.clear();
  owner.trial.spec.objective.type = "minimize";
  owner.trial.spec.objective.objective_metric_name = "loss";
  json sidecar = MustMutate(BasePod(), owner, MakeConfig())["spec"]["containers"][1];
  EXPECT_THAT(Strings(sidecar["args"]),
              ElementsAre("-t", "exp-abc", "-m", "loss", "-o-type", "minimize", "-s-db",
                          "katib-db-manager.kubeflow:6789", "-path", "/var/log/katib/metrics.log",
                          "-format", "TEXT"));
}

// ---- command wrapping -----------------------------------------------------------------------

struct WrapCase {
  std::string test_name;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::string> want_command;
  std::string want_args;
};

void PrintTo(const WrapCase& c, std::ostream* os) { *os << c.test_name; }

class PodMutationWrapTest : public ::testing::TestWithParam<WrapCase> {};

TEST_P(PodMutationWrapTest, WrapsStdOutCommand) {
  const WrapCase& c = GetParam();
  json pod = BasePod();
  pod["spec"]["containers"][0]["command"] = c.command;
  if (c.args.empty()) {
    pod["spec"]["containers"][0].erase("args");
  } else {
    pod["spec"]["containers"][0]["args"] = c.args;
  }
  const json primary = MustMutate(pod, MakeTrial("StdOut"), MakeConfig())["spec"]["containers"][0];
  EXPECT_EQ(Strings(primary["command"]), c.want_command);
  EXPECT_EQ(Strings(primary["args"]), std::vector<std::string>{c.want_args});
  ExpectPatchReproducesMutatedPod(pod, MakeTrial("StdOut"), MakeConfig());
}

INSTANTIATE_TEST_SUITE_P(
    Commands, PodMutationWrapTest,
    ::testing::Values(
        WrapCase{"ShDashC",
                 {"sh", "-c"},
                 {"python3 train.py --lr=0.1"},
                 {"sh", "-c"},
                 "python3 train.py --lr=0.1 1>/var/log/katib/metrics.log 2>&1 && "
                 "echo completed > /var/log/katib/$$$$.pid"},
        WrapCase{"BashDashCInCommand",
                 {"bash", "-c", "cd /app && python3 train.py"},
                 {},
                 {"bash", "-c"},
                 "cd /app && python3 train.py 1>/var/log/katib/metrics.log 2>&1 && "
                 "echo completed > /var/log/katib/$$$$.pid"},
        WrapCase{"BashWithoutDashC",
                 {"bash", "run.sh"},
                 {"--fast"},
                 {"sh", "-c"},
                 "bash run.sh --fast 1>/var/log/katib/metrics.log 2>&1 && "
                 "echo completed > /var/log/katib/$$$$.pid"},
        WrapCase{
            "LoneSh",
            {"sh"},
            {},
            {"sh", "-c"},
            "sh 1>/var/log/katib/metrics.log 2>&1 && echo completed > /var/log/katib/$$$$.pid"},
        WrapCase{"CommandOnly",
                 {"/usr/bin/train"},
                 {},
                 {"sh", "-c"},
                 "/usr/bin/train 1>/var/log/katib/metrics.log 2>&1 && "
                 "echo completed > /var/log/katib/$$$$.pid"}),
    [](const ::testing::TestParamInfo<WrapCase>& info) { return info.param.test_name; });

TEST(PodMutationTest, EmptyCommandIsRejected) {
  json pod = BasePod();
  pod["spec"]["containers"][0].erase("command");
  absl::StatusOr<json> patch = MutatePod(pod, MakeTrial("StdOut"), MakeConfig());
  ASSERT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(patch.status().message(), HasSubstr("training-container"));
  EXPECT_THAT(patch.status().message(), HasSubstr("docker.io/acme/train:1"));
  EXPECT_THAT(patch.status().message(), HasSubstr("entrypoint"));
  EXPECT_THAT(patch.status().message(), HasSubstr("set command"));

  // Kinds that do not wrap do not need a command.
  EXPECT_TRUE(MutatePod(pod, MakeTrial("PrometheusMetric"), MakeConfig()).ok());
  EXPECT_TRUE(MutatePod(pod, MakeTrial("Push"), MakeConfig()).ok());
}

// ---- early stopping -------------------------------------------------------------------------

TEST(PodMutationTest, EarlyStoppingRulesStdOut) {
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.spec.early_stopping_rules = {{"accuracy", "0.7", "less", 4},
                                           {"loss", "2.5", "greater", 0}};
  const json pod = BasePod();
  const json mutated = MustMutate(pod, owner, MakeConfig());
  EXPECT_THAT(Strings(mutated["spec"]["containers"][1]["args"]),
              ElementsAre("-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
                          "katib-db-manager.kubeflow:6789", "-path", "/var/log/katib/metrics.log",
                          "-format", "TEXT", "-stop-rule", "accuracy;0.7;less;4", "-stop-rule",
                          "loss;2.5;greater;0", "-s-earlystop", "exp-random.team-ns:6788"));
  const json& primary = mutated["spec"]["containers"][0];
  EXPECT_EQ(Strings(primary["command"]), (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(Strings(primary["args"]),
            std::vector<std::string>{
                "python3 /opt/train.py --lr=0.1 --epochs=2 1>/var/log/katib/metrics.log 2>&1 || "
                "if test -f /var/log/katib/$$$$.pid && [ $(head -n 1 /var/log/katib/$$.pid) = "
                "early-stopped ]; then echo Training Container was Early Stopped; else echo "
                "Training Container was Failed; exit 1; fi && echo completed > "
                "/var/log/katib/$$$$.pid"});
  ExpectPatchReproducesMutatedPod(pod, owner, MakeConfig());
}

TEST(PodMutationTest, EarlyStoppingRulesFileJson) {
  PodTrial owner = MakeTrial("File");
  owner.trial.spec.metrics_collector.file_system_path =
      core::FileSystemPath{"/katib/out/metrics.json", "File", "JSON"};
  owner.trial.spec.early_stopping_rules = {{"accuracy", "0.5", "less", 2}};
  json pod = BasePod();
  pod["spec"]["containers"][0]["command"] = {"sh", "-c"};
  pod["spec"]["containers"][0]["args"] = {"python3 /opt/train.py"};
  const json mutated = MustMutate(pod, owner, MakeConfig());
  EXPECT_THAT(Strings(mutated["spec"]["containers"][1]["args"]),
              ElementsAre("-t", "exp-abc", "-m", "accuracy;loss;f1", "-o-type", "maximize", "-s-db",
                          "katib-db-manager.kubeflow:6789", "-path", "/katib/out/metrics.json",
                          "-format", "JSON", "-stop-rule", "accuracy;0.5;less;2", "-s-earlystop",
                          "exp-random.team-ns:6788"));
  EXPECT_EQ(Strings(mutated["spec"]["containers"][0]["args"]),
            std::vector<std::string>{
                "python3 /opt/train.py || if test -f /katib/out/$$$$.pid && [ $(head -n 1 "
                "/katib/out/$$.pid) = early-stopped ]; then echo Training Container was Early "
                "Stopped; else echo Training Container was Failed; exit 1; fi && echo completed > "
                "/katib/out/$$$$.pid"});
}

TEST(PodMutationTest, EarlyStoppingNeedsExperimentLabel) {
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.metadata.labels.erase("katib.kubeflow.org/experiment");
  owner.trial.spec.early_stopping_rules = {{"accuracy", "0.7", "less", 4}};
  absl::StatusOr<json> patch = MutatePod(BasePod(), owner, MakeConfig());
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(patch.status().message(), HasSubstr("katib.kubeflow.org/experiment"));
}

// ---- suggestion volume (PBT) ----------------------------------------------------------------

TEST(PodMutationTest, SuggestionTrialDirMountsSuggestionVolume) {
  PodTrial owner = MakeTrial("StdOut");
  owner.algorithm_name = "pbt";
  owner.suggestion_trial_dir = "/var/log/katib/checkpoints/";
  const json pod = BasePod();
  const json mutated = MustMutate(pod, owner, MakeConfig());
  EXPECT_EQ(mutated["spec"]["volumes"], json::parse(R"([
    {"name": "suggestion-volume", "persistentVolumeClaim": {"claimName": "exp-pbt"}},
    {"name": "metrics-volume", "emptyDir": {}}])"));
  EXPECT_EQ(mutated["spec"]["containers"][0]["volumeMounts"], json::parse(R"([
    {"name": "suggestion-volume", "mountPath": "/var/log/katib/checkpoints/",
     "subPath": "exp/exp-abc"},
    {"name": "metrics-volume", "mountPath": "/var/log/katib"}])"));
  EXPECT_EQ(mutated["spec"]["containers"][1]["volumeMounts"],
            json::parse(R"([{"name": "metrics-volume", "mountPath": "/var/log/katib"}])"));
  ExpectPatchReproducesMutatedPod(pod, owner, MakeConfig());
}

// ---- which pods -----------------------------------------------------------------------------

TEST(PodMutationTest, NonPrimaryPodGetsLabelsAndEnvOnly) {
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.spec.primary_pod_labels = {{"training.kubeflow.org/job-role", "master"}};
  json worker = BasePod();
  worker["metadata"]["labels"]["training.kubeflow.org/job-role"] = "worker";
  const json mutated = MustMutate(worker, owner, MakeConfig());
  json expected = worker;
  expected["metadata"]["labels"]["katib.kubeflow.org/experiment"] = "exp";
  expected["metadata"]["labels"]["team"] = "vision";
  expected["metadata"]["labels"]["katib.kubeflow.org/trial"] = "exp-abc";
  expected["spec"]["containers"][0]["env"] = json::array({kTrialNameEnv});
  EXPECT_EQ(mutated, expected);
  ExpectPatchReproducesMutatedPod(worker, owner, MakeConfig());

  // A pod without the label at all is not primary either.
  json unlabeled = BasePod();
  unlabeled["metadata"]["labels"].erase("training.kubeflow.org/job-role");
  EXPECT_EQ(MustMutate(unlabeled, owner, MakeConfig())["spec"]["containers"].size(), 1u);

  // The master pod gets the sidecar.
  const json master = MustMutate(BasePod(), owner, MakeConfig());
  ASSERT_EQ(master["spec"]["containers"].size(), 2u);
  EXPECT_EQ(master["spec"]["containers"][1]["name"], "metrics-logger-and-collector");
}

TEST(PodMutationTest, PrimaryPodLabelsMatchOriginalPodLabelsNotTrialLabels) {
  // The filter looks at the pod as created; the Trial's labels are merged after.
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.spec.primary_pod_labels = {{"team", "vision"}};
  EXPECT_EQ(MustMutate(BasePod(), owner, MakeConfig())["spec"]["containers"].size(), 1u);
}

TEST(PodMutationTest, MultiContainerPodMountsOnlyPrimaryAndSidecar) {
  json pod = BasePod();
  pod["spec"]["containers"].insert(pod["spec"]["containers"].begin(),
                                   json::parse(R"({"name": "proxy", "image": "envoy:1"})"));
  const json mutated = MustMutate(pod, MakeTrial("StdOut"), MakeConfig());
  ASSERT_EQ(mutated["spec"]["containers"].size(), 3u);
  EXPECT_EQ(mutated["spec"]["containers"][0], pod["spec"]["containers"][0]);
  EXPECT_EQ(mutated["spec"]["containers"][1]["env"], json::array({kTrialNameEnv}));
  EXPECT_EQ(Strings(mutated["spec"]["containers"][1]["command"]),
            (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(mutated["spec"]["containers"][2]["name"], "metrics-logger-and-collector");
  ExpectPatchReproducesMutatedPod(pod, MakeTrial("StdOut"), MakeConfig());
}

// ---- errors ---------------------------------------------------------------------------------

TEST(PodMutationTest, MissingPrimaryContainer) {
  json pod = BasePod();
  pod["spec"]["containers"][0]["name"] = "main";
  pod["spec"]["containers"].push_back(json::parse(R"({"name": "side", "image": "x"})"));
  for (const char* kind : {"StdOut", "Push"}) {
    absl::StatusOr<json> patch = MutatePod(pod, MakeTrial(kind), MakeConfig());
    EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(patch.status().message(),
              "Unable to find primary container training-container in mutated pod containers "
              "[main side]");
  }
  // Non-primary pods need the container too (Katib #1544).
  PodTrial owner = MakeTrial("StdOut");
  owner.trial.spec.primary_pod_labels = {{"role", "chief"}};
  EXPECT_EQ(MutatePod(pod, owner, MakeConfig()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PodMutationTest, ContainerNameOfTheWrongTypeIsNamedByItsPath) {
  json pod = BasePod();
  pod["spec"]["containers"].push_back(json::parse(R"({"name": 7, "image": "x"})"));
  absl::StatusOr<json> patch = MutatePod(pod, MakeTrial("StdOut"), MakeConfig());
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(patch.status().message(), "pod spec.containers[1].name: must be a string");
}

TEST(PodMutationTest, PrimaryContainerIsFoundAmongSeveral) {
  json pod = BasePod();
  json first = json::parse(R"({"name": "proxy", "image": "envoy", "command": ["envoy"]})");
  pod["spec"]["containers"].insert(pod["spec"]["containers"].begin(), first);
  absl::StatusOr<json> mutated = MutatedPod(pod, MakeTrial("StdOut"), MakeConfig());
  ASSERT_TRUE(mutated.ok()) << mutated.status();
  const json& containers = (*mutated)["spec"]["containers"];
  ASSERT_EQ(containers.size(), 3u);
  EXPECT_EQ(containers[0], first);  // untouched
  EXPECT_EQ(containers[1]["name"], kPrimary);
  EXPECT_EQ(Strings(containers[1]["command"]), (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(containers[2]["name"], "metrics-logger-and-collector");
}

TEST(PodMutationTest, MissingCollectorConfig) {
  InjectionConfig config = MakeConfig();
  config.collectors.erase("PrometheusMetric");
  absl::StatusOr<json> patch = MutatePod(BasePod(), MakeTrial("PrometheusMetric"), config);
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(patch.status().message(),
            "Failed to find metrics collector config for kind: PrometheusMetric in ConfigMap: "
            "katib-config");

  config.collectors["StdOut"].image = "  ";
  patch = MutatePod(BasePod(), MakeTrial("StdOut"), config);
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(patch.status().message(),
            "Required value for image configuration of metrics collector kind: StdOut");
}

TEST(PodMutationTest, CustomWithoutContainer) {
  absl::StatusOr<json> patch = MutatePod(BasePod(), MakeTrial("Custom"), MakeConfig());
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(patch.status().message(), HasSubstr("customCollector"));
}

TEST(PodMutationTest, MalformedPods) {
  const InjectionConfig config = MakeConfig();
  const PodTrial owner = MakeTrial("StdOut");
  for (const char* text : {R"([])", R"({"metadata": []})", R"({"metadata": {"labels": [1]}})",
                           R"({"spec": {"containers": {}}})", R"({"spec": {"containers": [1]}})",
                           R"({"spec": {"containers": [{"name": "training-container",
                                        "command": "python3 train.py"}]}})",
                           R"({"spec": {"containers": [{"name": "training-container",
                                        "command": ["python3", 1]}]}})",
                           R"({"spec": {"containers": [{"name": "training-container",
                                        "env": {}}]}})"}) {
    absl::StatusOr<json> patch = MutatePod(json::parse(text), owner, config);
    EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace ktune::webhook
