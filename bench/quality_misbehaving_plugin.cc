// "misbehaving": an algorithm plugin for bench/quality_selfcheck.sh only (built outside the
// plugin directory, loaded through KTUNE_PLUGIN_PATH), which shows that
// suggestion_quality_bench refuses bad suggestions. Its setting `fault` picks what goes wrong
// from the third suggestion on:
//   none           valid points (a low-discrepancy walk over each parameter; never repeats in
//                  the spaces the self-check uses)
//   out_of_bounds  a double or int one step above its max
//   off_step       an int between two steps
//   not_a_number   a double that does not parse
//   unknown_value  a categorical value outside the list
//   missing        one parameter left out
//   repeat         the previous point again
//   fewer          no assignment at all

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "algorithms/plugin.h"

namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using api::v1::beta1::ParameterSpec;
using ktune::algorithms::Algorithm;
using ktune::algorithms::Host;

std::string Fault(const Experiment& e) {
  for (const auto& s : e.spec().algorithm().algorithm_settings()) {
    if (s.name() == "fault") return s.value();
  }
  return "none";
}

class MisbehavingInstance final : public Algorithm::Instance {
 public:
  explicit MisbehavingInstance(const Experiment& e) : experiment_(e), fault_(Fault(e)) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host&) override {
    GetSuggestionsReply reply;
    for (int i = 0; i < request.current_request_number(); ++i) {
      const bool faulty = count_ >= 2;
      if (faulty && fault_ == "fewer") break;
      auto* pa = reply.add_parameter_assignments();
      if (faulty && fault_ == "repeat" && !last_.parameter_assignments().empty()) {
        *pa = last_.parameter_assignments(0);
        ++count_;
        continue;
      }
      bool damaged = false;
      int j = 0;
      for (const ParameterSpec& p : experiment_.spec().parameter_specs().parameters()) {
        if (faulty && fault_ == "missing" && !damaged) {
          damaged = true;
          continue;
        }
        auto* a = pa->add_assignments();
        a->set_name(p.name());
        a->set_value(Value(p, j++, faulty, damaged));
      }
      ++count_;
    }
    if (reply.parameter_assignments_size() > 0) {
      last_.Clear();
      *last_.add_parameter_assignments() =
          reply.parameter_assignments(reply.parameter_assignments_size() - 1);
    }
    return reply;
  }

 private:
  // The count_-th point of a walk with a different irrational stride per parameter.
  std::string Value(const ParameterSpec& p, int j, bool faulty, bool& damaged) {
    static constexpr double kPrimes[] = {2, 3, 5, 7, 11, 13, 17, 19};
    const double stride = std::sqrt(kPrimes[j % 8]);
    const double u = std::fmod(static_cast<double>(count_) * stride, 1.0);
    const auto& space = p.feasible_space();
    const bool hit = faulty && !damaged;
    if (p.parameter_type() == api::v1::beta1::CATEGORICAL) {
      if (hit && fault_ == "unknown_value") {
        damaged = true;
        return "no-such-value";
      }
      return space.list(static_cast<int>(u * space.list_size()) % space.list_size());
    }
    double lo = 0, hi = 0;
    (void)absl::SimpleAtod(space.min(), &lo);
    (void)absl::SimpleAtod(space.max(), &hi);
    if (p.parameter_type() == api::v1::beta1::INT) {
      int64_t step = 1;
      if (!space.step().empty()) (void)absl::SimpleAtoi(space.step(), &step);
      const int64_t lo_i = static_cast<int64_t>(lo), n = static_cast<int64_t>(hi - lo) / step + 1;
      if (hit && fault_ == "out_of_bounds") {
        damaged = true;
        return absl::StrCat(static_cast<int64_t>(hi) + step);
      }
      if (hit && fault_ == "off_step" && step > 1) {
        damaged = true;
        return absl::StrCat(lo_i + 1);
      }
      return absl::StrCat(lo_i + step * (static_cast<int64_t>(u * static_cast<double>(n)) % n));
    }
    if (hit && fault_ == "out_of_bounds") {
      damaged = true;
      char text[32];
      std::snprintf(text, sizeof(text), "%.17g", hi + (hi - lo) * 1e-6);
      return text;
    }
    if (hit && fault_ == "not_a_number") {
      damaged = true;
      return "nan";
    }
    return absl::StrCat(lo + (hi - lo) * u);
  }

  const Experiment experiment_;
  const std::string fault_;
  int64_t count_ = 0;
  GetSuggestionsReply last_;
};

class Misbehaving final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment&) const override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<Algorithm::Instance>> Create(const Experiment& e,
                                                              const Host&) const override {
    return std::make_unique<MisbehavingInstance>(e);
  }
};

}  // namespace

KTUNE_EXPORT_ALGORITHM(Misbehaving, "misbehaving")
