// The ExperimentStore conformance suite (see experiment_store_conformance.h): what every
// backend must do. Each backend instantiates ExperimentStoreConformanceTest.

#include "tests/unit/db-manager/experiment_store_conformance.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/codec.h"
#include "core/experiment.h"
#include "core/time_util.h"
#include "db-manager/experiment_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kConflict[] =
    "the object has been modified; please apply your changes to the latest version and try again";

// A change as text, for readable comparisons: "rev kind type ns/name (experiment) gen".
std::string Show(const Change& c) {
  const char* kind = c.kind == ObjectKind::kExperiment ? "experiment"
                     : c.kind == ObjectKind::kTrial    ? "trial"
                                                       : "suggestion";
  const char* type = c.type == ChangeType::kAdded      ? "Added"
                     : c.type == ChangeType::kModified ? "Modified"
                                                       : "Deleted";
  return absl::StrCat(c.revision, " ", kind, " ", type, " ", c.ns, "/", c.name, " (", c.experiment,
                      ") ", c.generation);
}

std::vector<std::string> Show(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& c : changes) out.push_back(Show(c));
  return out;
}

std::vector<std::string> Keys(const std::vector<core::Experiment>& experiments) {
  std::vector<std::string> keys;
  for (const auto& e : experiments) keys.push_back(e.metadata.namespace_ + "/" + e.metadata.name);
  return keys;
}

std::vector<std::string> SummaryNames(const std::vector<TrialSummary>& summaries) {
  std::vector<std::string> names;
  for (const auto& s : summaries) names.push_back(s.metadata.name);
  return names;
}

bool LooksLikeUuidV4(const std::string& uid) {
  if (uid.size() != 36) return false;
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (uid[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(uid[i]))) return false;
  }
  return uid[14] == '4' && std::string("89abAB").find(uid[19]) != std::string::npos;
}

// ---- experiments ----------------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, ExperimentLifecycle) {
  const core::Experiment foo = MakeExperiment("default", "foo");
  auto created = store_->CreateExperiment(foo);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->metadata.generation, 1);
  EXPECT_GT(Rv(created->metadata), 0);
  EXPECT_TRUE(LooksLikeUuidV4(created->metadata.uid)) << created->metadata.uid;
  EXPECT_TRUE(core::ParseRfc3339(created->metadata.creation_timestamp).has_value())
      << created->metadata.creation_timestamp;
  EXPECT_EQ(created->spec.max_trial_count, 12);

  auto got = store_->GetExperiment("default", "foo");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(core::ExperimentToJson(*got), core::ExperimentToJson(*created));
  // Apart from what the store fills in, it is what was written.
  core::Experiment expected = foo;
  expected.metadata.uid = got->metadata.uid;
  expected.metadata.creation_timestamp = got->metadata.creation_timestamp;
  expected.metadata.resource_version = got->metadata.resource_version;
  expected.metadata.generation = 1;
  EXPECT_EQ(core::ExperimentToJson(*got), core::ExperimentToJson(expected));

  auto dup = store_->CreateExperiment(foo);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "experiment \"default/foo\" already exists");

  auto missing = store_->UpdateExperimentSpec(MakeExperiment("default", "nope"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "experiment \"default/nope\" not found");
  missing = store_->UpdateExperimentStatus(MakeExperiment("default", "nope"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(store_->DeleteExperiment("default", "foo").ok());
  got = store_->GetExperiment("default", "foo");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "experiment \"default/foo\" not found");
  absl::Status again = store_->DeleteExperiment("default", "foo");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("\"default/foo\""));
}

TEST_P(ExperimentStoreConformanceTest, CreateKeepsAGivenUidAndTimestampAndMakesUniqueOnes) {
  core::Experiment given = MakeExperiment("default", "given");
  given.metadata.uid = "0b5f7a3e-1111-4222-8333-444455556666";
  given.metadata.creation_timestamp = "2025-05-05T05:05:05Z";
  auto created = store_->CreateExperiment(given);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->metadata.uid, given.metadata.uid);
  EXPECT_EQ(created->metadata.creation_timestamp, "2025-05-05T05:05:05Z");

  std::set<std::string> uids;
  for (int i = 0; i < 20; ++i) {
    auto e = store_->CreateExperiment(MakeExperiment("default", absl::StrCat("e", i)));
    ASSERT_TRUE(e.ok()) << e.status();
    uids.insert(e->metadata.uid);
  }
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "with-trial")).ok());
  auto t1 = store_->CreateTrial(MakeTrial("default", "with-trial", "t1"));
  auto t2 = store_->CreateTrial(MakeTrial("default", "with-trial", "t2"));
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_TRUE(LooksLikeUuidV4(t1->metadata.uid)) << t1->metadata.uid;
  uids.insert(t1->metadata.uid);
  uids.insert(t2->metadata.uid);
  EXPECT_THAT(uids, SizeIs(22u));
}

TEST_P(ExperimentStoreConformanceTest, ListExperimentsByNamespace) {
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {"team-b", "z"}, {"default", "b"}, {"default", "a"}, {"team-b", "a"}}) {
    ASSERT_TRUE(store_->CreateExperiment(MakeExperiment(ns, name)).ok());
  }
  auto all = store_->ListExperiments({});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Keys(all->items), ElementsAre("default/a", "default/b", "team-b/a", "team-b/z"));
  EXPECT_EQ(all->continue_token, "");
  EXPECT_EQ(all->revision, *store_->Revision());
  for (const auto& e : all->items) {
    EXPECT_GT(Rv(e.metadata), 0);
    EXPECT_EQ(e.metadata.generation, 1);
  }

  auto team_b = store_->ListExperiments(Options("team-b", 0, ""));
  ASSERT_TRUE(team_b.ok()) << team_b.status();
  EXPECT_THAT(Keys(team_b->items), ElementsAre("team-b/a", "team-b/z"));

  auto none = store_->ListExperiments(Options("elsewhere", 0, ""));
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->items, IsEmpty());
}

TEST_P(ExperimentStoreConformanceTest, ListExperimentsInPages) {
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {"team-b", "z"}, {"default", "b"}, {"default", "a"}, {"team-b", "a"}, {"a-ns", "m"}}) {
    ASSERT_TRUE(store_->CreateExperiment(MakeExperiment(ns, name)).ok());
  }
  const int64_t revision = *store_->Revision();
  std::vector<std::string> seen;
  ListOptions options;
  options.limit = 2;
  std::vector<size_t> sizes;
  for (int page = 0; page < 10; ++page) {
    auto listed = store_->ListExperiments(options);
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_EQ(listed->revision, revision);  // the first page's, on every page
    sizes.push_back(listed->items.size());
    for (const auto& key : Keys(listed->items)) seen.push_back(key);
    if (listed->continue_token.empty()) break;
    options.continue_token = listed->continue_token;
    // A write between pages does not disturb the paging.
    if (page == 0) {
      ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("zz", "late")).ok());
    }
  }
  EXPECT_THAT(sizes, ElementsAre(2u, 2u, 2u));
  EXPECT_THAT(seen,
              ElementsAre("a-ns/m", "default/a", "default/b", "team-b/a", "team-b/z", "zz/late"));

  // Exactly `limit` left: the last page says so by an empty token.
  auto exact = store_->ListExperiments(Options("default", 2, ""));
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_THAT(Keys(exact->items), ElementsAre("default/a", "default/b"));
  EXPECT_EQ(exact->continue_token, "");

  auto first = store_->ListExperiments(Options("team-b", 1, ""));
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Keys(first->items), ElementsAre("team-b/a"));
  ASSERT_NE(first->continue_token, "");
  auto second = store_->ListExperiments(Options("team-b", 1, first->continue_token));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Keys(second->items), ElementsAre("team-b/z"));
  EXPECT_EQ(second->continue_token, "");

  // A token is only good for the listing that made it.
  auto other = store_->ListExperiments(Options("default", 0, first->continue_token));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument) << other.status();
  auto garbage = store_->ListExperiments(Options("", 0, "not a token"));
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  auto negative = store_->ListExperiments(Options("", -1, ""));
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(ExperimentStoreConformanceTest, RejectsEmptyKey) {
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("default", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("", "x")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- versions -------------------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, EveryWriteGetsTheNextStoreWideRevision) {
  const int64_t start = *store_->Revision();
  auto e = store_->CreateExperiment(MakeExperiment("default", "exp"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Rv(e->metadata), start + 1);
  auto t = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Rv(t->metadata), start + 2);
  core::Trial running = *t;
  running.status.start_time = "2026-01-01T00:00:00Z";
  auto updated = store_->UpdateTrialStatus(running);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(Rv(updated->metadata), start + 3);
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "s").ok());
  EXPECT_EQ(*store_->Revision(), start + 4);
  core::Experiment status = *e;
  status.status.trials = 1;
  auto e2 = store_->UpdateExperimentStatus(status);
  ASSERT_TRUE(e2.ok()) << e2.status();
  EXPECT_EQ(Rv(e2->metadata), start + 5);
  EXPECT_EQ(*store_->Revision(), start + 5);

  // Reads report the version of the object's last write.
  EXPECT_EQ(Rv(store_->GetTrial("default", "t1")->metadata), start + 3);
  EXPECT_EQ(Rv(store_->GetExperiment("default", "exp")->metadata), start + 5);
  EXPECT_EQ(Rv(store_->ListTrials("default", "exp")->front().metadata), start + 3);
  EXPECT_EQ(store_->GetTrial("default", "t1")->metadata.generation, 1);
}

TEST_P(ExperimentStoreConformanceTest, GenerationCountsSpecChangesOnly) {
  auto e = store_->CreateExperiment(MakeExperiment("default", "exp"));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->metadata.generation, 1);

  // Labels and annotations are metadata: a new version, the same generation.
  core::Experiment labeled = *e;
  labeled.metadata.labels["team"] = "a";
  labeled.metadata.annotations["note"] = "x";
  auto v2 = store_->UpdateExperimentSpec(labeled);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->metadata.generation, 1);
  EXPECT_GT(Rv(v2->metadata), Rv(e->metadata));
  EXPECT_EQ(v2->metadata.labels.at("team"), "a");
  EXPECT_EQ(v2->metadata.annotations.at("note"), "x");

  core::Experiment bigger = *v2;
  bigger.spec.max_trial_count = 30;
  auto v3 = store_->UpdateExperimentSpec(bigger);
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(v3->metadata.generation, 2);
  EXPECT_EQ(v3->spec.max_trial_count, 30);

  // A status write never changes the generation.
  core::Experiment status = *v3;
  status.status.trials = 3;
  auto v4 = store_->UpdateExperimentStatus(status);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->metadata.generation, 2);

  // Writing back what is stored is not a write: same version, no change in the feed.
  const int64_t before = *store_->Revision();
  auto same_spec = store_->UpdateExperimentSpec(*v4);
  ASSERT_TRUE(same_spec.ok()) << same_spec.status();
  EXPECT_EQ(same_spec->metadata.resource_version, v4->metadata.resource_version);
  EXPECT_EQ(same_spec->metadata.generation, 2);
  auto same_status = store_->UpdateExperimentStatus(*v4);
  ASSERT_TRUE(same_status.ok()) << same_status.status();
  EXPECT_EQ(same_status->metadata.resource_version, v4->metadata.resource_version);
  EXPECT_EQ(*store_->Revision(), before);
  EXPECT_THAT(store_->ChangesSince(before)->changes, IsEmpty());

  auto got = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->metadata.generation, 2);
  EXPECT_EQ(got->status.trials, 3);
}

TEST_P(ExperimentStoreConformanceTest, SpecAndStatusAreWrittenSeparately) {
  core::Experiment initial = MakeExperiment("default", "exp");
  initial.status.trials = 1;
  initial.status.start_time = "2026-01-01T00:00:00Z";
  auto created = store_->CreateExperiment(initial);  // its status too
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status.trials, 1);

  // A spec write with another status in hand keeps the stored status.
  core::Experiment spec = *created;
  spec.spec.parallel_trial_count = 5;
  spec.status = core::ExperimentStatus{};
  spec.status.trials = 99;
  auto after_spec = store_->UpdateExperimentSpec(spec);
  ASSERT_TRUE(after_spec.ok()) << after_spec.status();
  EXPECT_EQ(after_spec->status.trials, 1);
  EXPECT_EQ(after_spec->status.start_time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(after_spec->spec.parallel_trial_count, 5);

  // A status write with another spec, labels and annotations in hand keeps the stored ones.
  core::Experiment status = *created;  // the old spec
  status.spec.max_trial_count = 1;
  status.metadata.labels["from-status"] = "ignored";
  status.metadata.annotations["from-status"] = "ignored";
  status.metadata.resource_version = "";
  status.status.trials = 2;
  status.status.succeeded_trial_list = {"exp-a"};
  auto after_status = store_->UpdateExperimentStatus(status);
  ASSERT_TRUE(after_status.ok()) << after_status.status();
  EXPECT_EQ(after_status->spec.parallel_trial_count, 5);
  EXPECT_EQ(after_status->spec.max_trial_count, 12);
  EXPECT_THAT(after_status->metadata.labels, IsEmpty());
  EXPECT_THAT(after_status->metadata.annotations, IsEmpty());
  EXPECT_EQ(after_status->status.trials, 2);
  EXPECT_THAT(after_status->status.succeeded_trial_list, ElementsAre("exp-a"));
  EXPECT_EQ(core::ExperimentToJson(*store_->GetExperiment("default", "exp")),
            core::ExperimentToJson(*after_status));
}

// The REVIEW §5 case: a user PATCHes maxTrialCount while the controller, holding the object it
// read before, writes status. The user's change survives the controller's write.
TEST_P(ExperimentStoreConformanceTest, PatchedMaxTrialCountIsNotLostToAStatusWrite) {
  auto created = store_->CreateExperiment(MakeExperiment("default", "exp"));
  ASSERT_TRUE(created.ok());
  const core::Experiment controller_copy = *created;

  core::Experiment patch = *created;
  patch.spec.max_trial_count = 40;
  ASSERT_TRUE(store_->UpdateExperimentSpec(patch).ok());

  core::Experiment status = controller_copy;
  status.metadata.resource_version = "";  // status writes without a precondition
  status.status.trials = 5;
  auto written = store_->UpdateExperimentStatus(status);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->spec.max_trial_count, 40);
  EXPECT_EQ(written->metadata.generation, 2);

  auto got = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spec.max_trial_count, 40);
  EXPECT_EQ(got->status.trials, 5);

  // With its stale version as a precondition, the controller is told to read again instead.
  status = controller_copy;
  status.status.trials = 6;
  auto stale = store_->UpdateExperimentStatus(status);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_EQ(store_->GetExperiment("default", "exp")->status.trials, 5);
}

TEST_P(ExperimentStoreConformanceTest, CompareAndSwapLetsOneOfTwoWritersWin) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  auto read_a = store_->GetExperiment("default", "exp");
  auto read_b = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(read_a.ok() && read_b.ok());

  core::Experiment a = *read_a;
  a.spec.max_trial_count = 20;
  auto won = store_->UpdateExperimentSpec(a);
  ASSERT_TRUE(won.ok()) << won.status();
  const int64_t revision = *store_->Revision();

  core::Experiment b = *read_b;
  b.spec.max_trial_count = 30;
  auto lost = store_->UpdateExperimentSpec(b);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(lost.status().message(), HasSubstr("\"default/exp\""));
  EXPECT_THAT(lost.status().message(), HasSubstr(kConflict));
  b.status.trials = 7;
  lost = store_->UpdateExperimentStatus(b);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kAborted);

  // Nothing changed: the winner's object, the same revision, no change in the feed.
  auto got = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(core::ExperimentToJson(*got), core::ExperimentToJson(*won));
  EXPECT_EQ(*store_->Revision(), revision);
  EXPECT_THAT(store_->ChangesSince(revision)->changes, IsEmpty());

  // The loser reads again and succeeds.
  core::Experiment retry = *got;
  retry.spec.max_trial_count = 30;
  auto second = store_->UpdateExperimentSpec(retry);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->spec.max_trial_count, 30);
  EXPECT_EQ(second->metadata.generation, 3);

  core::Experiment garbage = *second;
  garbage.metadata.resource_version = "not-a-number";
  EXPECT_EQ(store_->UpdateExperimentSpec(garbage).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ExperimentStoreConformanceTest, CompareAndSwapOnTrialStatus) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  auto created = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  ASSERT_TRUE(created.ok());
  core::Trial first = *created;
  first.status.start_time = "2026-01-01T00:00:00Z";
  auto won = store_->UpdateTrialStatus(first);
  ASSERT_TRUE(won.ok()) << won.status();
  const int64_t revision = *store_->Revision();

  core::Trial stale = *created;
  stale.status.completion_time = "2026-01-01T01:00:00Z";
  auto lost = store_->UpdateTrialStatus(stale);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(lost.status().message(), HasSubstr("trial \"default/t1\""));
  EXPECT_THAT(lost.status().message(), HasSubstr(kConflict));
  EXPECT_EQ(*store_->Revision(), revision);
  auto got = store_->GetTrial("default", "t1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status.start_time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(got->status.completion_time, "");
}

// ---- trials ---------------------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, TrialsListInCreationOrderScopedToExperiment) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp-a")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp-b")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("other", "exp-a")).ok());
  for (const char* name : {"exp-a-zeta", "exp-a-alpha", "exp-a-mid"}) {
    ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp-a", name)).ok());
  }
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp-b", "exp-b-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("other", "exp-a", "exp-a-other")).ok());

  // A status update keeps the trial's place.
  core::Trial zeta = MakeTrial("default", "exp-a", "exp-a-zeta");
  zeta.status.start_time = "2026-01-02T03:04:05Z";
  ASSERT_TRUE(store_->UpdateTrialStatus(zeta).ok());

  auto a = store_->ListTrials("default", "exp-a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(Names(*a), ElementsAre("exp-a-zeta", "exp-a-alpha", "exp-a-mid"));
  EXPECT_EQ((*a)[0].status.start_time, "2026-01-02T03:04:05Z");
  auto b = store_->ListTrials("default", "exp-b");
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(Names(*b), ElementsAre("exp-b-1"));
  auto other = store_->ListTrials("other", "exp-a");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(Names(*other), ElementsAre("exp-a-other"));
  auto none = store_->ListTrials("default", "no-such");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(ExperimentStoreConformanceTest, TrialErrors) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "t1")).ok());

  auto dup = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "trial \"default/t1\" already exists");

  auto orphan = store_->CreateTrial(MakeTrial("default", "ghost", "t2"));
  EXPECT_EQ(orphan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(orphan.status().message(), HasSubstr("experiment \"default/ghost\""));

  core::Trial unlabeled = MakeTrial("default", "exp", "t3");
  unlabeled.metadata.labels.clear();
  EXPECT_EQ(store_->CreateTrial(unlabeled).status().code(), absl::StatusCode::kInvalidArgument);

  auto update = store_->UpdateTrialStatus(MakeTrial("default", "exp", "t9"));
  EXPECT_EQ(update.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(update.status().message(), "trial \"default/t9\" not found");

  auto get = store_->GetTrial("default", "t9");
  EXPECT_EQ(get.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(get.status().message(), "trial \"default/t9\" not found");
}

TEST_P(ExperimentStoreConformanceTest, TrialRoundTripKeepsRunSpecUnknownFields) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  core::Trial trial = MakeTrial("default", "exp", "exp-x1");
  trial.spec.run_spec = nlohmann::json::parse(R"({
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "exp-x1", "annotations": {"custom.io/anything": "yes"}},
    "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "x-unknown": [1, 2.5, null, true]}},
             "someFutureField": {"nested": {"deeper": "value ünïcode"}}}
  })");
  trial.spec.metrics_collector.kind = "StdOut";
  trial.metadata.annotations["a"] = "b";
  trial.status.conditions.push_back({"Created", "True", "TrialCreated", "Trial is created",
                                     "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"});
  auto created = store_->CreateTrial(trial);
  ASSERT_TRUE(created.ok()) << created.status();

  auto got = store_->GetTrial("default", "exp-x1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->spec.run_spec, trial.spec.run_spec);
  EXPECT_EQ(core::TrialToJson(*got), core::TrialToJson(*created));
  core::Trial expected = trial;
  expected.metadata.uid = got->metadata.uid;
  expected.metadata.creation_timestamp = got->metadata.creation_timestamp;
  expected.metadata.resource_version = got->metadata.resource_version;
  expected.metadata.generation = 1;
  EXPECT_EQ(core::TrialToJson(*got), core::TrialToJson(expected));
}

TEST_P(ExperimentStoreConformanceTest, TrialStatusWriteKeepsTheStoredSpecAndMetadata) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  core::Trial trial = MakeTrial("default", "exp", "t1");
  trial.metadata.annotations["a"] = "1";
  auto created = store_->CreateTrial(trial);
  ASSERT_TRUE(created.ok());

  core::Trial status = *created;
  status.spec.parameter_assignments = {{"lr", "0.99"}};
  status.spec.run_spec = nullptr;
  status.metadata.annotations["a"] = "2";
  status.status.start_time = "2026-01-01T00:00:00Z";
  status.status.observation = core::Observation{{{"accuracy", "0.5", "0.5", "0.5"}}};
  auto written = store_->UpdateTrialStatus(status);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->spec.parameter_assignments[0].value, "0.02");
  EXPECT_EQ(written->spec.run_spec, trial.spec.run_spec);
  EXPECT_EQ(written->metadata.annotations.at("a"), "1");
  EXPECT_EQ(written->status.start_time, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(written->status.observation.has_value());
  EXPECT_EQ(core::TrialToJson(*store_->GetTrial("default", "t1")), core::TrialToJson(*written));

  // The same status again is no write.
  auto again = store_->UpdateTrialStatus(*written);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->metadata.resource_version, written->metadata.resource_version);
}

TEST_P(ExperimentStoreConformanceTest, TrialSummariesInPagesWithoutRunSpec) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "other")).ok());
  for (const char* name : {"t-c", "t-a", "t-e", "t-b", "t-d"}) {
    core::Trial t = MakeTrial("default", "exp", name);
    t.spec.parameter_assignments = {{"lr", name}};
    t.status.start_time = "2026-01-01T00:00:00Z";
    ASSERT_TRUE(store_->CreateTrial(t).ok());
  }
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "other", "o-1")).ok());

  auto all = store_->ListTrialSummaries("default", "exp", {});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(SummaryNames(all->items), ElementsAre("t-c", "t-a", "t-e", "t-b", "t-d"));
  EXPECT_EQ(all->continue_token, "");
  const TrialSummary& first = all->items[0];
  EXPECT_EQ(first.metadata.labels.at(core::kExperimentLabel), "exp");
  EXPECT_GT(Rv(first.metadata), 0);
  EXPECT_FALSE(first.metadata.uid.empty());
  ASSERT_EQ(first.parameter_assignments.size(), 1u);
  EXPECT_EQ(first.parameter_assignments[0].value, "t-c");
  EXPECT_EQ(first.objective.objective_metric_name, "accuracy");
  EXPECT_EQ(first.status.start_time, "2026-01-01T00:00:00Z");

  std::vector<std::string> paged;
  ListOptions options = Options("", 2);
  int pages = 0;
  const int64_t revision = *store_->Revision();
  for (; pages < 10; ++pages) {
    auto page = store_->ListTrialSummaries("default", "exp", options);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->revision, revision);
    for (const auto& name : SummaryNames(page->items)) paged.push_back(name);
    if (page->continue_token.empty()) break;
    options.continue_token = page->continue_token;
  }
  EXPECT_EQ(pages, 2);  // 2 + 2 + 1
  EXPECT_THAT(paged, ElementsAre("t-c", "t-a", "t-e", "t-b", "t-d"));

  // Another experiment's token is refused; namespace in options is ignored.
  auto first_page = store_->ListTrialSummaries("default", "exp", Options("", 1, ""));
  ASSERT_TRUE(first_page.ok());
  auto wrong =
      store_->ListTrialSummaries("default", "other", Options("", 0, first_page->continue_token));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  auto ignored_ns = store_->ListTrialSummaries("default", "other", Options("elsewhere", 0, ""));
  ASSERT_TRUE(ignored_ns.ok());
  EXPECT_THAT(SummaryNames(ignored_ns->items), ElementsAre("o-1"));
  auto none = store_->ListTrialSummaries("default", "no-such", {});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->items, IsEmpty());
}

// ---- suggestion state -----------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, SuggestionState) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  auto none = store_->GetSuggestionState("default", "exp");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("\"default/exp\""));

  const std::string binary("a\0b\xff\x01", 5);
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", binary).ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), binary);
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "").ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), "");
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "{\"seen\":3}").ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), "{\"seen\":3}");

  const int64_t revision = *store_->Revision();
  EXPECT_EQ(store_->PutSuggestionState("default", "ghost", "x").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->Revision(), revision);
}

// ---- delete ---------------------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, DeleteExperimentRemovesItsTrialsAndState) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "gone")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "kept")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "gone", "gone-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "gone", "gone-2")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "kept", "kept-1")).ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "gone", "state-gone").ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "kept", "state-kept").ok());
  const int64_t before = *store_->Revision();

  ASSERT_TRUE(store_->DeleteExperiment("default", "gone").ok());

  EXPECT_EQ(store_->GetTrial("default", "gone-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTrial("default", "gone-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(*store_->ListTrials("default", "gone"), IsEmpty());
  EXPECT_EQ(store_->GetSuggestionState("default", "gone").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetTrial("default", "kept-1").ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "kept"), "state-kept");

  // One Deleted change per object, each its own revision.
  auto changes = store_->ChangesSince(before);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_THAT(Show(changes->changes),
              ElementsAre(absl::StrCat(before + 1, " trial Deleted default/gone-1 (gone) 0"),
                          absl::StrCat(before + 2, " trial Deleted default/gone-2 (gone) 0"),
                          absl::StrCat(before + 3, " suggestion Deleted default/gone (gone) 0"),
                          absl::StrCat(before + 4, " experiment Deleted default/gone (gone) 1")));
  EXPECT_EQ(*store_->Revision(), before + 4);

  // A new experiment of the same name starts afresh, with later versions.
  auto again = store_->CreateExperiment(MakeExperiment("default", "gone"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Rv(again->metadata), before + 5);
  EXPECT_EQ(again->metadata.generation, 1);
  EXPECT_THAT(*store_->ListTrials("default", "gone"), IsEmpty());
}

// ---- the change feed ------------------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, ChangeFeedListsEveryWriteInOrder) {
  const int64_t start = *store_->Revision();
  auto e = store_->CreateExperiment(MakeExperiment("default", "exp"));
  ASSERT_TRUE(e.ok());
  auto t = store_->CreateTrial(MakeTrial("default", "exp", "exp-1"));
  ASSERT_TRUE(t.ok());
  core::Trial running = *t;
  running.status.start_time = "2026-01-01T00:00:00Z";
  ASSERT_TRUE(store_->UpdateTrialStatus(running).ok());
  core::Experiment spec = *e;
  spec.spec.max_trial_count = 50;
  auto e2 = store_->UpdateExperimentSpec(spec);
  ASSERT_TRUE(e2.ok());
  core::Experiment status = *e2;
  status.status.trials = 1;
  ASSERT_TRUE(store_->UpdateExperimentStatus(status).ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "a").ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "b").ok());

  auto batch = store_->ChangesSince(start);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->revision, start + 7);
  EXPECT_THAT(Show(batch->changes),
              ElementsAre(absl::StrCat(start + 1, " experiment Added default/exp (exp) 1"),
                          absl::StrCat(start + 2, " trial Added default/exp-1 (exp) 0"),
                          absl::StrCat(start + 3, " trial Modified default/exp-1 (exp) 0"),
                          absl::StrCat(start + 4, " experiment Modified default/exp (exp) 2"),
                          absl::StrCat(start + 5, " experiment Modified default/exp (exp) 2"),
                          absl::StrCat(start + 6, " suggestion Added default/exp (exp) 0"),
                          absl::StrCat(start + 7, " suggestion Modified default/exp (exp) 0")));

  // From the middle, with a limit: resume from the batch's revision.
  auto limited = store_->ChangesSince(start + 2, 2);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ASSERT_THAT(limited->changes, SizeIs(2u));
  EXPECT_EQ(limited->changes[0].revision, start + 3);
  EXPECT_EQ(limited->revision, start + 4);
  auto rest = store_->ChangesSince(limited->revision);
  ASSERT_TRUE(rest.ok());
  ASSERT_THAT(rest->changes, SizeIs(3u));
  EXPECT_EQ(rest->changes[0].revision, start + 5);

  // At the current revision there is nothing yet.
  auto current = store_->ChangesSince(start + 7);
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_THAT(current->changes, IsEmpty());
  EXPECT_EQ(current->revision, start + 7);
  EXPECT_EQ(store_->ChangesSince(start, -1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(ExperimentStoreConformanceTest, ChangesOlderThanTheWindowAreOutOfRange) {
  if (!GetParam().open_with_window) GTEST_SKIP() << "the backend's window is not settable";
  store_.reset();
  std::unique_ptr<ExperimentStore> store = GetParam().open_with_window(dir_.path(), 3);
  ASSERT_NE(store, nullptr);
  const int64_t start = *store->Revision();
  ASSERT_TRUE(store->CreateExperiment(MakeExperiment("default", "exp")).ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store->CreateTrial(MakeTrial("default", "exp", absl::StrCat("t", i))).ok());
  }
  // Revisions start+1 .. start+5; the window holds the last 3.
  auto kept = store->ChangesSince(start + 2);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(kept->changes, SizeIs(3u));
  EXPECT_EQ(kept->changes.front().name, "t1");
  for (int64_t old : {start, start + 1}) {
    auto gone = store->ChangesSince(old);
    EXPECT_EQ(gone.status().code(), absl::StatusCode::kOutOfRange) << old << ": " << gone.status();
  }
  // Listing again gives a revision to watch from.
  auto listed = store->ListExperiments({});
  ASSERT_TRUE(listed.ok());
  auto from_list = store->ChangesSince(listed->revision);
  ASSERT_TRUE(from_list.ok()) << from_list.status();
  EXPECT_THAT(from_list->changes, IsEmpty());
}

TEST_P(ExperimentStoreConformanceTest, WaitForChangesWakesOnAWriteFromAnotherThread) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  const int64_t revision = *store_->Revision();
  std::atomic<int64_t> woke_at{-1};
  std::thread waiter([&] { woke_at = store_->WaitForChanges(revision, absl::Minutes(5)); });
  auto trial = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  ASSERT_TRUE(trial.ok());
  waiter.join();  // returns because of the write, long before its timeout
  EXPECT_GE(woke_at.load(), Rv(trial->metadata));

  // A revision that is already behind returns at once.
  EXPECT_EQ(store_->WaitForChanges(revision, absl::Minutes(5)), Rv(trial->metadata));
}

TEST_P(ExperimentStoreConformanceTest, WaitForChangesTimesOutWithoutWrites) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  const int64_t revision = *store_->Revision();
  EXPECT_EQ(store_->WaitForChanges(revision, absl::Milliseconds(20)), revision);
  EXPECT_EQ(store_->WaitForChanges(revision, absl::ZeroDuration()), revision);
  // Reads are not writes.
  ASSERT_TRUE(store_->GetExperiment("default", "exp").ok());
  EXPECT_EQ(store_->WaitForChanges(revision, absl::Milliseconds(1)), revision);
}

// ---- failures change nothing ----------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, FailedCallsChangeNothing) {
  auto e = store_->CreateExperiment(MakeExperiment("default", "exp"));
  ASSERT_TRUE(e.ok());
  auto t = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  ASSERT_TRUE(t.ok());
  core::Experiment moved = *e;
  moved.spec.max_trial_count = 13;
  ASSERT_TRUE(store_->UpdateExperimentSpec(moved).ok());  // e is now stale
  const int64_t revision = *store_->Revision();
  const nlohmann::json experiment =
      core::ExperimentToJson(*store_->GetExperiment("default", "exp"));
  const nlohmann::json trial = core::TrialToJson(*store_->GetTrial("default", "t1"));

  core::Experiment stale = *e;
  stale.spec.max_trial_count = 1;
  stale.status.trials = 9;
  EXPECT_FALSE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  EXPECT_FALSE(store_->CreateExperiment(MakeExperiment("", "x")).ok());
  EXPECT_FALSE(store_->UpdateExperimentSpec(stale).ok());
  EXPECT_FALSE(store_->UpdateExperimentStatus(stale).ok());
  EXPECT_FALSE(store_->UpdateExperimentSpec(MakeExperiment("default", "nope")).ok());
  EXPECT_FALSE(store_->CreateTrial(MakeTrial("default", "exp", "t1")).ok());
  EXPECT_FALSE(store_->CreateTrial(MakeTrial("default", "ghost", "t2")).ok());
  core::Trial stale_trial = *t;
  stale_trial.metadata.resource_version = "1000000";
  stale_trial.status.start_time = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(store_->UpdateTrialStatus(stale_trial).ok());
  EXPECT_FALSE(store_->UpdateTrialStatus(MakeTrial("default", "exp", "t9")).ok());
  EXPECT_FALSE(store_->DeleteExperiment("default", "nope").ok());
  EXPECT_FALSE(store_->PutSuggestionState("default", "nope", "x").ok());

  EXPECT_EQ(*store_->Revision(), revision);
  EXPECT_THAT(store_->ChangesSince(revision)->changes, IsEmpty());
  EXPECT_EQ(core::ExperimentToJson(*store_->GetExperiment("default", "exp")), experiment);
  EXPECT_EQ(core::TrialToJson(*store_->GetTrial("default", "t1")), trial);
  EXPECT_EQ(store_->ListExperiments({})->items.size(), 1u);
  EXPECT_EQ(store_->ListTrials("default", "exp")->size(), 1u);
  EXPECT_EQ(store_->GetSuggestionState("default", "exp").status().code(),
            absl::StatusCode::kNotFound);
}

// ---- concurrency, reopening -----------------------------------------------------------------

TEST_P(ExperimentStoreConformanceTest, ConcurrentWritersGetDistinctRevisionsAndLoseNothing) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  const int64_t start = *store_->Revision();
  constexpr int kThreads = 8;
  constexpr int kTrials = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTrials; ++i) {
        auto created =
            store_->CreateTrial(MakeTrial("default", "exp", absl::StrCat("exp-", t, "-", i)));
        if (!created.ok()) {
          ++failures;
          continue;
        }
        core::Trial running = *created;
        running.status.start_time = "2026-01-01T00:00:00Z";
        if (!store_->UpdateTrialStatus(running).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->ListTrials("default", "exp")->size(), static_cast<size_t>(kThreads * kTrials));
  EXPECT_EQ(*store_->Revision(), start + 2 * kThreads * kTrials);
  auto changes = store_->ChangesSince(start);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_THAT(changes->changes, SizeIs(static_cast<size_t>(2 * kThreads * kTrials)));
  for (size_t i = 0; i < changes->changes.size(); ++i) {
    EXPECT_EQ(changes->changes[i].revision, start + 1 + static_cast<int64_t>(i));
  }
}

TEST_P(ExperimentStoreConformanceTest, PersistsAcrossReopenAndTheRevisionNeverGoesBack) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-2")).ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "state").ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "doomed")).ok());
  ASSERT_TRUE(store_->DeleteExperiment("default", "doomed").ok());
  const int64_t revision = *store_->Revision();
  const nlohmann::json experiment =
      core::ExperimentToJson(*store_->GetExperiment("default", "exp"));
  store_.reset();

  std::unique_ptr<ExperimentStore> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  ExperimentStore& store = *reopened;
  EXPECT_EQ(*store.Revision(), revision);
  EXPECT_EQ(core::ExperimentToJson(*store.GetExperiment("default", "exp")), experiment);
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2"));
  EXPECT_EQ(*store.GetSuggestionState("default", "exp"), "state");
  // The window starts afresh at the stored revision.
  auto empty = store.ChangesSince(revision);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->changes, IsEmpty());
  // A new trial still comes after the old ones, with a later version.
  auto trial = store.CreateTrial(MakeTrial("default", "exp", "exp-0"));
  ASSERT_TRUE(trial.ok());
  EXPECT_EQ(Rv(trial->metadata), revision + 1);
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2", "exp-0"));
}

}  // namespace
}  // namespace ktune::db::conformance
