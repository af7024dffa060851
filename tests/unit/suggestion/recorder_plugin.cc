// A test algorithm that reports what it was sent. Each suggestion carries labels:
//   received       trials in this request
//   received_names their names, sorted, comma-separated
//   known          distinct trial names seen since the instance was created
//   call           calls so far on this instance
// Settings (read from the request's experiment, so they can change between calls):
//   throw          any value: throw std::runtime_error("boom") (validate and get_suggestions)
//   fail_code      N: fail get_suggestions with status code N, message "asked to fail"
//   fail_create    any value: create fails with FAILED_PRECONDITION
//   max_per_call   N: return at most N assignments
//   name_trials    any value: name each suggestion "<prefix>-<call>-<i>"
//   spin           any value: log "spinning" (warn), then poll the host until it says stop and
//                  return its code with the message "noticed: <what Host::Check said>"
//   log_lines      N: log N lines "line <i>" at info
//   log_text       a value: log it verbatim at warn
// What the host table said (ABI 1.1) is in the labels too:
//   host_version   its version string; host_abi  its ABI version "major.minor"
//   host_gpu       "1" or "0"; host_threads  its thread budget
//   remaining      milliseconds to the deadline, or "none"
// Create logs "created" at info. The instance keeps state (SaveState / LoadState): its call
// count and the names it knows, as "recorder/1\n<calls>\n<names, comma-separated>".

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "algorithms/plugin.h"

#ifndef RECORDER_NAME
#define RECORDER_NAME "test-recorder"
#endif

namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using ktune::algorithms::Host;

constexpr char kStateMagic[] = "recorder/1\n";

const std::string* Setting(const Experiment& e, const std::string& name) {
  for (const auto& s : e.spec().algorithm().algorithm_settings()) {
    if (s.name() == name) return &s.value();
  }
  return nullptr;
}

class RecorderInstance final : public ktune::algorithms::Algorithm::Instance {
 public:
  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    const Experiment& e = request.experiment();
    if (Setting(e, "throw") != nullptr) throw std::runtime_error("boom");
    if (Setting(e, "spin") != nullptr) {
      if (!host.available()) return absl::FailedPreconditionError("spin needs a host");
      host.Log(Host::LogLevel::kWarn, "spinning");
      absl::Status stop;
      while ((stop = host.Check()).ok()) {
      }
      return absl::Status(stop.code(), absl::StrCat("noticed: ", stop.message()));
    }
    if (const std::string* lines = Setting(e, "log_lines")) {
      int n = 0;
      if (absl::SimpleAtoi(*lines, &n)) {
        for (int i = 0; i < n; ++i) host.Log(Host::LogLevel::kInfo, absl::StrCat("line ", i));
      }
    }
    if (const std::string* text = Setting(e, "log_text")) host.Log(Host::LogLevel::kWarn, *text);
    if (const std::string* code = Setting(e, "fail_code")) {
      int n = 0;
      if (!absl::SimpleAtoi(*code, &n)) n = 2;
      return absl::Status(static_cast<absl::StatusCode>(n), "asked to fail");
    }
    ++calls_;
    std::vector<std::string> names;
    for (const auto& t : request.trials()) {
      names.push_back(t.name());
      known_.insert(t.name());
    }
    std::sort(names.begin(), names.end());
    int count = request.current_request_number();
    if (const std::string* max = Setting(e, "max_per_call")) {
      int n = 0;
      if (absl::SimpleAtoi(*max, &n)) count = std::min(count, n);
    }
    GetSuggestionsReply reply;
    for (int i = 0; i < count; ++i) {
      auto* pa = reply.add_parameter_assignments();
      auto* a = pa->mutable_assignments()->Add();
      a->set_name("x");
      a->set_value(
          absl::StrCat(request.total_request_number() - request.current_request_number() + i));
      (*pa->mutable_labels())["received"] = absl::StrCat(request.trials_size());
      (*pa->mutable_labels())["received_names"] = absl::StrJoin(names, ",");
      (*pa->mutable_labels())["known"] = absl::StrCat(known_.size());
      (*pa->mutable_labels())["call"] = absl::StrCat(calls_);
      auto& labels = *pa->mutable_labels();
      labels["host_version"] = std::string(host.version());
      labels["host_abi"] =
          absl::StrCat(KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(host.abi_version()), ".",
                       KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF(host.abi_version()));
      labels["host_gpu"] = host.gpu_present() ? "1" : "0";
      labels["host_threads"] = absl::StrCat(host.thread_budget());
      labels["remaining"] = host.Remaining() == std::chrono::milliseconds::max()
                                ? std::string("none")
                                : absl::StrCat(host.Remaining().count());
      if (Setting(e, "name_trials") != nullptr) {
        pa->set_trial_name(absl::StrCat(e.name(), "-", calls_, "-", i));
      }
    }
    auto* setting = reply.mutable_algorithm()->add_algorithm_settings();
    setting->set_name("calls");
    setting->set_value(absl::StrCat(calls_));
    return reply;
  }

  absl::StatusOr<std::string> SaveState(const Host& /*host*/) override {
    std::vector<std::string> names(known_.begin(), known_.end());
    return absl::StrCat(kStateMagic, calls_, "\n", absl::StrJoin(names, ","));
  }

  absl::Status LoadState(std::string_view state, const Host& host) override {
    absl::string_view rest(state.data(), state.size());
    if (!absl::ConsumePrefix(&rest, kStateMagic)) {
      return absl::InvalidArgumentError("not a recorder state");
    }
    std::vector<std::string> parts = absl::StrSplit(rest, absl::MaxSplits('\n', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &calls_)) {
      return absl::InvalidArgumentError("a damaged recorder state");
    }
    for (absl::string_view name : absl::StrSplit(parts[1], ',', absl::SkipEmpty())) {
      known_.emplace(name);
    }
    host.Log(Host::LogLevel::kInfo, absl::StrCat("loaded state after ", calls_, " call(s)"));
    return absl::OkStatus();
  }

 private:
  int calls_ = 0;
  std::set<std::string> known_;
};

class Recorder final : public ktune::algorithms::Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& e) const override {
    if (Setting(e, "throw") != nullptr) throw std::runtime_error("boom");
    if (Setting(e, "invalid") != nullptr) return absl::InvalidArgumentError("invalid on request");
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& e,
                                                   const Host& host) const override {
    if (Setting(e, "fail_create") != nullptr) {
      return absl::FailedPreconditionError("cannot create");
    }
    host.Log(Host::LogLevel::kInfo, "created");
    return std::make_unique<RecorderInstance>();
  }
};

}  // namespace

KTUNE_EXPORT_ALGORITHM(Recorder, RECORDER_NAME)
