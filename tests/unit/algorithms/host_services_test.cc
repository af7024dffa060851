// The built random and grid plugins against a scripted ABI 1.1 host table, through their C
// entry points: they log through the host, and a long get_suggestions polls the host's
// cancellation and returns its code.

#include <dlfcn.h>

#include <string>
#include <vector>

#include "algorithms/ktune_algorithm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/proto_builders.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::HasSubstr;

const ktune_algorithm_v1* Table(const std::string& library) {
  const std::string path = std::string(KTUNE_PLUGIN_DIR) + "/" + library;
  // Never closed, as the registry does not close plugins.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(handle, nullptr) << dlerror();
  if (handle == nullptr) return nullptr;
  auto entry =
      reinterpret_cast<ktune_algorithm_entry_v1_fn>(dlsym(handle, KTUNE_ALGORITHM_ENTRY_V1_SYMBOL));
  EXPECT_NE(entry, nullptr);
  return entry != nullptr ? entry() : nullptr;
}

// A host table whose call is cancelled at the `cancel_at`-th poll (0: never).
class ScriptedHost {
 public:
  explicit ScriptedHost(int cancel_at) : cancel_at_(cancel_at) {
    table_.struct_size = sizeof(table_);
    table_.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
    table_.host_version = "scripted 1";
    table_.thread_budget = 1;
    table_.context = this;
    table_.log = [](void* c, int32_t level, const char* message, size_t size) {
      static_cast<ScriptedHost*>(c)->logs_.push_back(std::to_string(level) + " " +
                                                     std::string(message, size));
    };
    table_.cancelled = [](void* c) -> ktune_status_code {
      auto* host = static_cast<ScriptedHost*>(c);
      ++host->polls_;
      return host->cancel_at_ > 0 && host->polls_ >= host->cancel_at_ ? KTUNE_STATUS_CANCELLED
                                                                      : KTUNE_STATUS_OK;
    };
    table_.remaining_ms = [](void*) -> int64_t { return KTUNE_NO_DEADLINE; };
  }
  const ktune_host_v1* table() const { return &table_; }
  int polls() const { return polls_; }
  const std::vector<std::string>& logs() const { return logs_; }

 private:
  ktune_host_v1 table_{};
  const int cancel_at_;
  int polls_ = 0;
  std::vector<std::string> logs_;
};

void Copy(void* context, const char* data, size_t size) {
  static_cast<std::string*>(context)->assign(data, size);
}

struct Call {
  ktune_status_code code;
  std::string reply;
  std::string error;
};

struct Instance {
  const ktune_algorithm_v1* table = nullptr;
  ktune_algorithm_instance* handle = nullptr;
  ~Instance() {
    if (table != nullptr) table->destroy(handle);
  }
};

// create_with_host; fails the test unless it succeeds.
void Create(const ktune_algorithm_v1* table, const api::Experiment& e, const ScriptedHost& host,
            Instance* out) {
  ASSERT_NE(table, nullptr);
  ASSERT_TRUE(KTUNE_ALGORITHM_V1_HAS(table, create_with_host));
  std::string bytes = e.SerializeAsString();
  std::string error;
  ASSERT_EQ(table->create_with_host(bytes.data(), bytes.size(), host.table(), &out->handle, &Copy,
                                    &error),
            KTUNE_STATUS_OK)
      << error;
  out->table = table;
}

Call Ask(const Instance& instance, const api::Experiment& e, int count, const ScriptedHost& host) {
  std::string bytes = MakeRequest(e, count, count).SerializeAsString();
  Call call;
  // Both sinks get the same context: point it at both strings.
  struct Both {
    std::string* reply;
    std::string* error;
  } both{&call.reply, &call.error};
  call.code = instance.table->get_suggestions_with_host(
      instance.handle, bytes.data(), bytes.size(), host.table(),
      [](void* c, const char* d, size_t n) { static_cast<Both*>(c)->reply->assign(d, n); },
      [](void* c, const char* d, size_t n) { static_cast<Both*>(c)->error->assign(d, n); }, &both);
  return call;
}

api::Experiment BigGrid() {
  // 100 x 100 = 10 000 points.
  return MakeExperiment("grid",
                        {Range("a", api::INT, "1", "100"), Range("b", api::INT, "1", "100")});
}

TEST(PluginHostServicesTest, BothPluginsExportTheAbi11Entries) {
  for (const char* library : {"libktune_random.so", "libktune_grid.so"}) {
    const ktune_algorithm_v1* table = Table(library);
    ASSERT_NE(table, nullptr) << library;
    EXPECT_EQ(table->abi_version, KTUNE_ALGORITHM_ABI_VERSION) << library;
    EXPECT_EQ(table->struct_size, sizeof(ktune_algorithm_v1)) << library;
    EXPECT_TRUE(KTUNE_ALGORITHM_V1_HAS(table, get_suggestions_with_host)) << library;
    // plugin.h always fills the state entries; these algorithms save nothing.
    ASSERT_TRUE(KTUNE_ALGORITHM_V1_HAS(table, save_state)) << library;
    ScriptedHost host(0);
    Instance instance;
    Create(table,
           library == std::string("libktune_grid.so")
               ? BigGrid()
               : MakeExperiment("random", {Range("lr", api::DOUBLE, "0", "1")},
                                {{"random_state", "1"}}),
           host, &instance);
    std::string state = "untouched";
    EXPECT_EQ(table->save_state(instance.handle, host.table(), &Copy, &Copy, &state),
              KTUNE_STATUS_OK);
    EXPECT_EQ(state, "untouched") << library << ": wrote a state";
  }
}

TEST(PluginHostServicesTest, GridStopsWhenTheHostCancelsMidCall) {
  ScriptedHost host(/*cancel_at=*/3);
  Instance instance;
  Create(Table("libktune_grid.so"), BigGrid(), host, &instance);
  EXPECT_THAT(host.logs(), ::testing::ElementsAre("1 a grid of 10000 points"));
  Call call = Ask(instance, BigGrid(), 10000, host);
  EXPECT_EQ(call.code, KTUNE_STATUS_CANCELLED);
  EXPECT_EQ(call.error, "stopped: the host cancelled the call");
  EXPECT_EQ(host.polls(), 3);  // every 1024 points: it stopped at the third check
  EXPECT_TRUE(call.reply.empty());
}

TEST(PluginHostServicesTest, GridRunsToTheEndWhenNotCancelled) {
  ScriptedHost host(0);
  Instance instance;
  Create(Table("libktune_grid.so"), BigGrid(), host, &instance);
  Call call = Ask(instance, BigGrid(), 10000, host);
  ASSERT_EQ(call.code, KTUNE_STATUS_OK) << call.error;
  api::GetSuggestionsReply reply;
  ASSERT_TRUE(reply.ParseFromString(call.reply));
  EXPECT_EQ(reply.parameter_assignments_size(), 10000);
  EXPECT_EQ(host.polls(), 10);  // ceil(10000 / 1024)
}

TEST(PluginHostServicesTest, RandomStopsWhenTheHostCancelsMidCall) {
  const api::Experiment e = MakeExperiment("random", {Range("lr", api::DOUBLE, "0", "1")});
  ScriptedHost host(/*cancel_at=*/5);
  Instance instance;
  Create(Table("libktune_random.so"), e, host, &instance);
  // No random_state: the seed it drew is logged, so that the run can be repeated.
  ASSERT_EQ(host.logs().size(), 1u);
  EXPECT_THAT(host.logs()[0], HasSubstr("2 random_state is not set; drew seed "));
  Call call = Ask(instance, e, 100, host);
  EXPECT_EQ(call.code, KTUNE_STATUS_CANCELLED);
  EXPECT_EQ(call.error, "stopped: the host cancelled the call");
  EXPECT_EQ(host.polls(), 5);  // one check per suggestion
}

TEST(PluginHostServicesTest, RandomWithASeedLogsNothing) {
  const api::Experiment e =
      MakeExperiment("random", {Range("lr", api::DOUBLE, "0", "1")}, {{"random_state", "7"}});
  ScriptedHost host(0);
  Instance instance;
  Create(Table("libktune_random.so"), e, host, &instance);
  EXPECT_TRUE(host.logs().empty());
  Call call = Ask(instance, e, 3, host);
  EXPECT_EQ(call.code, KTUNE_STATUS_OK) << call.error;
}

}  // namespace
}  // namespace ktune::algorithms::testing
