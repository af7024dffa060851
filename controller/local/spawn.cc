#include "controller/local/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace ktune::controller::local {
namespace {

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// What failed in the child before exec, sent to the parent through a CLOEXEC pipe.
enum class Step : int {
  kUnshare = 1,
  kSetgroups,
  kUidMap,
  kGidMap,
  kPrivate,
  kShadowTmpfs,
  kShadowEntry,
  kMkdir,
  kBind,
  kStdin,
  kDup,
  kChdir,
  kParentGone,
  kExec,
};

struct ChildError {
  Step step;
  int err;
  int index;  // kShadowEntry, kMkdir: which one
};

struct ShadowEntry {
  enum class Kind { kDirectory, kOther, kSymlink } kind;
  std::string path;    // inside the tmpfs
  std::string source;  // /proc/self/fd/<fd>/<name>: the original, reached through an O_PATH fd
  std::string link;    // kSymlink: the target
};

// Everything the child needs, prepared before fork so that the child only makes system calls.
struct Prepared {
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* working_dir = nullptr;
  int output_fd = -1;
  int error_fd = -1;
  int unshare_flags = 0;  // 0: no namespace
  bool map_ids = false;
  std::string uid_map;
  std::string gid_map;
  const char* bind_source = nullptr;
  const char* bind_target = nullptr;
  std::string shadow;  // empty: the target exists on the host
  UniqueFd shadow_fd;  // reserves the descriptor number the child reopens `shadow` under
  std::vector<ShadowEntry> entries;
  std::vector<std::string> mkdirs;
  pid_t parent = -1;
};

[[noreturn]] void Fail(int error_fd, Step step, int index = 0) {
  ChildError e{step, errno, index};
  ssize_t unused = write(error_fd, &e, sizeof e);
  (void)unused;
  _exit(127);
}

bool WriteProcFile(const char* path, const std::string& text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

// Enters the namespaces of `p` and sets up the mounts. errno set on failure.
bool EnterNamespace(const Prepared& p, Step& step, int& index) {
  step = Step::kUnshare;
  if (unshare(p.unshare_flags) != 0) return false;
  if (p.map_ids) {
    step = Step::kSetgroups;
    if (!WriteProcFile("/proc/self/setgroups", "deny")) return false;
    step = Step::kUidMap;
    if (!WriteProcFile("/proc/self/uid_map", p.uid_map)) return false;
    step = Step::kGidMap;
    if (!WriteProcFile("/proc/self/gid_map", p.gid_map)) return false;
  }
  step = Step::kPrivate;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (!p.shadow.empty()) {
    step = Step::kShadowTmpfs;
    // The entries are bound from /proc/self/fd/<shadow_fd>/..., which must be a path of this
    // namespace (a mount of the parent's namespace cannot be bound here): reopen the
    // ancestor under the descriptor number the parent reserved, before it is covered.
    int fd = open(p.shadow.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    if (dup3(fd, p.shadow_fd.get(), O_CLOEXEC) < 0) return false;
    close(fd);
    if (mount("tmpfs", p.shadow.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
      return false;
    }
    step = Step::kShadowEntry;
    for (size_t i = 0; i < p.entries.size(); ++i) {
      index = static_cast<int>(i);
      const ShadowEntry& e = p.entries[i];
      if (e.kind == ShadowEntry::Kind::kSymlink) {
        if (symlink(e.link.c_str(), e.path.c_str()) != 0) return false;
        continue;
      }
      if (e.kind == ShadowEntry::Kind::kDirectory) {
        if (mkdir(e.path.c_str(), 0755) != 0) return false;
      } else {
        int fd = open(e.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) return false;
        close(fd);
      }
      if (mount(e.source.c_str(), e.path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        return false;
      }
    }
    step = Step::kMkdir;
    for (size_t i = 0; i < p.mkdirs.size(); ++i) {
      index = static_cast<int>(i);
      if (mkdir(p.mkdirs[i].c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  step = Step::kBind;
  return mount(p.bind_source, p.bind_target, nullptr, MS_BIND | MS_REC, nullptr) == 0;
}

[[noreturn]] void RunChild(const Prepared& p) {
  // Handlers and ignored dispositions of ktune must not reach the trial; unblock afterwards.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  if (p.unshare_flags != 0) {
    Step step = Step::kUnshare;
    int index = 0;
    if (!EnterNamespace(p, step, index)) Fail(p.error_fd, step, index);
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0) Fail(p.error_fd, Step::kStdin);
  if (null_fd != 0) {
    if (dup2(null_fd, 0) < 0) Fail(p.error_fd, Step::kStdin);
    close(null_fd);
  }
  if (dup2(p.output_fd, 1) < 0 || dup2(p.output_fd, 2) < 0) Fail(p.error_fd, Step::kDup);
  if (chdir(p.working_dir) != 0) Fail(p.error_fd, Step::kChdir);
  // Whatever else ktune has open (another trial's pipe, a log, the database) stays here.
  syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != p.parent) {
    errno = ESRCH;
    Fail(p.error_fd, Step::kParentGone);
  }
  execvpe(p.argv[0], p.argv.data(), p.envp.data());
  Fail(p.error_fd, Step::kExec);
}

// Sanitizer runtimes keep per-thread state that a child sharing our memory would corrupt; their
// builds fork instead.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kShareMemoryUntilExec = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
constexpr bool kShareMemoryUntilExec = false;
#else
constexpr bool kShareMemoryUntilExec = true;
#endif
#else
constexpr bool kShareMemoryUntilExec = true;
#endif

constexpr size_t kChildStackSize = 256 * 1024;

int RunChildOnItsStack(void* prepared) { RunChild(*static_cast<const Prepared*>(prepared)); }

// Starts RunChild(p) in a new process. With no namespace to enter, the child shares this
// process's memory until it execs (CLONE_VM | CLONE_VFORK, as glibc's posix_spawn does), so no
// page tables are copied: fork's cost grows with ktune's address space and thread count and
// dominated the controller's per-trial overhead. The child only makes system calls on `p`
// (prepared beforehand) and on its own stack, and this thread is suspended until it execs or
// exits, so sharing is safe. Entering a user namespace needs a process of its own (unshare
// refuses CLONE_NEWUSER to a process sharing its memory), so namespaced children fork. Either
// way the child's parent is this thread, for PR_SET_PDEATHSIG.
pid_t StartChild(const Prepared& p) {
  if (!kShareMemoryUntilExec || p.unshare_flags != 0) {
    pid_t pid = fork();
    if (pid == 0) RunChild(p);
    return pid;
  }
  void* stack = mmap(nullptr, kChildStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  pid_t pid = clone(RunChildOnItsStack, static_cast<char*>(stack) + kChildStackSize,
                    CLONE_VM | CLONE_VFORK | SIGCHLD, const_cast<Prepared*>(&p));
  const int saved = errno;
  munmap(stack, kChildStackSize);
  errno = saved;
  return pid;
}

// Prepares the tmpfs "shadow" of `p` when `target` does not exist and cannot be created.
absl::Status PlanTarget(const std::string& target, Prepared& p) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(target, ec)) return absl::OkStatus();
  fs::create_directories(target, ec);
  if (!ec && fs::is_directory(target, ec)) return absl::OkStatus();
  fs::path ancestor = fs::path(target).parent_path();
  std::vector<std::string> missing = {target};
  while (!fs::exists(fs::symlink_status(ancestor, ec))) {
    missing.push_back(ancestor.string());
    ancestor = ancestor.parent_path();
  }
  if (!fs::is_directory(ancestor, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("the metrics directory ", target,
                                                      " cannot be created: ", ancestor.string(),
                                                      " is not a directory"));
  }
  if (ancestor == ancestor.root_path()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the metrics directory ", target, " does not exist and cannot be created (",
        ec ? ec.message() : "permission denied",
        "); create it, or choose a fileSystemPath.path below an existing directory other than /"));
  }
  int fd = open(ancestor.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", ancestor.string()));
  p.shadow_fd.reset(fd);
  p.shadow = ancestor.string();
  const std::string via = absl::StrCat("/proc/self/fd/", fd, "/");
  for (fs::directory_iterator it(ancestor, ec), end; !ec && it != end; it.increment(ec)) {
    if (p.entries.size() >= static_cast<size_t>(kMaxShadowEntries)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the metrics directory ", target, " does not exist and cannot be created, and ",
          ancestor.string(), " has more than ", kMaxShadowEntries,
          " entries to keep visible around it; create the directory"));
    }
    const std::string name = it->path().filename().string();
    ShadowEntry e;
    e.path = it->path().string();
    e.source = via + name;
    std::error_code type_ec;
    fs::file_status st = it->symlink_status(type_ec);
    if (fs::is_symlink(st)) {
      e.kind = ShadowEntry::Kind::kSymlink;
      e.link = fs::read_symlink(it->path(), type_ec).string();
      if (type_ec) continue;
    } else if (fs::is_directory(st)) {
      e.kind = ShadowEntry::Kind::kDirectory;
    } else {
      e.kind = ShadowEntry::Kind::kOther;
    }
    p.entries.push_back(std::move(e));
  }
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("listing ", ancestor.string()));
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) p.mkdirs.push_back(*it);
  return absl::OkStatus();
}

std::string StepMessage(const ChildError& e, const SpawnRequest& r, const Prepared& p) {
  switch (e.step) {
    case Step::kUnshare:
      return "entering a private mount namespace (unshare)";
    case Step::kSetgroups:
    case Step::kUidMap:
    case Step::kGidMap:
      return "mapping the user and group ids into the user namespace";
    case Step::kPrivate:
      return "making the namespace's mounts private";
    case Step::kShadowTmpfs:
      return absl::StrCat("mounting a tmpfs over ", p.shadow);
    case Step::kShadowEntry:
      return absl::StrCat("keeping ", p.entries[static_cast<size_t>(e.index)].path,
                          " visible under the tmpfs");
    case Step::kMkdir:
      return absl::StrCat("creating ", p.mkdirs[static_cast<size_t>(e.index)]);
    case Step::kBind:
      return absl::StrCat("binding ", r.bind_source, " over ", r.bind_target);
    case Step::kStdin:
      return "opening /dev/null as stdin";
    case Step::kDup:
      return "redirecting stdout and stderr";
    case Step::kChdir:
      return absl::StrCat("changing to the working directory ", r.working_dir);
    case Step::kParentGone:
      return "ktune ended while the trial was starting";
    case Step::kExec:
      return absl::StrCat("running \"", r.argv[0], "\"");
  }
  return "starting the trial";
}

absl::Status ChildStatus(const ChildError& e, const SpawnRequest& r, const Prepared& p) {
  if (e.step == Step::kChdir && e.err == ENOENT) {
    return absl::NotFoundError(
        absl::StrCat("working directory ", r.working_dir, " does not exist"));
  }
  if (e.step == Step::kExec && e.err == ENOENT) {
    return absl::NotFoundError(absl::StrCat(
        "command \"", r.argv[0], "\" not found (PATH and working directory ", r.working_dir, ")"));
  }
  std::string what = StepMessage(e, r, p);
  if (e.step <= Step::kBind) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", std::strerror(e.err)));
  }
  return ErrnoStatus(e.err, what);
}

pid_t WaitNoIntr(pid_t pid, int* status) {
  pid_t r;
  do {
    r = waitpid(pid, status, 0);
  } while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

const char* IsolationName(Isolation isolation) {
  switch (isolation) {
    case Isolation::kNone:
      return "none";
    case Isolation::kMountNamespace:
      return "mount namespace";
    case Isolation::kUserNamespace:
      return "user and mount namespace";
  }
  return "unknown";
}

Isolation ChooseIsolation(bool is_root, absl::FunctionRef<int(Isolation)> probe) {
  if (is_root && probe(Isolation::kMountNamespace) == 0) return Isolation::kMountNamespace;
  if (probe(Isolation::kUserNamespace) == 0) return Isolation::kUserNamespace;
  return Isolation::kNone;
}

int ProbeIsolation(Isolation mode) {
  if (mode == Isolation::kNone) return 0;
  Prepared p;
  p.unshare_flags = CLONE_NEWNS | (mode == Isolation::kUserNamespace ? CLONE_NEWUSER : 0);
  p.map_ids = mode == Isolation::kUserNamespace;
  p.uid_map = absl::StrCat(geteuid(), " ", geteuid(), " 1");
  p.gid_map = absl::StrCat(getegid(), " ", getegid(), " 1");
  p.bind_source = "/";
  p.bind_target = "/";
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    Step step;
    int index = 0;
    _exit(EnterNamespace(p, step, index) ? 0 : (errno != 0 ? errno : EINVAL));
  }
  int status = 0;
  if (WaitNoIntr(pid, &status) < 0) return errno;
  if (!WIFEXITED(status)) return EINVAL;
  return WEXITSTATUS(status);
}

Isolation DetectIsolation() {
  static const Isolation detected = ChooseIsolation(geteuid() == 0, ProbeIsolation);
  return detected;
}

absl::StatusOr<Process> Spawn(const SpawnRequest& request) {
  if (request.argv.empty()) return absl::InvalidArgumentError("empty command");
  Prepared p;
  std::vector<std::string> argv = request.argv;
  std::vector<std::string> env = request.env;
  for (auto& a : argv) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : env) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  p.working_dir = request.working_dir.c_str();
  p.output_fd = request.output_fd;
  p.parent = getpid();
  if (request.isolation != Isolation::kNone) {
    p.unshare_flags =
        CLONE_NEWNS | (request.isolation == Isolation::kUserNamespace ? CLONE_NEWUSER : 0);
    p.map_ids = request.isolation == Isolation::kUserNamespace;
    p.uid_map = absl::StrCat(geteuid(), " ", geteuid(), " 1");
    p.gid_map = absl::StrCat(getegid(), " ", getegid(), " 1");
    p.bind_source = request.bind_source.c_str();
    p.bind_target = request.bind_target.c_str();
    if (absl::Status st = PlanTarget(request.bind_target, p); !st.ok()) return st;
  }
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "creating a pipe");
  UniqueFd error_read(error_pipe[0]);
  UniqueFd error_write(error_pipe[1]);
  p.error_fd = error_write.get();

  pid_t pid = StartChild(p);
  if (pid < 0) return ErrnoStatus(errno, "starting the trial process");
  error_write.reset();
  // Also set here, so that the group exists whichever process runs first.
  setpgid(pid, pid);

  ChildError e;
  size_t got = 0;
  while (got < sizeof e) {
    ssize_t n = read(error_read.get(), reinterpret_cast<char*>(&e) + got, sizeof e - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == sizeof e) {
    int status = 0;
    WaitNoIntr(pid, &status);
    return ChildStatus(e, request, p);
  }
  Process process;
  process.pid = pid;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);  // pidfd_open sets it; kept explicit
    process.pidfd.reset(pidfd);
  }
  return process;
}

}  // namespace ktune::controller::local
