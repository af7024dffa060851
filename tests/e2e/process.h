#pragma once
// Runs the real `ktune` binary for end-to-end tests: stdout and stderr captured to files in
// the test's directory, which is also the working directory.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ktune::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

// KTUNE_E2E_BINARY runs the suite against another build (e.g. an older commit, to show a
// regression test fails there).
inline const fs::path kKtune = std::getenv("KTUNE_E2E_BINARY") != nullptr
                                   ? fs::path(std::getenv("KTUNE_E2E_BINARY"))
                                   : fs::path(KTUNE_BINARY_DIR) / "bin" / "ktune";

inline std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
  json result() const {
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << out << "\nstderr:\n" << err;
    return j;
  }
};

class Process {
 public:
  Process(const std::vector<std::string>& args, const fs::path& dir) : dir_(dir) {
    std::vector<std::string> argv_s{kKtune.string()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  void Signal(int sig) { kill(pid_, sig); }
  Result Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = ReadAll(dir_ / "stdout");
    r.err = ReadAll(dir_ / "stderr");
    return r;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
};

inline Result RunKtune(const std::vector<std::string>& args, const fs::path& dir) {
  return Process(args, dir).Wait();
}

// Blocks until `done()` is true, re-checking whenever a file in `dir` is created, written or
// renamed. False after 120 s without it (a hung test fails instead of blocking forever).
template <typename Done>
inline bool WaitInDir(const fs::path& dir, Done done) {
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE);
  bool ok = false;
  for (int idle = 0; idle < 120;) {
    if (done()) {
      ok = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, 1000);
    if (n == 0) {
      ++idle;
      continue;
    }
    char buf[4096];
    if (read(fd, buf, sizeof buf) < 0 && errno != EINTR) break;
  }
  close(fd);
  return ok;
}

inline int CountFiles(const fs::path& dir, const std::string& prefix) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

}  // namespace ktune::e2e
