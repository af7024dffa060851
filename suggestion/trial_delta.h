#pragma once
// TrialDelta: which trials of an experiment's history one algorithm instance still has to be
// sent, and Katib's rule for which trials an algorithm sees at all. Shared by the in-process
// adapter (which converts the controller's trials to api.proto) and the gRPC Suggestion
// service (which receives Katib's full api.proto history on every call), so both send a
// plugin instance exactly the same requests (ktune_algorithm.h, "Instances and history").

#include <cstddef>
#include <string>
#include <string_view>

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

// The upsert diff between a trial history and what one algorithm instance has been sent,
// keyed by trial name with a status fingerprint. A trial is sent when IsSentToAlgorithm keeps
// it and the instance has not yet been sent it with the same fingerprint: it is new, or its
// status (start and completion time, condition, observation) changed since. A trial's spec is
// never compared: it does not change after creation. Trials without a name are never sent (a
// plugin upserts by name). A trial the filter dropped is remembered too, so an unchanged one
// costs a lookup and is not judged again; one sent earlier that the filter drops later (it
// became MetricsUnavailable) is not sent again: the ABI has no removal, so the instance keeps
// the status it was last sent.
//
// The fingerprint is the caller's: any string that changes whenever the trial's status as an
// algorithm receives it changes, used consistently for one TrialDelta. Fingerprint(trial) is
// the one for api.proto trials (the gRPC service); the in-process adapter uses one computed on
// its own model, so that it converts to api.proto only the trials that changed.
//
// One call: for each trial of the history, skip it unless Changed, else Offer it and send it
// when Offer says so (Offer(trial) and Select do both steps with Fingerprint); then Commit once
// the instance accepted the request, or Abandon when the call failed (the same trials are
// offered again next time; plugins upsert, so a repeat is harmless). Reset for a new instance,
// which then receives the full history again.
//
// Memory: one entry per distinct trial name seen (the name and its fingerprint). Not
// thread-safe: it belongs to one instance's adapter.
class TrialDelta {
 public:
  // The fingerprint of an api.proto trial: its status in wire form (TrialStatus has no map
  // field, so equal statuses serialize to equal bytes within one process).
  static std::string Fingerprint(const api::v1::beta1::Trial& trial);

  // Whether the trial named `name` with this fingerprint needs to be offered in this call:
  // false when the instance was sent it (or it was filtered out) with this very fingerprint,
  // when it was offered already in this call with it, and for an empty name.
  bool Changed(std::string_view name, std::string_view fingerprint) const;
  // Judges `trial` (a Changed one; its fingerprint is `fingerprint`): true when it is to be
  // sent in this call. Either way the judgement stays pending until Commit or Abandon.
  bool Offer(const api::v1::beta1::Trial& trial, std::string fingerprint);
  // Changed and Offer with Fingerprint(trial).
  bool Offer(const api::v1::beta1::Trial& trial);
  // Appends to `out` a copy of each trial of `history` that Offer(trial) accepts, in order.
  void Select(const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& history,
              google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>* out);
  // The instance accepted this call's request: the pending judgements hold.
  void Commit();
  // This call's request was not accepted: the pending judgements are forgotten.
  void Abandon();
  // A new instance that has been sent nothing.
  void Reset();

  // Distinct trial names judged so far (sent or filtered out) and committed.
  size_t known() const { return known_.size(); }

 private:
  // Trial name -> the fingerprint it was last judged with.
  absl::flat_hash_map<std::string, std::string> known_;
  absl::flat_hash_map<std::string, std::string> pending_;
};

}  // namespace ktune::suggestion
