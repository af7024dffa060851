#pragma once
// The validator behind ValidateExperiment (core/validation.h): one run over one experiment, in
// Katib's order. Its rules are split by topic: core/validation.cc (reporting, name and counts,
// update, objective, algorithms, resume policy, parameters, metrics collector) and
// core/validation_trial_template.cc (the trial template, rules 20-38). Internal to core/.
//
// Thread-safety: one instance per run, used by one thread; it borrows the experiment and the
// options for its lifetime.

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment.h"
#include "core/validation.h"

namespace ktune::core::internal {

class Validator {
 public:
  Validator(const Experiment& e, const ValidationOptions& options)
      : e_(e), s_(e.spec), options_(options) {}

  std::vector<FieldError> Run();

 private:
  // Every problem goes through Add. A Katib rule reached after the point where Katib's
  // validator returns (katib_stopped_, or template_stopped_ inside validateTrialTemplate) is
  // reported as a warning: Katib would deny the experiment only once the errors before it
  // are fixed.
  FieldError& Add(FieldError::Type type, std::string field, std::string value, std::string detail,
                  std::string hint);
  FieldError& Required(std::string field, std::string detail, std::string hint = "");
  FieldError& Invalid(std::string field, std::string value, std::string detail,
                      std::string hint = "");
  FieldError& Forbidden(std::string field, std::string detail, std::string hint = "");
  // ktune's own check (Katib admits it): a warning. Must be applied to the error just added.
  FieldError& Own(FieldError& e);
  // Stores a warning, or counts it once kMaxWarnings are stored (their number grows with the
  // input; Katib's errors are always kept).
  FieldError& Keep(FieldError e);

  // A large value (a template, a list, the spec) as Katib prints it, at most once per run
  // under each `key` and cut to about 1 KB; later quotes refer back to the first.
  std::string Quote(const std::string& key, std::string text);

  // Katib's typed decoding of what ktune's codec reads leniently. True when Katib's webhook
  // would fail to decode the object (its only answer then).
  bool DecodeAsKatib();

  // Katib's typed decoding of the raw object: the first number or boolean where Katib's API
  // has a string fails it (ktune reads it leniently).
  bool DecodeRawAsKatib(const nlohmann::json& raw);

  // Rules 1-6.
  void ValidateNameAndCounts();

  static std::string NameHint(const std::string& name);

  // Rules 7-9.
  void ValidateUpdate(const Experiment& old);

  // Rules 10-13; false when one of them failed (Katib returns there).
  bool ValidateObjective();

  // Rules 14-16.
  void ValidateAlgorithm();

  // Rules 17-18.
  void ValidateEarlyStopping();

  // Rule 19.
  void ValidateResumePolicy();

  // Rules 20-38.
  void ValidateTrialTemplate();

  static const nlohmann::json& FieldOrEmpty(const nlohmann::json& object, std::string_view key);

  // Rules 37-38: Katib reports the first problem; ktune reports the rest as warnings.
  void ValidateJob(const nlohmann::json& object);

  // The names of the template's containers (any kind of template), at most 16, for a hint.
  static std::vector<std::string> TemplateContainerNames(const TrialTemplate& t);

  // A trialParameter for `name`: the spec parameter it most likely refers to.
  std::string SuggestedReference(const std::string& name) const;

  std::string TrialParametersYaml(const std::vector<std::string>& placeholders) const;

  std::string TrialParametersHint(const std::vector<std::string>& placeholders) const;

  std::string MissingTrialParametersHint(const std::vector<std::string>& left) const;

  // Rules 39-46 and ktune's checks of each parameter.
  void ValidateParameters();

  // ktune: min, max and step are numbers (integers for int), min <= max, step > 0. Numbers are
  // read by core/number.h, as the algorithm plugins read them.
  void CheckRange(const ParameterSpec& p, const std::string& path);

  // ktune: a non-empty list, numeric for discrete, without repeats.
  void CheckList(const ParameterSpec& p, const std::string& path);

  // Rules 47-60 and ktune's checks of the StdOut filter.
  void ValidateMetricsCollector();

  // Rules 59-60, and ktune's capture-group count. Under StdOut Katib checks nothing: the same
  // problems are ktune's warnings there.
  void ValidateFilters(const MetricsCollectorSpec& m, bool katib_checks_it);

  static constexpr char kAfterKatibStops[] =
      "Katib stops before this check and reports it once the errors before it are fixed";
  static constexpr size_t kMaxWarnings = 100;
  // Katib's errors grow with the input (one per bad parameter); past this many, only their
  // number is reported (the webhook reports at most 50 anyway).
  static constexpr size_t kMaxErrors = 200;

  const Experiment& e_;
  const ExperimentSpec& s_;
  const ValidationOptions& options_;
  std::vector<FieldError> errors_;
  bool katib_stopped_ = false;     // Katib's validator has returned (or never started)
  bool template_stopped_ = false;  // Katib's validateTrialTemplate has returned
  bool collector_without_kind_ = false;
  std::set<std::string> quoted_;  // keys of the large values quoted so far
  size_t warnings_ = 0;
  size_t dropped_warnings_ = 0;
  size_t errors_kept_ = 0;
  size_t dropped_errors_ = 0;
  FieldError scratch_;  // receives the modifications of a dropped warning
};

}  // namespace ktune::core::internal
