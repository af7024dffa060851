#include "metrics-collector/collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/mutex.h"
#include "metrics-collector/sink.h"

namespace ktune::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Records every batch; can fail the next N calls, and can hold calls at a gate until opened.
class TestSink : public MetricsSink {
 public:
  absl::Status Report(const std::string& trial, const std::vector<core::MetricLog>& logs) override {
    MutexLock lock(mu_);
    ++calls_;
    changed_.SignalAll();
    while (gate_closed_) changed_.Wait(mu_);
    std::vector<std::string> batch;
    for (const auto& log : logs) batch.push_back(log.name + "=" + log.value);
    offered_.push_back(batch);
    if (failures_left_ > 0) {
      --failures_left_;
      return absl::UnavailableError("database is locked (test)");
    }
    for (auto& b : batch) stored_[trial].push_back(b);
    batches_[trial].push_back(std::move(batch));
    return absl::OkStatus();
  }
  void FailNext(int n) {
    MutexLock lock(mu_);
    failures_left_ = n;
  }
  void CloseGate() {
    MutexLock lock(mu_);
    gate_closed_ = true;
  }
  void OpenGate() {
    MutexLock lock(mu_);
    gate_closed_ = false;
    changed_.SignalAll();
  }
  // Waits until Report has been entered `n` times in all.
  void WaitForCalls(int n) {
    MutexLock lock(mu_);
    while (calls_ < n) changed_.Wait(mu_);
  }
  std::vector<std::string> stored(const std::string& trial) {
    MutexLock lock(mu_);
    return stored_[trial];
  }
  std::vector<std::vector<std::string>> batches(const std::string& trial) {
    MutexLock lock(mu_);
    return batches_[trial];
  }
  std::vector<std::vector<std::string>> offered() {
    MutexLock lock(mu_);
    return offered_;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  bool gate_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::vector<std::string>> offered_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> stored_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::vector<std::string>>> batches_ ABSL_GUARDED_BY(mu_);
};

CollectorSpec OutputSpec(const std::string& trial) {
  CollectorSpec spec;
  spec.trial_name = trial;
  spec.objective_metric = "loss";
  spec.metric_names = {"loss", "acc"};
  return spec;
}

// A pipe standing in for a trial's output: the test writes, the collector reads.
struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~Pipe() {
    if (write_fd >= 0) close(write_fd);
  }
  void Write(const std::string& text) {
    ASSERT_EQ(write(write_fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void CloseWriter() {
    close(write_fd);
    write_fd = -1;
  }
  int read_fd = -1;  // handed to the collector, which owns it
  int write_fd = -1;
};

std::unique_ptr<MetricsCollector> NewCollector(CollectorSpec spec, CollectorSources sources,
                                               MetricsReporter& reporter,
                                               ParserOptions parser_options = {}) {
  auto collector =
      MetricsCollector::Create(std::move(spec), std::move(sources), reporter, parser_options);
  EXPECT_TRUE(collector.ok()) << collector.status();
  return collector.ok() ? *std::move(collector) : nullptr;
}

// Finishes `collector` and waits for its callback; returns the result and what the sink had
// stored for the trial when the callback ran.
struct Finished {
  CollectorResult result;
  std::vector<std::string> stored_at_callback;
};
Finished FinishAndWait(MetricsCollector& collector, bool succeeded, TestSink& sink,
                       const std::string& trial) {
  std::promise<Finished> done;
  collector.Finish(succeeded, [&](const CollectorResult& r) {
    done.set_value({r, sink.stored(trial)});
  });
  return done.get_future().get();
}

// ---- spec -----------------------------------------------------------------------------------

TEST(CollectorSpecTest, ReadsTheTrialsCollectorSpec) {
  core::Trial t;
  t.metadata.name = "t";
  t.spec.objective.objective_metric_name = "loss";
  t.spec.objective.additional_metric_names = {"acc"};
  absl::StatusOr<CollectorSpec> spec = CollectorSpecFor(t);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source, CollectorSpec::Source::kOutput);
  EXPECT_THAT(spec->metric_names, ElementsAre("loss", "acc"));

  t.spec.metrics_collector.kind = "File";
  t.spec.metrics_collector.file_system_path = core::FileSystemPath{"", "File", "JSON"};
  spec = CollectorSpecFor(t);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source, CollectorSpec::Source::kFile);
  EXPECT_EQ(spec->file_path, "/var/log/katib/metrics.log");
  EXPECT_EQ(spec->format, MetricsFormat::kJson);

  t.spec.metrics_collector.kind = "Push";
  spec = CollectorSpecFor(t);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source, CollectorSpec::Source::kPush);

  t.spec.metrics_collector.kind = "TensorFlowEvent";
  EXPECT_EQ(CollectorSpecFor(t).status().code(), absl::StatusCode::kUnimplemented);
}

// ---- reading --------------------------------------------------------------------------------

TEST(MetricsCollectorTest, TeesTheOutputAndParsesIt) {
  TestSink sink;
  MetricsReporter reporter(sink);
  Pipe out;
  std::string teed;
  auto collector = NewCollector(
      OutputSpec("t"),
      {.output_fd = out.read_fd, .tee = [&](std::string_view chunk) { teed.append(chunk); }},
      reporter);
  out.Write("loss=0.5 acc=0.7\nnoise\n");
  EXPECT_EQ(collector->ReadOutput(), MetricsCollector::ReadState::kDrained);
  out.Write("loss=0.25");  // no newline: parsed by Finish
  out.CloseWriter();
  EXPECT_EQ(collector->ReadOutput(), MetricsCollector::ReadState::kEnded);
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_EQ(teed, "loss=0.5 acc=0.7\nnoise\nloss=0.25");
  EXPECT_THAT(f.stored_at_callback, ElementsAre("loss=0.5", "acc=0.7", "loss=0.25"));
  EXPECT_EQ(f.result.samples, 3u);
  EXPECT_EQ(f.result.reported, 3u);
  EXPECT_TRUE(f.result.objective_seen);
  EXPECT_FALSE(f.result.reported_unavailable);
  EXPECT_THAT(f.result.Warnings(), IsEmpty());
}

TEST(MetricsCollectorTest, ReadsAtMostOneTurnPerCall) {
  TestSink sink;
  MetricsReporter reporter(sink);
  // A file stands in for a pipe holding more than one turn's worth (pipes hold 64 KiB here).
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("ktune-turn-" + std::to_string(std::random_device()()));
  std::ofstream(path) << std::string(MetricsCollector::kMaxReadPerTurn + 10, 'x');
  size_t teed = 0;
  auto collector = NewCollector(OutputSpec("t"),
                                {.output_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC),
                                 .tee = [&](std::string_view chunk) { teed += chunk.size(); }},
                                reporter);
  std::filesystem::remove(path);
  EXPECT_EQ(collector->ReadOutput(), MetricsCollector::ReadState::kMore);
  EXPECT_EQ(teed, MetricsCollector::kMaxReadPerTurn);
  EXPECT_EQ(collector->ReadOutput(), MetricsCollector::ReadState::kEnded);
  EXPECT_EQ(teed, MetricsCollector::kMaxReadPerTurn + 10);
  collector->Finish(false, nullptr);
}

TEST(MetricsCollectorTest, FileSourceIsFollowedAndTheOutputOnlyTeed) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("ktune-collector-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "metrics.log";
  TestSink sink;
  MetricsReporter reporter(sink);
  CollectorSpec spec = OutputSpec("t");
  spec.source = CollectorSpec::Source::kFile;
  spec.format = MetricsFormat::kJson;
  Pipe out;
  std::string teed;
  auto collector = NewCollector(spec,
                                {.output_fd = out.read_fd,
                                 .tee = [&](std::string_view chunk) { teed.append(chunk); },
                                 .file = file},
                                reporter);
  ASSERT_TRUE(collector->follows_file());
  EXPECT_FALSE(collector->ReadFile());  // not there yet
  out.Write("loss=9\n");                // output is not parsed with a File collector
  collector->ReadOutput();
  std::ofstream(file) << "{\"loss\": \"0.5\"}\n";
  EXPECT_FALSE(collector->ReadFile());
  std::ofstream(file, std::ios::trunc) << "{\"acc\": 0.75}\n";  // truncated: read again
  EXPECT_FALSE(collector->ReadFile());
  std::ofstream(file, std::ios::app) << "{\"loss\": 0.25}";
  EXPECT_FALSE(collector->ReadFile());
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_EQ(teed, "loss=9\n");
  EXPECT_THAT(f.stored_at_callback, ElementsAre("loss=0.5", "acc=0.75", "loss=0.25"));
  EXPECT_TRUE(f.result.file_seen);
  std::filesystem::remove_all(dir);
}

TEST(MetricsCollectorTest, OverlongLinesAreCountedInAWarning) {
  TestSink sink;
  MetricsReporter reporter(sink);
  Pipe out;
  auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter,
                                ParserOptions{.max_line_bytes = 8});
  out.Write("loss=0.123456789\nloss=1\n");
  collector->ReadOutput();
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_THAT(f.stored_at_callback, ElementsAre("loss=1"));
  EXPECT_EQ(f.result.overlong_lines, 1u);
  EXPECT_THAT(f.result.Warnings(),
              ElementsAre("1 line(s) of the trial's output were longer than 8 bytes and were not "
                          "parsed; metrics on them are lost"));
}

// ---- the unavailable rule -------------------------------------------------------------------

TEST(MetricsCollectorTest, UnavailableWhenASucceededRunNeverReportedTheObjective) {
  TestSink sink;
  MetricsReporter reporter(sink);
  {
    Pipe out;
    auto collector = NewCollector(OutputSpec("ok"), {.output_fd = out.read_fd}, reporter);
    out.Write("acc=0.9\n");
    collector->ReadOutput();
    Finished f = FinishAndWait(*collector, /*succeeded=*/true, sink, "ok");
    EXPECT_THAT(f.stored_at_callback, ElementsAre("acc=0.9", "loss=unavailable"));
    EXPECT_TRUE(f.result.reported_unavailable);
    std::vector<std::vector<std::string>> batches = sink.batches("ok");
    ASSERT_FALSE(batches.empty());
  }
  {
    // A failed (or stopped) run is not judged: no unavailable log.
    auto collector = NewCollector(OutputSpec("failed"), {}, reporter);
    Finished f = FinishAndWait(*collector, /*succeeded=*/false, sink, "failed");
    EXPECT_THAT(f.stored_at_callback, IsEmpty());
    EXPECT_FALSE(f.result.reported_unavailable);
  }
  {
    // The objective appeared: no unavailable log.
    Pipe out;
    auto collector = NewCollector(OutputSpec("seen"), {.output_fd = out.read_fd}, reporter);
    out.Write("loss=0.1\n");
    collector->ReadOutput();
    Finished f = FinishAndWait(*collector, true, sink, "seen");
    EXPECT_THAT(f.stored_at_callback, ElementsAre("loss=0.1"));
    EXPECT_FALSE(f.result.reported_unavailable);
  }
}

TEST(MetricsCollectorTest, PushCollectorOnlyTeesTheOutputAndLeavesTheVerdictToTheStore) {
  // The trial pushes its metrics to the DBManager itself: `loss=` lines in its output are not
  // metrics, and a succeeded run that printed none gets no unavailable log from the collector.
  TestSink sink;
  MetricsReporter reporter(sink);
  CollectorSpec spec = OutputSpec("p");
  spec.source = CollectorSpec::Source::kPush;
  Pipe out;
  std::string teed;
  auto collector = NewCollector(
      spec, {.output_fd = out.read_fd, .tee = [&](std::string_view chunk) { teed.append(chunk); }},
      reporter);
  out.Write("loss=0.5\n");
  collector->ReadOutput();
  Finished f = FinishAndWait(*collector, /*succeeded=*/true, sink, "p");
  EXPECT_EQ(teed, "loss=0.5\n");
  EXPECT_THAT(f.stored_at_callback, IsEmpty());
  EXPECT_FALSE(f.result.reported_unavailable);
  EXPECT_EQ(f.result.samples, 0u);
}

TEST(MetricsCollectorTest, UnavailableLogHasKatibsZeroTime) {
  class Capture : public MetricsSink {
   public:
    absl::Status Report(const std::string&, const std::vector<core::MetricLog>& logs) override {
      MutexLock lock(mu_);
      for (const auto& l : logs) logs_.push_back(l);
      return absl::OkStatus();
    }
    std::vector<core::MetricLog> logs() {
      MutexLock lock(mu_);
      return logs_;
    }

   private:
    Mutex mu_;
    std::vector<core::MetricLog> logs_ ABSL_GUARDED_BY(mu_);
  } sink;
  MetricsReporter reporter(sink);
  auto collector = NewCollector(OutputSpec("t"), {}, reporter);
  std::promise<void> done;
  collector->Finish(true, [&](const CollectorResult&) { done.set_value(); });
  done.get_future().wait();
  ASSERT_EQ(sink.logs().size(), 1u);
  EXPECT_EQ(sink.logs()[0].time_stamp, "0001-01-01T00:00:00Z");
  EXPECT_EQ(sink.logs()[0].name, "loss");
  EXPECT_EQ(sink.logs()[0].value, "unavailable");
}

// ---- delivery -------------------------------------------------------------------------------

// While the sink is busy, samples pile up and go in one batch once it is free, split only by
// max_batch_samples.
TEST(MetricsReporterTest, BatchesWhatArrivesWhileTheSinkIsBusy) {
  TestSink sink;
  MetricsReporter reporter(sink, {.max_batch_samples = 4});
  Pipe out;
  auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter);
  sink.CloseGate();
  out.Write("loss=0\n");
  collector->ReadOutput();
  sink.WaitForCalls(1);  // the first sample is being stored; the sink is held
  for (int i = 1; i <= 6; ++i) {
    out.Write("loss=" + std::to_string(i) + "\n");
    collector->ReadOutput();  // one Push per read
  }
  sink.OpenGate();
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_THAT(sink.batches("t"), ElementsAre(ElementsAre("loss=0"),
                                             ElementsAre("loss=1", "loss=2", "loss=3", "loss=4"),
                                             ElementsAre("loss=5", "loss=6")));
  EXPECT_EQ(f.result.reported, 7u);
}

TEST(MetricsReporterTest, FailedBatchesAreRetriedInOrderBeforeTheFinishCallback) {
  TestSink sink;
  MetricsReporter reporter(sink, {.retry_initial = std::chrono::milliseconds(1),
                                  .retry_max = std::chrono::milliseconds(4)});
  sink.FailNext(5);
  Pipe out;
  auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter);
  for (int i = 1; i <= 8; ++i) {
    out.Write("loss=" + std::to_string(i) + "\n");
    collector->ReadOutput();
  }
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_THAT(f.stored_at_callback, ElementsAre("loss=1", "loss=2", "loss=3", "loss=4", "loss=5",
                                                "loss=6", "loss=7", "loss=8"));
  EXPECT_EQ(f.result.failed_reports, 5u);
  EXPECT_EQ(f.result.dropped, 0u);
  EXPECT_EQ(f.result.reported, 8u);
  EXPECT_TRUE(absl::IsUnavailable(f.result.last_error));
}

// A sink that never recovers: the buffer keeps only the newest samples, and Finish gives up
// after the flush timeout, counting every lost sample.
TEST(MetricsReporterTest, BufferIsBoundedAndTheFlushTimesOut) {
  TestSink sink;
  MetricsReporter reporter(sink, {.max_buffered_samples = 3,
                                  .retry_initial = std::chrono::milliseconds(1),
                                  .retry_max = std::chrono::milliseconds(1),
                                  .flush_timeout = std::chrono::milliseconds(50)});
  sink.FailNext(1 << 30);
  Pipe out;
  auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter);
  sink.CloseGate();  // hold the first attempt so that the rest piles up in the buffer
  out.Write("loss=1\n");
  collector->ReadOutput();
  sink.WaitForCalls(1);
  out.Write("loss=2\nloss=3\nloss=4\nloss=5\nloss=6\n");
  collector->ReadOutput();
  sink.OpenGate();
  Finished f = FinishAndWait(*collector, true, sink, "t");
  EXPECT_THAT(f.stored_at_callback, IsEmpty());
  EXPECT_EQ(f.result.samples, 6u);
  EXPECT_EQ(f.result.dropped, 6u);
  EXPECT_EQ(f.result.reported, 0u);
  // The last attempt offered the newest samples, and no more than the bound.
  EXPECT_THAT(sink.offered().back(), ElementsAre("loss=4", "loss=5", "loss=6"));
  EXPECT_THAT(f.result.Warnings(),
              ElementsAre("6 metric samples could not be stored and were dropped"));
}

TEST(MetricsReporterTest, CollectorsAreServedInTurn) {
  TestSink sink;
  MetricsReporter reporter(sink, {.max_batch_samples = 1});
  Pipe a_out, b_out;
  auto a = NewCollector(OutputSpec("a"), {.output_fd = a_out.read_fd}, reporter);
  auto b = NewCollector(OutputSpec("b"), {.output_fd = b_out.read_fd}, reporter);
  sink.CloseGate();
  a_out.Write("loss=0\n");
  a->ReadOutput();
  sink.WaitForCalls(1);
  a_out.Write("loss=1\nloss=2\nloss=3\n");
  a->ReadOutput();
  b_out.Write("loss=9\n");
  b->ReadOutput();
  sink.OpenGate();
  FinishAndWait(*b, true, sink, "b");
  FinishAndWait(*a, true, sink, "a");
  // b's one sample did not wait for all of a's backlog.
  EXPECT_THAT(sink.offered(),
              ElementsAre(ElementsAre("loss=0"), ElementsAre("loss=9"), ElementsAre("loss=1"),
                          ElementsAre("loss=2"), ElementsAre("loss=3")));
}

TEST(MetricsReporterTest, DestructorFlushesFinishedCollectors) {
  TestSink sink;
  std::promise<CollectorResult> done;
  {
    MetricsReporter reporter(sink);
    Pipe out;
    auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter);
    sink.CloseGate();
    out.Write("loss=1\n");
    collector->ReadOutput();
    collector->Finish(true, [&](const CollectorResult& r) { done.set_value(r); });
    collector.reset();
    sink.OpenGate();
  }
  EXPECT_EQ(done.get_future().get().reported, 1u);
  EXPECT_THAT(sink.stored("t"), ElementsAre("loss=1"));
}

// ---- fan-out --------------------------------------------------------------------------------

TEST(FanOutSinkTest, ListenerHearsOfEachStoredBatchOnce) {
  TestSink store;
  Mutex mu;
  std::vector<std::string> heard;
  FanOutSink fan_out(store, [&](const std::string& trial, const std::vector<core::MetricLog>& l) {
    MutexLock lock(mu);
    for (const auto& log : l) heard.push_back(trial + ":" + log.name + "=" + log.value);
  });
  MetricsReporter reporter(fan_out, {.retry_initial = std::chrono::milliseconds(1)});
  store.FailNext(2);  // refused twice: the listener must not hear of it until it is stored
  Pipe out;
  auto collector = NewCollector(OutputSpec("t"), {.output_fd = out.read_fd}, reporter);
  out.Write("loss=1\n");
  collector->ReadOutput();
  std::promise<std::vector<std::string>> heard_at_finish;
  collector->Finish(true, [&](const CollectorResult&) {
    MutexLock lock(mu);
    heard_at_finish.set_value(heard);
  });
  EXPECT_THAT(heard_at_finish.get_future().get(), ElementsAre("t:loss=1"));
  EXPECT_THAT(store.offered(),
              ElementsAre(ElementsAre("loss=1"), ElementsAre("loss=1"), ElementsAre("loss=1")));

  // Direct use: the primary's error comes back and the listener stays silent.
  store.FailNext(1);
  EXPECT_TRUE(absl::IsUnavailable(fan_out.Report("u", {{"2024-01-01T00:00:00Z", "loss", "2"}})));
  EXPECT_TRUE(fan_out.Report("u", {{"2024-01-01T00:00:00Z", "loss", "3"}}).ok());
  MutexLock lock(mu);
  EXPECT_THAT(heard, ElementsAre("t:loss=1", "u:loss=3"));
}

}  // namespace
}  // namespace ktune::metrics
