#pragma once
// Conversions between the v1beta1 model and Katib's gRPC messages (api.proto), following
// Katib's controller mapping (KATIB.md §4.2, §2.3): enums by name, unknown -> UNKNOWN;
// a trial's status.condition is its last condition; observation metrics hold one value per
// metric chosen by the metric strategy; times in `2006-01-02T15:04:05Z` form.

#include "api/api.pb.h"
#include "core/experiment.h"

namespace ktune::core {

api::v1::beta1::Experiment ExperimentToProto(const Experiment& experiment);
api::v1::beta1::ObjectiveSpec ObjectiveToProto(const ObjectiveSpec& objective);
api::v1::beta1::ParameterSpec ParameterToProto(const ParameterSpec& parameter);
api::v1::beta1::Trial TrialToProto(const Trial& trial);

}  // namespace ktune::core
