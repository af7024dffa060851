#include "metrics-collector/collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/defaults.h"
#include "core/time_util.h"
#include "metrics-collector/internal/file_follower.h"
#include "spdlog/spdlog.h"

namespace ktune::metrics {

using Clock = std::chrono::steady_clock;

namespace {

// Parse errors (JSON lines that are not objects) logged per trial before only the total is.
constexpr uint64_t kMaxLoggedParseErrors = 5;

bool PowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

std::string Bytes(size_t n) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (n >= kMiB && n % kMiB == 0) return absl::StrCat(n / kMiB, " MiB");
  return absl::StrCat(n, " bytes");
}

}  // namespace

// ---- spec -----------------------------------------------------------------------------------

absl::StatusOr<CollectorSpec> CollectorSpecFor(const core::Trial& trial) {
  CollectorSpec spec;
  spec.trial_name = trial.metadata.name;
  spec.objective_metric = trial.spec.objective.objective_metric_name;
  spec.metric_names.push_back(spec.objective_metric);
  for (const auto& m : trial.spec.objective.additional_metric_names) spec.metric_names.push_back(m);
  const core::MetricsCollectorSpec& mc = trial.spec.metrics_collector;
  spec.filters = mc.metrics_format.value_or(std::vector<std::string>{});
  if (mc.kind.empty() || mc.kind == "StdOut") {
    spec.source = CollectorSpec::Source::kOutput;
  } else if (mc.kind == "File") {
    spec.source = CollectorSpec::Source::kFile;
    spec.file_path = mc.file_system_path ? mc.file_system_path->path : "";
    if (spec.file_path.empty()) spec.file_path = core::kDefaultFilePath;
    if (mc.file_system_path && mc.file_system_path->format == "JSON") {
      spec.format = MetricsFormat::kJson;
    }
  } else if (mc.kind == "Push") {
    spec.source = CollectorSpec::Source::kPush;
  } else {
    return absl::UnimplementedError(absl::StrCat("metrics collector kind ", mc.kind,
                                                 " is not supported by ktune's collector yet; use ",
                                                 "StdOut, File or Push"));
  }
  return spec;
}

std::vector<std::string> CollectorResult::Warnings() const {
  std::vector<std::string> out;
  if (overlong_lines > 0) {
    out.push_back(absl::StrCat(overlong_lines, " line(s) of the trial's ",
                               source == CollectorSpec::Source::kOutput ? "output" : "metrics file",
                               " were longer than ", Bytes(max_line_bytes),
                               " and were not parsed; metrics on them are lost"));
  }
  if (dropped > 0) {
    out.push_back(absl::StrCat(dropped, " metric samples could not be stored and were dropped"));
  }
  return out;
}

// ---- MetricsReporter ----------------------------------------------------------------------

struct MetricsReporter::Queue {
  std::string trial;
  std::deque<core::MetricLog> pending;
  uint64_t reported = 0;
  uint64_t dropped = 0;
  uint64_t failures = 0;  // consecutive
  uint64_t failed_reports = 0;
  absl::Status last_error;
  std::chrono::milliseconds backoff{0};
  Clock::time_point next_try{};
  bool abandoned = false;
  bool finished = false;
  Clock::time_point flush_deadline{};
  CollectorResult result;
  FinishCallback done;
};

MetricsReporter::MetricsReporter(MetricsSink& sink, ReporterOptions options)
    : sink_(sink), options_(std::move(options)) {
  thread_ = std::thread([this] { Loop(); });
}

MetricsReporter::~MetricsReporter() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  thread_.join();
}

uint64_t MetricsReporter::Register(const std::string& trial_name) {
  MutexLock lock(mu_);
  const uint64_t id = ++next_id_;
  queues_[id].trial = trial_name;
  return id;
}

void MetricsReporter::DropOldest(Queue& q) {
  const size_t max = std::max<size_t>(1, options_.max_buffered_samples);
  if (q.pending.size() <= max) return;
  const size_t n = q.pending.size() - max;
  if (q.dropped == 0) {
    spdlog::warn(
        "trial {}: the metrics sink is not keeping up ({} samples waiting); the oldest are "
        "dropped from now on",
        q.trial, max);
  }
  q.pending.erase(q.pending.begin(), q.pending.begin() + static_cast<ptrdiff_t>(n));
  q.dropped += n;
}

void MetricsReporter::Push(uint64_t id, std::vector<core::MetricLog>& logs) {
  if (logs.empty()) return;
  MutexLock lock(mu_);
  Queue& q = queues_.find(id)->second;  // a live collector's queue
  for (auto& log : logs) q.pending.push_back(std::move(log));
  logs.clear();
  DropOldest(q);
  wake_.Signal();
}

void MetricsReporter::Close(uint64_t id, CollectorResult partial, FinishCallback done) {
  MutexLock lock(mu_);
  Queue& q = queues_.find(id)->second;  // a live collector's queue
  q.finished = true;
  q.flush_deadline = Clock::now() + options_.flush_timeout;
  q.result = std::move(partial);
  q.done = std::move(done);
  wake_.Signal();
}

void MetricsReporter::Abandon(uint64_t id) {
  MutexLock lock(mu_);
  auto it = queues_.find(id);
  if (it == queues_.end() || it->second.finished) return;
  it->second.abandoned = true;
  wake_.Signal();
}

// Locks by hand: the lock is let go around every sink call and Finish callback.
void MetricsReporter::Loop() {
  mu_.Lock();
  while (true) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next_wake = Clock::time_point::max();
    std::optional<uint64_t> due;
    std::vector<std::pair<FinishCallback, CollectorResult>> completed;
    bool flushing = false;  // a finished collector still has samples

    // Visit the queues round robin, starting after the one served last.
    std::vector<uint64_t> order;
    order.reserve(queues_.size());
    for (auto it = queues_.upper_bound(last_served_); it != queues_.end(); ++it) {
      order.push_back(it->first);
    }
    for (auto it = queues_.begin(); it != queues_.end() && it->first <= last_served_; ++it) {
      order.push_back(it->first);
    }
    for (uint64_t id : order) {
      Queue& q = queues_.find(id)->second;  // a live collector's queue
      if (q.abandoned) {
        queues_.erase(id);
        continue;
      }
      if (q.finished && !q.pending.empty() && q.failures > 0 && q.next_try >= q.flush_deadline) {
        spdlog::error("trial {}: {} metric samples could not be stored and are lost: {}", q.trial,
                      q.pending.size(), q.last_error.ToString());
        q.dropped += q.pending.size();
        q.pending.clear();
      }
      if (q.finished && q.pending.empty()) {
        CollectorResult result = std::move(q.result);
        result.reported = q.reported;
        result.dropped = q.dropped;
        result.failed_reports = q.failed_reports;
        result.last_error = q.last_error;
        if (q.dropped > 0) {
          spdlog::warn("trial {}: {} metric samples were dropped in all", q.trial, q.dropped);
        }
        completed.emplace_back(std::move(q.done), std::move(result));
        queues_.erase(id);
        continue;
      }
      if (q.pending.empty()) continue;
      flushing = flushing || q.finished;
      if (q.next_try <= now) {
        if (!due) due = id;
      } else {
        next_wake = std::min(next_wake, q.next_try);
      }
    }

    if (!completed.empty()) {
      mu_.Unlock();
      for (auto& [done, result] : completed) {
        if (done) done(result);
      }
      mu_.Lock();
      continue;
    }
    if (due) {
      last_served_ = *due;
      Queue& q = queues_.find(*due)->second;
      const size_t n = std::min(q.pending.size(), std::max<size_t>(1, options_.max_batch_samples));
      std::vector<core::MetricLog> batch(std::make_move_iterator(q.pending.begin()),
                                         std::make_move_iterator(q.pending.begin() + n));
      q.pending.erase(q.pending.begin(), q.pending.begin() + static_cast<ptrdiff_t>(n));
      const std::string trial = q.trial;
      mu_.Unlock();
      absl::Status status = sink_.Report(trial, batch);
      mu_.Lock();
      // Only this thread erases queues, so `q` is still there (maybe abandoned meanwhile).
      if (status.ok()) {
        if (q.failures > 0) {
          spdlog::info("trial {}: {} metric samples stored after {} failed attempts", trial, n,
                       q.failures);
        }
        q.reported += n;
        q.failures = 0;
        q.backoff = std::chrono::milliseconds(0);
        q.next_try = Clock::time_point{};
      } else {
        q.pending.insert(q.pending.begin(), std::make_move_iterator(batch.begin()),
                         std::make_move_iterator(batch.end()));
        DropOldest(q);
        ++q.failures;
        ++q.failed_reports;
        q.last_error = status;
        if (PowerOfTwo(q.failures)) {
          spdlog::warn("trial {}: storing {} metric samples failed (attempt {}), will retry: {}",
                       trial, n, q.failures, status.ToString());
        }
        q.backoff = q.backoff.count() == 0
                        ? std::max(std::chrono::milliseconds(1), options_.retry_initial)
                        : std::min(2 * q.backoff, options_.retry_max);
        q.next_try = Clock::now() + q.backoff;
      }
      continue;
    }
    if (stopping_ && !flushing) break;
    if (next_wake == Clock::time_point::max()) {
      wake_.Wait(mu_);
    } else {
      wake_.WaitUntil(mu_, next_wake);
    }
  }
  mu_.Unlock();
}

// ---- MetricsCollector -----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<MetricsCollector>> MetricsCollector::Create(
    CollectorSpec spec, CollectorSources sources, MetricsReporter& reporter,
    ParserOptions parser_options) {
  auto close_output = [&] {
    if (sources.output_fd >= 0) close(sources.output_fd);
  };
  if (spec.source == CollectorSpec::Source::kFile && sources.file.empty()) {
    close_output();
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", spec.trial_name, ": a File collector needs a file to follow"));
  }
  const MetricsFormat format =
      spec.source == CollectorSpec::Source::kOutput ? MetricsFormat::kText : spec.format;
  absl::StatusOr<std::unique_ptr<MetricsParser>> parser =
      NewMetricsParser(format, spec.metric_names, spec.filters, parser_options);
  if (!parser.ok()) {
    close_output();
    return parser.status();
  }
  if (sources.output_fd >= 0) {
    const int flags = fcntl(sources.output_fd, F_GETFL);
    if (flags >= 0) fcntl(sources.output_fd, F_SETFL, flags | O_NONBLOCK);
  }
  return std::unique_ptr<MetricsCollector>(new MetricsCollector(
      std::move(spec), std::move(sources), reporter, *std::move(parser), parser_options));
}

MetricsCollector::MetricsCollector(CollectorSpec spec, CollectorSources sources,
                                   MetricsReporter& reporter, std::unique_ptr<MetricsParser> parser,
                                   ParserOptions parser_options)
    : spec_(std::move(spec)),
      reporter_(reporter),
      queue_id_(reporter.Register(spec_.trial_name)),
      parser_(std::move(parser)),
      max_line_bytes_(parser_options.max_line_bytes),
      output_fd_(sources.output_fd),
      tee_(std::move(sources.tee)) {
  if (spec_.source == CollectorSpec::Source::kFile) {
    follower_ = std::make_unique<internal::FileFollower>(std::move(sources.file));
  }
}

MetricsCollector::~MetricsCollector() {
  CloseOutput();
  if (!finished_) reporter_.Abandon(queue_id_);
}

void MetricsCollector::Feed(std::string_view chunk) {
  absl::Status status = parser_->Feed(chunk, core::Now(), fresh_);
  if (!status.ok() && ++logged_parse_errors_ <= kMaxLoggedParseErrors) {
    spdlog::warn("trial {}: {}", spec_.trial_name, status.ToString());
  }
}

void MetricsCollector::Push() {
  for (const auto& log : fresh_) {
    if (log.name == spec_.objective_metric) objective_seen_ = true;
  }
  samples_ += fresh_.size();
  reporter_.Push(queue_id_, fresh_);
}

MetricsCollector::ReadState MetricsCollector::ReadOutput() {
  if (output_fd_ < 0) return ReadState::kEnded;
  char buf[64 * 1024];
  size_t total = 0;
  ReadState state = ReadState::kDrained;
  while (true) {
    if (total >= kMaxReadPerTurn) {
      state = ReadState::kMore;
      break;
    }
    ssize_t n = read(output_fd_, buf, sizeof buf);
    if (n > 0) {
      const std::string_view chunk(buf, static_cast<size_t>(n));
      if (tee_) tee_(chunk);
      if (spec_.source == CollectorSpec::Source::kOutput) Feed(chunk);
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    state = ReadState::kEnded;  // EOF, or an error that ends this stream
    break;
  }
  Push();
  return state;
}

void MetricsCollector::CloseOutput() {
  if (output_fd_ >= 0) close(output_fd_);
  output_fd_ = -1;
}

bool MetricsCollector::ReadFile() {
  if (!follower_) return false;
  const size_t n = follower_->Read(kMaxReadPerTurn, [&](std::string_view chunk) { Feed(chunk); });
  Push();
  return n >= kMaxReadPerTurn;
}

void MetricsCollector::Finish(bool run_succeeded, FinishCallback done) {
  finished_ = true;
  absl::Status status = parser_->Finish(core::Now(), fresh_);
  if (!status.ok()) spdlog::warn("trial {}: {}", spec_.trial_name, status.ToString());
  Push();
  CollectorResult result;
  result.source = spec_.source;
  result.objective_seen = objective_seen_;
  if (run_succeeded && !objective_seen_ && spec_.source != CollectorSpec::Source::kPush) {
    fresh_.push_back(UnavailableLog(spec_.objective_metric));
    samples_ += 1;
    reporter_.Push(queue_id_, fresh_);
    result.reported_unavailable = true;
  }
  result.samples = samples_;
  result.overlong_lines = parser_->dropped_lines();
  result.rejected_values = parser_->rejected_values();
  result.bad_lines = parser_->bad_lines();
  result.max_line_bytes = max_line_bytes_;
  if (follower_) {
    result.file_seen = follower_->seen();
    if (!result.file_seen) {
      spdlog::warn("trial {}: the trial did not write its metrics file {}", spec_.trial_name,
                   follower_->path().string());
    }
  }
  if (result.bad_lines > kMaxLoggedParseErrors) {
    spdlog::warn("trial {}: {} lines of the metrics file were not JSON objects", spec_.trial_name,
                 result.bad_lines);
  }
  reporter_.Close(queue_id_, std::move(result), std::move(done));
}

}  // namespace ktune::metrics
