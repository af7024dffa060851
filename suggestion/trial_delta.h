#pragma once
// TrialDelta: which trials of an experiment's history one algorithm instance still has to be
// sent, and Katib's rule for which trials an algorithm sees at all. Shared by the in-process
// adapter (which converts the controller's trials to api.proto) and the gRPC Suggestion
// service (which receives Katib's full api.proto history on every call), so both send a
// plugin instance exactly the same requests (ktune_algorithm.h, "Instances and history").

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "api/api.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace ktune::suggestion {

// Katib's rule for what an algorithm learns from (KATIB.md §2.3): every trial except
// MetricsUnavailable ones and EarlyStopped ones without an available observation. Judged on
// the message as an algorithm receives it: status.condition is the trial's last condition,
// and "available" means the observation holds the objective metric
// (spec.objective.objective_metric_name) with a value that is a finite number
// (core/number.h), as core::IsObservationAvailable says for the model.
bool IsSentToAlgorithm(const api::v1::beta1::Trial& trial);

// The upsert diff between a trial history and what one algorithm instance has accepted, keyed
// by trial name. A trial is sent when IsSentToAlgorithm keeps it and the instance has not
// accepted it with the same status: it is new, or its status (start and completion time,
// condition, observation) changed since. A trial's spec is never compared: it does not change
// after creation. Trials without a name are never sent (a plugin upserts by name). A trial
// sent earlier that the filter drops later (it became MetricsUnavailable) is not sent again:
// the ABI has no removal, so the instance keeps the status it was last sent.
//
// One call: Offer each trial of the history (or Select them all) and send those it accepts;
// then Commit once the instance accepted the request, or Abandon when the call failed (the
// same trials are offered again next time; plugins upsert, so a repeat is harmless). Reset for
// a new instance, which then receives the full history again.
//
// Memory: one entry per accepted trial (its name and its status in wire form, a few dozen
// bytes). Not thread-safe: it belongs to one instance's adapter.
class TrialDelta {
 public:
  // True when `trial` is to be sent in this call; it then stays pending until Commit or
  // Abandon. Offering the same name twice in one call (with the same status) is accepted once.
  bool Offer(const api::v1::beta1::Trial& trial);
  // Appends to `out` a copy of each trial of `history` that Offer accepts, in order.
  void Select(const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& history,
              google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>* out);
  // The instance accepted this call's request: the pending trials count as sent.
  void Commit();
  // This call's request was not accepted: nothing pending counts as sent.
  void Abandon();
  // A new instance that has been sent nothing.
  void Reset();

  // Trials the instance has accepted, by distinct name.
  size_t accepted() const { return accepted_.size(); }

 private:
  // Trial name -> its status's wire bytes (TrialStatus has no map field, so equal statuses
  // serialize to equal bytes in one process).
  absl::flat_hash_map<std::string, std::string> accepted_;
  absl::flat_hash_map<std::string, std::string> pending_;
};

}  // namespace ktune::suggestion
