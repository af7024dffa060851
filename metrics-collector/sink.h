#pragma once
// MetricsSink: where a trial's collected observation logs go (the ObservationStore in-process,
// Katib's DBManager over gRPC), and FanOutSink, which also tells a listener (the controller's
// metric events, early stopping) about every batch once it is stored.
//
// A sink is called by a MetricsReporter (collector.h), which batches, buffers and retries; a
// sink itself just stores one batch or says why it could not.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/experiment.h"

namespace ktune::metrics {

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  // Stores one batch of `trial_name`'s logs, in order. An error means the batch was not stored
  // and may be offered again as a whole (Unavailable for a store that is briefly down; the
  // reporter retries every error the same way, with capped backoff).
  // Thread safety: may be called from any thread, also concurrently.
  virtual absl::Status Report(const std::string& trial_name,
                              const std::vector<core::MetricLog>& logs) = 0;
};

// Reports each batch to `primary` (the store); once `primary` has accepted it, hands the same
// batch to `listener`, so that a listener never hears of a sample the store does not have and
// hears of each stored batch exactly once (a batch the store refused is retried, and heard of
// when it is stored). The result is `primary`'s.
// Ownership: `primary` is borrowed and must outlive the FanOutSink. The listener runs on the
// thread that called Report (a reporter thread), without any lock of this class held; it must
// be thread-safe and quick (enqueue work, do not store or block).
class FanOutSink : public MetricsSink {
 public:
  using Listener =
      std::function<void(const std::string& trial_name, const std::vector<core::MetricLog>& logs)>;
  FanOutSink(MetricsSink& primary, Listener listener)
      : primary_(primary), listener_(std::move(listener)) {}

  absl::Status Report(const std::string& trial_name,
                      const std::vector<core::MetricLog>& logs) override {
    absl::Status status = primary_.Report(trial_name, logs);
    if (status.ok() && listener_) listener_(trial_name, logs);
    return status;
  }

 private:
  MetricsSink& primary_;
  const Listener listener_;
};

}  // namespace ktune::metrics
