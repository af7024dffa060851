#pragma once
// LogCapture: what reaches spdlog's default logger while it lives (it replaces the default
// logger, at trace level, and restores the previous one). Create it before starting threads
// that log.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/spdlog.h"

namespace ktune::suggestion::testing {

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>(*this)) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Every line so far, as "<level>: <message>" (level as spdlog names it: info, warning...).
  std::vector<std::string> lines() const {
    MutexLock lock(mu_);
    return lines_;
  }
  // The lines containing `text`.
  std::vector<std::string> Matching(const std::string& text) const {
    std::vector<std::string> out;
    for (const std::string& line : lines()) {
      if (line.find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  // Blocks until a line containing `text` has been logged.
  void WaitFor(const std::string& text) const {
    MutexLock lock(mu_);
    while (!ContainsLocked(text)) cv_.Wait(mu_);
  }
  // Blocks until `n` lines containing `text` have been logged; false after `timeout` without.
  bool WaitForCount(const std::string& text, size_t n,
                    std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (CountLocked(text) < n) {
      if (!cv_.WaitUntil(mu_, deadline)) return CountLocked(text) >= n;
    }
    return true;
  }

 private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    explicit Sink(LogCapture& capture) : capture_(capture) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      std::string line(spdlog::level::to_string_view(msg.level).data(),
                       spdlog::level::to_string_view(msg.level).size());
      line += ": ";
      line.append(msg.payload.data(), msg.payload.size());
      MutexLock lock(capture_.mu_);
      capture_.lines_.push_back(std::move(line));
      capture_.cv_.SignalAll();
    }
    void flush_() override {}

   private:
    LogCapture& capture_;
  };

  bool ContainsLocked(const std::string& text) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  size_t CountLocked(const std::string& text) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t n = 0;
    for (const std::string& line : lines_) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
  mutable Mutex mu_;
  mutable CondVar cv_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune::suggestion::testing
