// ABI 1.1 seen from the host: a plugin built against the 1.0 header still loads and runs; a
// 1.1 plugin sees the host table (version, capabilities, thread budget, deadline), logs into
// the host's log, is cancelled or runs out of time promptly, and saves and loads its state.

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/conditions.h"
#include "core/proto_convert.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "suggestion/gpu_probe.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"
#include "tests/unit/suggestion/log_capture.h"
#include "tests/unit/suggestion/suggestion_test_util.h"

namespace ktune::suggestion {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::LogCapture;
using ::testing::SizeIs;
using ::testing::StartsWith;

using testing::MakeLrTrial;
using testing::Registry;

core::Experiment MakeExperiment(const std::string& algorithm,
                                std::vector<core::Setting> settings = {}) {
  return testing::MakeLrExperiment(algorithm, std::move(settings), "0.1", "0.4", "0.1");
}

core::Trial MakeTrial(const std::string& name, const std::string& lr) {
  return MakeLrTrial(name, lr);
}

std::vector<core::Trial> Trials(int n) {
  std::vector<core::Trial> trials;
  for (int i = 0; i < n; ++i) trials.push_back(MakeTrial("t" + std::to_string(i), "0.1"));
  return trials;
}

std::string Label(const absl::StatusOr<SuggestionReply>& reply, const std::string& key) {
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok() || reply->trials.empty()) return "<no reply>";
  auto it = reply->trials[0].labels.find(key);
  return it == reply->trials[0].labels.end() ? "<none>" : it->second;
}

std::unique_ptr<Suggester> Open(SuggestionService& service, const core::Experiment& e,
                                const std::string& state = "") {
  absl::StatusOr<std::unique_ptr<Suggester>> suggester = service.Open(e, state);
  EXPECT_TRUE(suggester.ok()) << suggester.status();
  return suggester.ok() ? *std::move(suggester) : nullptr;
}

class HostServicesTest : public ::testing::Test {
 protected:
  InProcessSuggestionService service_{Registry()};
};

// ---- ABI 1.0 ----------------------------------------------------------------------------------

TEST_F(HostServicesTest, APluginBuiltAgainstTheAbi10HeaderLoadsAndRuns) {
  absl::StatusOr<const AlgorithmPlugin*> plugin = Registry().Find("test-abi10");
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)->abi_version(), 1u << 16);  // 1.0
  EXPECT_FALSE((*plugin)->uses_host_services());
  EXPECT_FALSE((*plugin)->keeps_state());

  core::Experiment e = MakeExperiment("test-abi10");
  ASSERT_TRUE(service_.ValidateAlgorithmSettings(e).ok());
  std::unique_ptr<Suggester> suggester = Open(service_, e);
  ASSERT_NE(suggester, nullptr);
  std::vector<core::Trial> trials = Trials(3);
  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(e, trials, 2, 2);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_THAT(reply->trials, SizeIs(2));
  EXPECT_EQ(reply->trials[1].assignments[0].value, "1");
  EXPECT_EQ(Label(reply, "abi"), "1.0");
  EXPECT_EQ(Label(reply, "received"), "3");
  EXPECT_FALSE(reply->exhausted);

  // Only what changed goes out, as for any plugin.
  trials.push_back(MakeTrial("t3", "0.2"));
  reply = suggester->GetSuggestions(e, trials, 1, 3);
  EXPECT_EQ(Label(reply, "received"), "1");
  EXPECT_EQ(Label(reply, "known"), "4");
  EXPECT_EQ(Label(reply, "call"), "2");
  // No save_state: nothing to persist.
  absl::StatusOr<std::string> state = suggester->SaveState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, "");
}

TEST_F(HostServicesTest, AnAbi10PluginIsNotCalledPastTheDeadlineOrOnceCancelled) {
  absl::StatusOr<const AlgorithmPlugin*> plugin = Registry().Find("test-abi10");
  ASSERT_TRUE(plugin.ok());
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance =
      (*plugin)->Create(core::ExperimentToProto(MakeExperiment("test-abi10")));
  ASSERT_TRUE(instance.ok()) << instance.status();
  api::v1::beta1::GetSuggestionsRequest request;
  request.set_current_request_number(1);
  request.set_total_request_number(1);

  CallOptions past;
  past.deadline = absl::InfinitePast();
  absl::Status late = (*instance)->GetSuggestions(request, past).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(late.message(), "test-abi10: the call's deadline passed before it started");

  std::atomic<bool> cancelled{true};
  CallOptions cancel;
  cancel.cancelled = &cancelled;
  absl::Status stopped = (*instance)->GetSuggestions(request, cancel).status();
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(stopped.message(), "test-abi10: the call was cancelled before it started");

  // Neither call reached the plugin: this is its first.
  absl::StatusOr<api::v1::beta1::GetSuggestionsReply> reply = (*instance)->GetSuggestions(request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->parameter_assignments_size(), 1);
  EXPECT_EQ(reply->parameter_assignments(0).labels().at("call"), "1");
}

// ---- the host table ---------------------------------------------------------------------------

TEST_F(HostServicesTest, A11PluginSeesTheHostTable) {
  InProcessSuggestionService service(Registry(), InProcessSuggestionService::Options{3});
  EXPECT_THAT(service.host_info().version, StartsWith("ktune "));
  EXPECT_EQ(service.host_info().thread_budget, 3u);
  core::Experiment e = MakeExperiment("test-recorder");
  std::unique_ptr<Suggester> suggester = Open(service, e);
  ASSERT_NE(suggester, nullptr);

  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(e, {}, 1, 1);
  EXPECT_EQ(Label(reply, "host_version"), service.host_info().version);
  EXPECT_EQ(Label(reply, "host_abi"), "1.1");
  EXPECT_EQ(Label(reply, "host_threads"), "3");
  EXPECT_EQ(Label(reply, "host_gpu"), CudaDevicePresent() ? "1" : "0");
  EXPECT_EQ(Label(reply, "remaining"), "none");

  CallOptions hour;
  hour.deadline = absl::Now() + absl::Hours(1);
  reply = suggester->GetSuggestions(e, {}, 1, 2, hour);
  int64_t remaining = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Label(reply, "remaining"), &remaining)) << Label(reply, "remaining");
  EXPECT_GT(remaining, 30 * 60 * 1000);
  EXPECT_LE(remaining, 60 * 60 * 1000);
}

TEST_F(HostServicesTest, TheDefaultThreadBudgetIsTheMachines) {
  EXPECT_EQ(service_.host_info().thread_budget, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(service_.host_info().gpu_present, CudaDevicePresent());
}

TEST_F(HostServicesTest, PluginLogLinesReachTheHostLogNamingAlgorithmAndExperiment) {
  LogCapture log;
  core::Experiment e = MakeExperiment("test-recorder", {{"log_text", "two\nlines\x1b[0m"}});
  std::unique_ptr<Suggester> suggester = Open(service_, e);
  ASSERT_NE(suggester, nullptr);
  ASSERT_TRUE(suggester->GetSuggestions(e, {}, 1, 1).ok());
  EXPECT_THAT(log.Matching("algorithm=test-recorder"),
              ElementsAre("info: algorithm=test-recorder experiment=exp: created",
                          "warning: algorithm=test-recorder experiment=exp: two lines [0m"));
}

TEST_F(HostServicesTest, LogLinesBeyondThePerCallLimitAreDroppedAndCounted) {
  LogCapture log;
  core::Experiment e = MakeExperiment("test-recorder", {{"log_lines", "150"}});
  std::unique_ptr<Suggester> suggester = Open(service_, e);
  ASSERT_NE(suggester, nullptr);
  ASSERT_TRUE(suggester->GetSuggestions(e, {}, 1, 1).ok());
  std::vector<std::string> lines = log.Matching("experiment=exp: line ");
  ASSERT_THAT(lines, SizeIs(100));
  EXPECT_EQ(lines.back(), "info: algorithm=test-recorder experiment=exp: line 99");
  EXPECT_THAT(log.Matching("dropped"),
              ElementsAre("warning: algorithm=test-recorder experiment=exp: 50 more log line(s) "
                          "of this call dropped"));
  // The limit is per call.
  ASSERT_TRUE(suggester->GetSuggestions(e, {}, 1, 2).ok());
  EXPECT_THAT(log.Matching("experiment=exp: line "), SizeIs(200));
}

// ---- cancellation and deadline ------------------------------------------------------------

TEST_F(HostServicesTest, ALongCallReturnsCancelledWhenCancelledFromAnotherThread) {
  LogCapture log;
  core::Experiment spin = MakeExperiment("test-recorder", {{"spin", "1"}});
  std::unique_ptr<Suggester> suggester = Open(service_, spin);
  ASSERT_NE(suggester, nullptr);
  std::atomic<bool> cancelled{false};
  // Cancels once the plugin is inside its loop (it logs "spinning" first).
  std::thread canceller([&] {
    log.WaitFor("spinning");
    cancelled = true;
  });
  CallOptions options;
  options.cancelled = &cancelled;
  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(spin, Trials(2), 1, 1, options);
  canceller.join();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kCancelled);
  // The plugin saw it through the host table and stopped itself.
  EXPECT_EQ(reply.status().message(),
            "test-recorder: noticed: stopped: the host cancelled the call");

  // The interrupted instance is gone: a new one gets the full history.
  core::Experiment e = MakeExperiment("test-recorder");
  reply = suggester->GetSuggestions(e, Trials(2), 1, 1);
  EXPECT_EQ(Label(reply, "call"), "1");
  EXPECT_EQ(Label(reply, "received"), "2");
  EXPECT_THAT(log.Matching("created"), SizeIs(2));
}

TEST_F(HostServicesTest, ALongCallReturnsDeadlineExceeded) {
  core::Experiment spin = MakeExperiment("test-recorder", {{"spin", "1"}});
  std::unique_ptr<Suggester> suggester = Open(service_, spin);
  ASSERT_NE(suggester, nullptr);
  CallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(50);
  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(spin, {}, 1, 1, options);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
}

TEST_F(HostServicesTest, ACallPastItsDeadlineNeverStarts) {
  core::Experiment e = MakeExperiment("test-recorder");
  std::unique_ptr<Suggester> suggester = Open(service_, e);
  ASSERT_NE(suggester, nullptr);
  CallOptions options;
  options.deadline = absl::Now() - absl::Seconds(1);
  absl::Status late = suggester->GetSuggestions(e, {}, 1, 1, options).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(late.message(), "test-recorder: the call's deadline passed before it started");
}

// ---- saved state ------------------------------------------------------------------------------

TEST_F(HostServicesTest, SavedStateRoundTripsThroughOpen) {
  LogCapture log;
  core::Experiment e = MakeExperiment("test-recorder");
  std::vector<core::Trial> trials = Trials(2);
  std::string state;
  {
    std::unique_ptr<Suggester> first = Open(service_, e);
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->GetSuggestions(e, trials, 1, 1).ok());
    ASSERT_TRUE(first->GetSuggestions(e, trials, 1, 2).ok());
    absl::StatusOr<std::string> saved = first->SaveState();
    ASSERT_TRUE(saved.ok()) << saved.status();
    state = *saved;
  }
  EXPECT_EQ(state, "ktune-algorithm-state/1 test-recorder\nrecorder/1\n2\nt0,t1");

  // After a "restart": the new instance continues from the state and is sent the full
  // history, which it upserts into what it already knew.
  std::unique_ptr<Suggester> second = Open(service_, e, state);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(log.Matching("loaded state"),
              ElementsAre("info: algorithm=test-recorder experiment=exp: loaded state after 2 "
                          "call(s)"));
  trials.push_back(MakeTrial("t2", "0.3"));
  absl::StatusOr<SuggestionReply> reply = second->GetSuggestions(e, trials, 1, 3);
  EXPECT_EQ(Label(reply, "call"), "3");
  EXPECT_EQ(Label(reply, "received"), "3");
  EXPECT_EQ(Label(reply, "known"), "3");
}

TEST_F(HostServicesTest, AnInterruptedCallContinuesFromTheLastSavedState) {
  core::Experiment e = MakeExperiment("test-recorder");
  std::unique_ptr<Suggester> suggester = Open(service_, e);
  ASSERT_NE(suggester, nullptr);
  ASSERT_TRUE(suggester->GetSuggestions(e, Trials(1), 1, 1).ok());
  absl::StatusOr<std::string> saved = suggester->SaveState();
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_TRUE(suggester->GetSuggestions(e, Trials(1), 1, 2).ok());  // call 2, not saved

  std::atomic<bool> cancelled{true};
  CallOptions options;
  options.cancelled = &cancelled;
  EXPECT_EQ(suggester->GetSuggestions(e, Trials(1), 1, 3, options).status().code(),
            absl::StatusCode::kCancelled);
  // Until a new instance exists, SaveState returns what it will be given.
  EXPECT_EQ(*suggester->SaveState(), *saved);

  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(e, Trials(1), 1, 3);
  EXPECT_EQ(Label(reply, "call"), "2");  // the saved call count, plus this call
  EXPECT_EQ(Label(reply, "received"), "1");
}

TEST_F(HostServicesTest, AStateThePluginRefusesIsIgnoredWithAWarning) {
  LogCapture log;
  core::Experiment e = MakeExperiment("test-recorder");
  std::unique_ptr<Suggester> suggester =
      Open(service_, e, "ktune-algorithm-state/1 test-recorder\ngarbage");
  ASSERT_NE(suggester, nullptr);
  EXPECT_THAT(log.Matching("is not used"),
              ElementsAre("warning: experiment exp: the saved state of algorithm test-recorder is "
                          "not used (test-recorder: not a recorder state); it starts from the "
                          "trial history alone"));
  absl::StatusOr<SuggestionReply> reply = suggester->GetSuggestions(e, Trials(2), 1, 1);
  EXPECT_EQ(Label(reply, "call"), "1");
  EXPECT_EQ(Label(reply, "received"), "2");
  EXPECT_EQ(*suggester->SaveState(), "ktune-algorithm-state/1 test-recorder\nrecorder/1\n1\nt0,t1");
}

TEST_F(HostServicesTest, AStateOfAnotherAlgorithmNeverReachesAPlugin) {
  LogCapture log;
  const std::string recorder_state = "ktune-algorithm-state/1 test-recorder\nrecorder/1\n5\n";
  ASSERT_NE(Open(service_, MakeExperiment("random"), recorder_state), nullptr);
  ASSERT_NE(Open(service_, MakeExperiment("test-abi10"), recorder_state), nullptr);
  ASSERT_NE(Open(service_, MakeExperiment("test-recorder"), "recorder/1\n5\n"), nullptr);
  EXPECT_THAT(
      log.Matching("is not used"),
      ElementsAre(HasSubstr("algorithm random is not used (it was saved by algorithm "
                            "\"test-recorder\")"),
                  HasSubstr("algorithm test-abi10 is not used (it was saved by algorithm "
                            "\"test-recorder\")"),
                  HasSubstr("algorithm test-recorder is not used (it is not a saved algorithm "
                            "state)")));
}

TEST_F(HostServicesTest, AlgorithmsWithoutStateSaveNothing) {
  for (const char* name : {"random", "grid"}) {
    core::Experiment e = MakeExperiment(name);
    std::unique_ptr<Suggester> suggester = Open(service_, e);
    ASSERT_NE(suggester, nullptr);
    ASSERT_TRUE(suggester->GetSuggestions(e, {}, 1, 1).ok()) << name;
    absl::StatusOr<std::string> state = suggester->SaveState();
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(*state, "") << name;
  }
}

// ---- the loader ------------------------------------------------------------------------------

ktune_status_code NoValidate(const char*, size_t, ktune_bytes_sink, void*) {
  return KTUNE_STATUS_OK;
}
ktune_status_code NoCreate(const char*, size_t, ktune_algorithm_instance**, ktune_bytes_sink,
                           void*) {
  return KTUNE_STATUS_UNIMPLEMENTED;
}
void NoDestroy(ktune_algorithm_instance*) {}
ktune_status_code NoSuggestions(ktune_algorithm_instance*, const char*, size_t, ktune_bytes_sink,
                                ktune_bytes_sink, void*) {
  return KTUNE_STATUS_UNIMPLEMENTED;
}
ktune_status_code NoSave(ktune_algorithm_instance*, const ktune_host_v1*, ktune_bytes_sink,
                         ktune_bytes_sink, void*) {
  return KTUNE_STATUS_OK;
}

TEST(AlgorithmTableTest, Abi11TablesAreCheckedToo) {
  ktune_algorithm_v1 table{};
  table.struct_size = sizeof(table);
  table.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
  table.name = "half-state";
  table.validate_settings = &NoValidate;
  table.create = &NoCreate;
  table.destroy = &NoDestroy;
  table.get_suggestions = &NoSuggestions;
  EXPECT_TRUE(CheckAlgorithmTable(&table, "t").ok());  // the 1.1 entries are optional
  table.save_state = &NoSave;
  absl::Status s = CheckAlgorithmTable(&table, "t");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "t: the algorithm table has save_state but no load_state");
  // A 1.0-sized table is never read past its end, whatever lies there.
  table.struct_size = KTUNE_ALGORITHM_V1_MIN_SIZE;
  EXPECT_TRUE(CheckAlgorithmTable(&table, "t").ok());
}

// ---- GPU probe ------------------------------------------------------------------------------

TEST(GpuProbeTest, NoCudaDriverMeansNoGpu) {
  const bool present = CudaDevicePresent();
  EXPECT_EQ(CudaDevicePresent(), present);  // cached
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver != nullptr) {
    GTEST_SKIP() << "a CUDA driver is installed here; the probe said " << present;
  }
  EXPECT_FALSE(present);
}

}  // namespace
}  // namespace ktune::suggestion
