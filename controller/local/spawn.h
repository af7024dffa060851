#pragma once
// Starting a trial process: a new process (see StartChild in spawn.cc) + exec without a shell, in
// its own process group, with stdin from /dev/null, stdout and stderr to one descriptor, a clean
// signal state, every other inherited descriptor closed at exec, PR_SET_PDEATHSIG(SIGKILL) (the
// trial leader dies with the thread that started it, so a `kill -9` of ktune does not leave it
// running), and, for the File collector, a private mount namespace in which a per-trial folder is
// bound over the directory of the metrics file.
//
// The mount namespace is Katib's emptyDir on the metrics directory (KATIB.md §3.4 step 6),
// made local: inside it the trial sees only its own folder at that path, also when trials
// run in parallel, while the host sees the folders side by side. When ktune is root the child
// enters a new mount namespace (CLONE_NEWNS); otherwise a new user namespace first, mapping
// only the caller's uid and gid to themselves, so the trial runs with its own ids and no
// capability outside (and none inside once it execs, as its uid is not 0 there).
//
// A metrics directory that does not exist on the host is created there when possible.
// Otherwise (e.g. /var/log/katib for a user that cannot write /var/log) the child mounts a
// tmpfs over the nearest existing ancestor inside its namespace, binds every entry of the
// original ancestor back into it (so nothing there disappears for the trial), and creates
// the missing directories in the tmpfs. The host is left untouched. The ancestor must not be
// `/` and must have at most kMaxShadowEntries entries.
//
// Thread safety: the functions are thread-safe. The child between fork and exec makes only
// system calls on data prepared beforehand (no allocation, no locks).

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "controller/local/io.h"

namespace ktune::controller::local {

// How trials are given their own view of the metrics directory.
enum class Isolation {
  kNone,            // no namespaces: the trial writes the host's path
  kMountNamespace,  // CLONE_NEWNS (needs CAP_SYS_ADMIN: ktune runs as root)
  kUserNamespace,   // CLONE_NEWUSER | CLONE_NEWNS (unprivileged user namespaces)
};
const char* IsolationName(Isolation isolation);

// The preferred mode first (root: kMountNamespace, then kUserNamespace, which also works for
// a root without CAP_SYS_ADMIN; others: kUserNamespace only), the first for which
// `probe(mode)` returns 0; kNone when none does. `probe` returns 0 or an errno.
Isolation ChooseIsolation(bool is_root, absl::FunctionRef<int(Isolation)> probe);

// Forks a child that enters `mode`, makes its mounts private and binds a directory over
// itself, then exits. Returns 0 when all of that worked, else the errno of the failing step
// (EPERM, EINVAL, ENOSYS, ENOSPC for a user-namespace limit, ...).
int ProbeIsolation(Isolation mode);

// ChooseIsolation(geteuid() == 0, ProbeIsolation), computed once per process and cached.
Isolation DetectIsolation();

inline constexpr int kMaxShadowEntries = 4096;

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is searched in ktune's PATH
  std::vector<std::string> env;   // the whole environment, "KEY=VALUE"
  std::string working_dir;
  int output_fd = -1;  // becomes stdout and stderr of the child
  Isolation isolation = Isolation::kNone;
  // With isolation other than kNone: an existing host directory, bound over `bind_target`
  // (absolute, normalized) inside the child's mount namespace.
  std::string bind_source;
  std::string bind_target;
};

struct Process {
  pid_t pid = -1;  // also the process group id
  // A pidfd of the child; invalid where pidfd_open is unavailable (kernel < 5.3).
  UniqueFd pidfd;
};

// Starts the child. Must be called from a thread that outlives the child's supervision
// (PR_SET_PDEATHSIG fires when the calling thread ends).
// Errors (nothing was started, or the child already exited and was reaped):
//  - NotFound: argv[0] not found in PATH, or the working directory does not exist;
//  - FailedPrecondition: the mount namespace could not be set up (names the step and path);
//  - ResourceExhausted / PermissionDenied / Internal: fork, pipes, exec (errno named).
absl::StatusOr<Process> Spawn(const SpawnRequest& request);

}  // namespace ktune::controller::local
