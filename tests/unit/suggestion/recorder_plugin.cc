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

#include <algorithm>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "algorithms/plugin.h"

#ifndef RECORDER_NAME
#define RECORDER_NAME "test-recorder"
#endif

namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;

const std::string* Setting(const Experiment& e, const std::string& name) {
  for (const auto& s : e.spec().algorithm().algorithm_settings()) {
    if (s.name() == name) return &s.value();
  }
  return nullptr;
}

class RecorderInstance final : public ktune::algorithms::Algorithm::Instance {
 public:
  absl::StatusOr<GetSuggestionsReply> GetSuggestions(
      const GetSuggestionsRequest& request) override {
    const Experiment& e = request.experiment();
    if (Setting(e, "throw") != nullptr) throw std::runtime_error("boom");
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
      if (Setting(e, "name_trials") != nullptr) {
        pa->set_trial_name(absl::StrCat(e.name(), "-", calls_, "-", i));
      }
    }
    auto* setting = reply.mutable_algorithm()->add_algorithm_settings();
    setting->set_name("calls");
    setting->set_value(absl::StrCat(calls_));
    return reply;
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
  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& e) const override {
    if (Setting(e, "fail_create") != nullptr) {
      return absl::FailedPreconditionError("cannot create");
    }
    return std::make_unique<RecorderInstance>();
  }
};

}  // namespace

KTUNE_EXPORT_ALGORITHM(Recorder, RECORDER_NAME)
