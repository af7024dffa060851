#pragma once
// MetricsCollector: collects one trial's metrics — reads its source, parses it (parser.h),
// hands the samples to a sink (sink.h) and applies Katib's "unavailable" rule — for the local
// executor now and the metrics-collector sidecar later. MetricsReporter delivers the samples of
// many collectors to one sink from one thread of its own, so that a slow or failing sink never
// blocks the thread that reads the trials' output.
//
// Sources (CollectorSpec::source, from the trial's metricsCollectorSpec):
//  - kOutput (Katib's StdOut collector): the trial's output, a pipe the collector reads;
//  - kFile (File collector): a file the trial writes (TEXT or JSON lines), followed while the
//    trial runs: it may appear late, be truncated or be replaced (then both are read);
//  - kPush (Push collector): nothing to collect: the trial reports its metrics itself through
//    the DBManager API (ReportObservationLog, e.g. the SDK's report_metrics), straight into the
//    store. The collector still reads the output for the tee, and applies no unavailable rule:
//    what the trial pushed is known only to the store, which the controller reads at the end
//    (a run that pushed no objective ends MetricsUnavailable there, as in Katib).
// The output is read in either case, and every byte of it is handed to a tee (the trial's log);
// it is parsed only for kOutput. Reads are bounded: at most kMaxReadPerTurn bytes per call, in
// chunks of 64 KiB, so a trial printing gigabytes keeps memory flat and cannot starve its
// owner's other duties; a line longer than ParserOptions::max_line_bytes is not parsed, and
// counted.
//
// Delivery, as a sink (a store, a gRPC stream) may rely on it:
//  - Batching: samples wait in a buffer per collector; the reporter hands everything buffered,
//    at most max_batch_samples, to the sink in one Report call as soon as the sink is free, so
//    a slow sink gets bigger batches, not more calls.
//  - Order: a trial's samples reach the sink in the order they were parsed; a refused batch is
//    offered again before anything newer. A Report that returned OK is never repeated.
//  - Bounded buffer: at most max_buffered_samples of a collector wait; beyond that the oldest
//    are dropped, counted (CollectorResult::dropped) and logged (a warning when dropping
//    starts, the total at the end).
//  - Retry: a failed Report is retried after retry_initial, doubling up to retry_max, for as
//    long as the trial runs; failures are logged at the 1st, 2nd, 4th, 8th, ... attempt.
//  - Flush on exit: Finish() parses what is left, applies the unavailable rule and asks for
//    everything to be delivered; the reporter keeps retrying for at most flush_timeout after
//    Finish, then drops what is left (counted, logged) and runs the Finish callback. The
//    callback runs after the trial's last Report call has returned: every sample the sink
//    accepted is in the sink when it runs.
//  - A Report call that never returns holds up every collector of that reporter: sinks must
//    bound their own calls (a deadline on RPCs, a busy timeout on a database).
//
// The unavailable rule (Katib, KATIB.md §6.4): when Finish is told the run succeeded and no
// sample of the objective metric was parsed during the whole run (one dropped for a full buffer
// still counts as parsed), the collector reports UnavailableLog(objective) —
// {0001-01-01T00:00:00Z, objective, "unavailable"} — as its last sample. Samples of additional
// metrics already delivered stay (Katib, which parses only after the run, drops them). This is
// the one place of the rule; the controller computes MetricsUnavailable from what was stored.
//
// Ownership and threads: a MetricsReporter borrows its sink (which must outlive it) and owns
// one thread, joined by its destructor. A MetricsCollector is used by one thread (its owner's:
// an executor's supervisor, a sidecar's main loop), never concurrently; it must be destroyed
// before its reporter. Finish callbacks and sink calls run on the reporter's thread, without
// any lock held, so they may call into the owner; a Finish callback must not destroy the
// reporter.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "metrics-collector/parser.h"
#include "metrics-collector/sink.h"

namespace ktune::metrics {

namespace internal {
class FileFollower;
}

// What to collect for one trial: Katib's metricsCollectorSpec and objective, read.
struct CollectorSpec {
  enum class Source { kOutput, kFile, kPush };
  std::string trial_name;
  std::string objective_metric;
  std::vector<std::string> metric_names;  // the objective first, then the additional metrics
  Source source = Source::kOutput;
  // kFile: the path as the trial writes it (fileSystemPath.path, or Katib's default
  // /var/log/katib/metrics.log); the owner resolves it (CollectorSources::file).
  std::string file_path;
  MetricsFormat format = MetricsFormat::kText;  // kOutput is always kText
  std::vector<std::string> filters;             // source.filter.metricsFormat; kText only
};

// The spec of `trial` (its name, objective and metricsCollectorSpec).
// Errors: Unimplemented for a collector kind other than StdOut (the default), File and Push.
absl::StatusOr<CollectorSpec> CollectorSpecFor(const core::Trial& trial);

// Where a collector reads; see MetricsCollector::Create.
struct CollectorSources {
  // The trial's output (a pipe, set O_NONBLOCK by Create), owned by the collector from Create
  // on, also when Create fails; -1: none.
  int output_fd = -1;
  // Called with every chunk of output read, in order (the trial's log); may be empty. Runs on
  // the owner's thread, inside ReadOutput.
  std::function<void(std::string_view)> tee = nullptr;
  // kFile: the file to follow, as this process sees it (the trial may see it elsewhere, e.g.
  // through a mount namespace).
  std::filesystem::path file = {};
};

struct ReporterOptions {
  // Samples of one collector waiting for the sink; beyond this the oldest are dropped.
  size_t max_buffered_samples = 100000;
  // Samples per Report call at most.
  size_t max_batch_samples = 10000;
  // Backoff after a failed Report: starts at retry_initial, doubles, capped at retry_max.
  std::chrono::milliseconds retry_initial{50};
  std::chrono::milliseconds retry_max{2000};
  // How long after Finish the last samples are retried before they are dropped.
  std::chrono::milliseconds flush_timeout{30000};
};

// What a collector did, handed to its Finish callback.
struct CollectorResult {
  CollectorSpec::Source source = CollectorSpec::Source::kOutput;
  uint64_t samples = 0;          // parsed, the unavailable log included
  uint64_t reported = 0;         // accepted by the sink
  uint64_t dropped = 0;          // lost: pushed out of a full buffer, or left at the flush timeout
  uint64_t failed_reports = 0;   // Report calls that returned an error
  absl::Status last_error;       // of the last failed Report; OK when none failed
  uint64_t overlong_lines = 0;   // lines over ParserOptions::max_line_bytes, not parsed
  uint64_t rejected_values = 0;  // see MetricsParser::rejected_values
  uint64_t bad_lines = 0;        // JSON lines that were not an object
  size_t max_line_bytes = 0;
  bool objective_seen = false;
  bool reported_unavailable = false;  // the unavailable rule added its log
  bool file_seen = false;             // kFile: the file existed at some read

  // One sentence per loss a user should know of, for the trial's log (empty when none):
  // over-long lines, dropped samples.
  std::vector<std::string> Warnings() const;
};

class MetricsCollector;

class MetricsReporter {
 public:
  // Borrows `sink`, which must outlive the reporter; starts the reporter's thread.
  explicit MetricsReporter(MetricsSink& sink, ReporterOptions options = {});
  // Delivers what finished collectors still hold (each within its flush timeout), runs their
  // Finish callbacks, and joins the thread. Every collector must have been destroyed.
  ~MetricsReporter();
  MetricsReporter(const MetricsReporter&) = delete;
  MetricsReporter& operator=(const MetricsReporter&) = delete;

  const ReporterOptions& options() const { return options_; }

 private:
  friend class MetricsCollector;
  struct Queue;
  using FinishCallback = std::function<void(const CollectorResult&)>;

  uint64_t Register(const std::string& trial_name);
  void Push(uint64_t id, std::vector<core::MetricLog>& logs);
  void Close(uint64_t id, CollectorResult partial, FinishCallback done);
  void Abandon(uint64_t id);
  void Loop();
  void DropOldest(Queue& q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  MetricsSink& sink_;
  const ReporterOptions options_;
  Mutex mu_;
  CondVar wake_;
  std::map<uint64_t, Queue> queues_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_served_ ABSL_GUARDED_BY(mu_) = 0;  // round robin between collectors
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class MetricsCollector {
 public:
  // At most this many bytes per ReadOutput / ReadFile call.
  static constexpr size_t kMaxReadPerTurn = size_t{1} << 20;
  using FinishCallback = std::function<void(const CollectorResult&)>;

  // A collector for `spec` reading `sources`, delivering through `reporter` (borrowed; it must
  // outlive the collector). Errors: InvalidArgument for no objective metric name or a filter
  // that does not compile (NewMetricsParser), or kFile without a file.
  static absl::StatusOr<std::unique_ptr<MetricsCollector>> Create(
      CollectorSpec spec, CollectorSources sources, MetricsReporter& reporter,
      ParserOptions parser_options = {});
  // Without Finish, samples not yet delivered are dropped; the Finish callback of a finished
  // collector still runs (the reporter keeps what it needs).
  ~MetricsCollector();
  MetricsCollector(const MetricsCollector&) = delete;
  MetricsCollector& operator=(const MetricsCollector&) = delete;

  // The output descriptor to wait on (readable), -1 when none or closed.
  int output_fd() const { return output_fd_; }
  enum class ReadState {
    kDrained,  // read what was there; more may come
    kMore,     // stopped at kMaxReadPerTurn; call again without waiting
    kEnded,    // end of file or a read error: nothing more will come; call CloseOutput
  };
  // Reads what the output has now (never blocks), tees and parses it.
  ReadState ReadOutput();
  // Closes the output descriptor (after the owner stopped waiting on it).
  void CloseOutput();

  bool follows_file() const { return follower_ != nullptr; }
  // kFile: reads what the file has now. True when it stopped at kMaxReadPerTurn (call again
  // without waiting); false when it is at the end for now (poll again later).
  bool ReadFile();

  // The run ended (`run_succeeded`: it exited 0 on its own): parses a last line without
  // newline, applies the unavailable rule, and hands everything left to the reporter, which
  // calls `done` on its thread once it is delivered or dropped (see the header comment).
  // Nothing may be called afterwards but the destructor. The output need not be closed.
  void Finish(bool run_succeeded, FinishCallback done);

 private:
  MetricsCollector(CollectorSpec spec, CollectorSources sources, MetricsReporter& reporter,
                   std::unique_ptr<MetricsParser> parser, ParserOptions parser_options);
  void Feed(std::string_view chunk);
  void Push();

  const CollectorSpec spec_;
  MetricsReporter& reporter_;
  const uint64_t queue_id_;
  std::unique_ptr<MetricsParser> parser_;
  const size_t max_line_bytes_;
  int output_fd_ = -1;
  std::function<void(std::string_view)> tee_;
  std::unique_ptr<internal::FileFollower> follower_;
  std::vector<core::MetricLog> fresh_;
  uint64_t samples_ = 0;
  uint64_t logged_parse_errors_ = 0;
  bool objective_seen_ = false;
  bool finished_ = false;
};

}  // namespace ktune::metrics
