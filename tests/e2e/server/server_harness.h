#pragma once
// A real `ktune server` on free loopback ports for end-to-end tests, and a runner for other
// real programs (kubectl, python3) with captured output.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/process.h"

namespace ktune::e2e {

// Runs `argv` (argv[0] a path) in `dir` with `env` added to this process's environment;
// returns its exit code and output.
inline Result RunProgram(const std::vector<std::string>& argv_s, const fs::path& dir,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& tag = "cmd") {
  std::vector<std::string> argv_copy = argv_s;
  std::vector<char*> argv;
  for (auto& a : argv_copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!env.count(key)) env_s.push_back(kv);
  }
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const fs::path out = dir / (tag + ".out"), err = dir / (tag + ".err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = -1;
  Result r;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    r.err = "cannot start " + argv_s[0];
    return r;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

// `ktune server --port 0 --grpc-port 0 ...` in `dir`, with its ports read from the line it
// prints once it listens.
class Server {
 public:
  Server(const fs::path& dir, std::vector<std::string> extra = {}) : dir_(dir) {
    fs::create_directories(dir_);
    std::vector<std::string> args = {
        "server",      "--port", "0", "--grpc-port", "0", "--db", (dir_ / "ktune.db").string(),
        "--log-level", "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(args, dir_);
    const bool up = WaitInDir(dir_, [this] {
      const std::string out = ReadAll(dir_ / "stdout");
      std::smatch m;
      static const std::regex line(R"(listening on (https?)://[^:]+:(\d+)(?: grpc (\d+))?)");
      if (std::regex_search(out, m, line)) {
        scheme_ = m[1];
        port_ = std::stoi(m[2]);
        if (m[3].matched) grpc_port_ = std::stoi(m[3]);
        return true;
      }
      return !ReadAll(dir_ / "stderr").empty() &&
             ReadAll(dir_ / "stderr").find("ktune server:") != std::string::npos;
    });
    EXPECT_TRUE(up && port_ > 0) << "ktune server did not start:\n"
                                 << ReadAll(dir_ / "stdout") << ReadAll(dir_ / "stderr");
  }
  ~Server() {
    if (process_) {
      process_->Signal(SIGTERM);
      process_->Wait();
    }
  }
  int port() const { return port_; }
  int grpc_port() const { return grpc_port_; }
  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
  // SIGKILL, as a crash: no shutdown code runs.
  void Kill() {
    process_->Signal(SIGKILL);
    process_->Wait();
    process_.reset();
  }
  Result Stop() {
    process_->Signal(SIGTERM);
    Result r = process_->Wait();
    process_.reset();
    return r;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::unique_ptr<Process> process_;
  std::string scheme_ = "http";
  int port_ = 0;
  int grpc_port_ = 0;
};

// The real kubectl (Google's dispatcher at /usr/bin/kubectl, which runs kubectl 1.32 for the
// server's /version) with its config and caches in `home`, its output in `dir`.
inline const fs::path kKubectl = "/usr/bin/kubectl";
inline Result Kubectl(const std::string& url, const fs::path& dir, const fs::path& home,
                      std::vector<std::string> args) {
  std::vector<std::string> argv = {kKubectl.string(), "--server", url};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, dir,
                    {{"HOME", home.string()},
                     {"KUBECONFIG", (home / "kubeconfig").string()},
                     {"KUBECACHEDIR", (home / "cache").string()}},
                    "kubectl");
}

}  // namespace ktune::e2e
