#include "suggestion/grpc_service.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/number.h"
#include "core/worker_pool.h"
#include "google/protobuf/arena.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/message_allocator.h"
#include "spdlog/spdlog.h"
#include "suggestion/grpc_listen.h"
#include "suggestion/trial_delta.h"

namespace ktune::suggestion {
namespace {

namespace api = ::api::v1::beta1;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

bool Interrupted(const absl::Status& status) {
  return status.code() == absl::StatusCode::kCancelled ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

HostInfo HostInfoFor(const SuggestionGrpcService::Options& options) {
  HostInfo host = DefaultHostInfo();
  if (options.thread_budget > 0) host.thread_budget = options.thread_budget;
  return host;
}

bool ServesAll(const SuggestionGrpcService::Options& options) {
  return options.algorithm.empty() || options.algorithm == "all";
}

// What makes a changed spec need a fresh instance (SuggestionGrpcService's contract): the
// algorithm name, parameters, objective, NAS config, and the settings the plugin does not own.
std::string SpecKey(const api::Experiment& experiment,
                    const absl::flat_hash_set<std::string>& owned_settings) {
  const api::ExperimentSpec& spec = experiment.spec();
  constexpr char kSep = '\x1f';
  std::string key = spec.algorithm().algorithm_name();
  key += kSep;
  key += spec.parameter_specs().SerializeAsString();
  key += kSep;
  key += spec.objective().SerializeAsString();
  key += kSep;
  key += spec.nas_config().SerializeAsString();
  std::vector<std::string> settings;
  for (const api::AlgorithmSetting& s : spec.algorithm().algorithm_settings()) {
    if (owned_settings.contains(s.name())) continue;
    settings.push_back(absl::StrCat(s.name(), "=", s.value()));
  }
  std::sort(settings.begin(), settings.end());
  for (const std::string& s : settings) {
    key += kSep;
    key += s;
  }
  return key;
}

// A trial's assignments against the experiment's parameters: each parameter exactly once, a
// number for double and int ones. NAS experiments (no parameters) are not checked.
absl::Status CheckAssignments(const api::Trial& trial,
                              const absl::flat_hash_map<std::string, api::ParameterType>& types) {
  if (types.empty()) return absl::OkStatus();
  absl::flat_hash_set<std::string> seen;
  for (const api::ParameterAssignment& a : trial.spec().parameter_assignments().assignments()) {
    auto it = types.find(a.name());
    if (it == types.end()) {
      return absl::InvalidArgumentError(absl::StrCat("trial \"", trial.name(), "\" assigns \"",
                                                     a.name(),
                                                     "\", which is not a parameter of the "
                                                     "experiment"));
    }
    if (!seen.insert(a.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("trial \"", trial.name(), "\" assigns \"", a.name(), "\" twice"));
    }
    // Only double and int values must be numbers: Katib's webhook does not check that a
    // discrete list holds numbers, and an algorithm matches list values as strings.
    const bool numeric = it->second == api::DOUBLE || it->second == api::INT;
    if (numeric && !core::ParseFiniteNumber(a.value()).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("trial \"", trial.name(), "\": parameter \"",
                                                     a.name(), "\" has the value \"", a.value(),
                                                     "\", which is not a finite number"));
    }
  }
  if (seen.size() != types.size()) {
    for (const auto& [name, type] : types) {
      if (!seen.contains(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "trial \"", trial.name(), "\" has no assignment for parameter \"", name, "\""));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

// One experiment's instance and what it has been sent. `mu` serializes the calls of the
// experiment; `active` and `lru` belong to the service's mu_.
struct SuggestionGrpcService::Session {
  Mutex mu;
  const AlgorithmPlugin* plugin ABSL_GUARDED_BY(mu) = nullptr;
  std::string key ABSL_GUARDED_BY(mu);
  std::unique_ptr<AlgorithmInstance> instance ABSL_GUARDED_BY(mu);
  TrialDelta delta ABSL_GUARDED_BY(mu);
  // Settings names the plugin returned in a reply: they are its own and do not change the key.
  absl::flat_hash_set<std::string> owned_settings ABSL_GUARDED_BY(mu);
  int32_t last_total ABSL_GUARDED_BY(mu) = 0;  // of the last successful call

  int active = 0;  // calls holding it (service mu_)
  std::list<std::string>::iterator lru;
};

// One GetSuggestions call: its cancellation flag, set by gRPC (OnCancel) or CancelAll, is the
// plugin's CallOptions::cancelled.
class SuggestionGrpcService::Reactor final : public grpc::ServerUnaryReactor {
 public:
  void OnCancel() override { cancelled.store(true, std::memory_order_relaxed); }
  void OnDone() override { delete this; }

  std::atomic<bool> cancelled{false};
};

// Request and reply of each GetSuggestions in one protobuf arena, freed with the call.
class SuggestionGrpcService::ArenaAllocator final
    : public grpc::MessageAllocator<api::GetSuggestionsRequest, api::GetSuggestionsReply> {
 public:
  grpc::MessageHolder<api::GetSuggestionsRequest, api::GetSuggestionsReply>* AllocateMessages()
      override {
    return new Holder();
  }

 private:
  class Holder final
      : public grpc::MessageHolder<api::GetSuggestionsRequest, api::GetSuggestionsReply> {
   public:
    Holder() : arena_(Options()) {
      set_request(google::protobuf::Arena::CreateMessage<api::GetSuggestionsRequest>(&arena_));
      set_response(google::protobuf::Arena::CreateMessage<api::GetSuggestionsReply>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 16 << 10;
      options.max_block_size = 1 << 20;
      return options;
    }
    google::protobuf::Arena arena_;
  };
};

absl::StatusOr<std::unique_ptr<SuggestionGrpcService>> SuggestionGrpcService::Create(
    const AlgorithmRegistry& registry, Options options) {
  if (!ServesAll(options)) {
    absl::StatusOr<const AlgorithmPlugin*> plugin = registry.Find(options.algorithm);
    if (!plugin.ok()) return plugin.status();
  }
  options.max_experiments = std::max<size_t>(options.max_experiments, 1);
  return std::unique_ptr<SuggestionGrpcService>(
      new SuggestionGrpcService(registry, std::move(options)));
}

SuggestionGrpcService::SuggestionGrpcService(const AlgorithmRegistry& registry, Options options)
    : registry_(registry),
      options_(std::move(options)),
      host_(HostInfoFor(options_)),
      allocator_(std::make_unique<ArenaAllocator>()),
      pool_(std::make_unique<WorkerPool>(options_.max_threads)) {
  SetMessageAllocatorFor_GetSuggestions(allocator_.get());
}

SuggestionGrpcService::~SuggestionGrpcService() = default;

void SuggestionGrpcService::CancelAll() {
  MutexLock lock(calls_mu_);
  shutting_down_ = true;
  for (Reactor* call : calls_) call->cancelled.store(true, std::memory_order_relaxed);
}

std::vector<std::string> SuggestionGrpcService::AlgorithmNames() const {
  if (ServesAll(options_)) return registry_.Names();
  return {options_.algorithm};
}

size_t SuggestionGrpcService::experiments() const {
  MutexLock lock(mu_);
  return sessions_.size();
}

absl::StatusOr<const AlgorithmPlugin*> SuggestionGrpcService::Served(
    const std::string& name) const {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "the experiment names no algorithm (spec.algorithm.algorithm_name is empty)");
  }
  if (!ServesAll(options_) && name != options_.algorithm) {
    return absl::InvalidArgumentError(absl::StrCat("algorithm \"", name,
                                                   "\" is not served here: this service serves "
                                                   "only \"",
                                                   options_.algorithm, "\""));
  }
  return registry_.Find(name);
}

absl::StatusOr<const AlgorithmPlugin*> SuggestionGrpcService::CheckExperiment(
    const api::Experiment& experiment) const {
  if (experiment.name().empty()) {
    return absl::InvalidArgumentError("the request has no experiment (experiment.name is empty)");
  }
  absl::StatusOr<const AlgorithmPlugin*> plugin =
      Served(experiment.spec().algorithm().algorithm_name());
  if (!plugin.ok()) return plugin.status();
  const auto& parameters = experiment.spec().parameter_specs().parameters();
  if (parameters.empty() && !experiment.spec().has_nas_config()) {
    return absl::InvalidArgumentError(
        absl::StrCat("experiment \"", experiment.name(), "\" has no parameters"));
  }
  absl::flat_hash_set<std::string> names;
  for (const api::ParameterSpec& p : parameters) {
    if (p.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("experiment \"", experiment.name(), "\" has a parameter without a name"));
    }
    if (!names.insert(p.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "experiment \"", experiment.name(), "\" has two parameters named \"", p.name(), "\""));
    }
  }
  return plugin;
}

std::shared_ptr<SuggestionGrpcService::Session> SuggestionGrpcService::Acquire(
    const std::string& experiment) {
  MutexLock lock(mu_);
  std::shared_ptr<Session>& slot = sessions_[experiment];
  if (slot == nullptr) {
    slot = std::make_shared<Session>();
    lru_.push_front(experiment);
    slot->lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, slot->lru);
  }
  ++slot->active;
  std::shared_ptr<Session> session = slot;
  EvictLocked();
  return session;
}

void SuggestionGrpcService::Release(const std::shared_ptr<Session>& session) {
  MutexLock lock(mu_);
  --session->active;
  EvictLocked();
}

void SuggestionGrpcService::EvictLocked() {
  if (sessions_.size() <= options_.max_experiments) return;
  for (auto it = lru_.end(); it != lru_.begin() && sessions_.size() > options_.max_experiments;) {
    --it;
    auto found = sessions_.find(*it);
    if (found == sessions_.end() || found->second->active > 0) continue;
    spdlog::debug("experiment {}: evicted (more than {} experiments); its next request rebuilds it",
                  *it, options_.max_experiments);
    sessions_.erase(found);  // a call that still holds it keeps it alive until it returns
    it = lru_.erase(it);
  }
}

grpc::ServerUnaryReactor* SuggestionGrpcService::GetSuggestions(
    grpc::CallbackServerContext* context, const api::GetSuggestionsRequest* request,
    api::GetSuggestionsReply* reply) {
  auto* reactor = new Reactor();
  {
    MutexLock lock(calls_mu_);
    if (shutting_down_) {
      reactor->Finish(grpc::Status(grpc::UNAVAILABLE, "the service is shutting down"));
      return reactor;
    }
    calls_.insert(reactor);
  }
  CallOptions options;
  options.cancelled = &reactor->cancelled;
  if (context->deadline() != std::chrono::system_clock::time_point::max()) {
    options.deadline = absl::FromChrono(context->deadline());
  }
  // The plugin call may take long: never on a gRPC thread. `request` and `reply` live until
  // Finish.
  pool_->Run([this, reactor, request, reply, options] {
    grpc::Status status;
    try {
      absl::Status result = Suggest(*request, options, reply);
      if (!result.ok()) reply->Clear();
      status = ToGrpc(result);
    } catch (const std::exception& e) {
      reply->Clear();
      status = grpc::Status(grpc::INTERNAL, absl::StrCat("GetSuggestions: ", e.what()));
    }
    {
      MutexLock lock(calls_mu_);
      calls_.erase(reactor);
    }
    reactor->Finish(status);
  });
  return reactor;
}

absl::Status SuggestionGrpcService::Suggest(const api::GetSuggestionsRequest& request,
                                            const CallOptions& options,
                                            api::GetSuggestionsReply* reply) {
  const api::Experiment& experiment = request.experiment();
  absl::StatusOr<const AlgorithmPlugin*> plugin = CheckExperiment(experiment);
  if (!plugin.ok()) return plugin.status();
  const int32_t count = request.current_request_number();
  if (count <= 0 || count > options_.max_request_number) {
    return absl::InvalidArgumentError(absl::StrCat("current_request_number is ", count,
                                                   "; it must be between 1 and ",
                                                   options_.max_request_number));
  }
  if (request.total_request_number() < count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "total_request_number (", request.total_request_number(),
        ") is less than current_request_number (", count,
        "); it counts every assignment asked for over the experiment's life, this call "
        "included"));
  }
  for (int i = 0; i < request.trials_size(); ++i) {
    if (request.trials(i).name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("trial ", i, " of the request has no name"));
    }
  }
  absl::flat_hash_map<std::string, api::ParameterType> types;
  for (const api::ParameterSpec& p : experiment.spec().parameter_specs().parameters()) {
    types.emplace(p.name(), p.parameter_type());
  }

  std::shared_ptr<Session> session = Acquire(experiment.name());
  struct Releaser {
    SuggestionGrpcService* service;
    const std::shared_ptr<Session>& session;
    ~Releaser() { service->Release(session); }
  } releaser{this, session};

  MutexLock lock(session->mu);
  std::string key = SpecKey(experiment, session->owned_settings);
  if (session->instance != nullptr) {
    const char* why = nullptr;
    if (session->plugin != *plugin || key != session->key) {
      why = "its spec changed";
    } else if (request.total_request_number() < session->last_total) {
      why = "its total_request_number went back (the experiment was re-created)";
    }
    if (why != nullptr) {
      spdlog::info("experiment {}: {}; starting a new instance of {}", experiment.name(), why,
                   (*plugin)->name());
      session->instance.reset();
    }
  }
  if (session->instance == nullptr) {
    session->owned_settings.clear();
    key = SpecKey(experiment, session->owned_settings);
    absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance =
        (*plugin)->Create(experiment, host_);
    if (!instance.ok()) return instance.status();
    session->instance = *std::move(instance);
    session->plugin = *plugin;
    session->key = key;
    session->delta.Reset();
    session->last_total = 0;
  }

  api::GetSuggestionsRequest sent;
  *sent.mutable_experiment() = experiment;
  sent.set_current_request_number(count);
  sent.set_total_request_number(request.total_request_number());
  for (const api::Trial& trial : request.trials()) {
    if (!session->delta.Offer(trial)) continue;
    if (absl::Status s = CheckAssignments(trial, types); !s.ok()) {
      session->delta.Abandon();
      return s;
    }
    *sent.add_trials() = trial;
  }
  spdlog::debug("experiment {}: asking {} for {} assignment(s), sending {} of {} trial(s)",
                experiment.name(), (*plugin)->name(), count, sent.trials_size(),
                request.trials_size());

  absl::StatusOr<api::GetSuggestionsReply> result =
      session->instance->GetSuggestions(sent, options);
  if (!result.ok()) {
    session->delta.Abandon();
    if (Interrupted(result.status())) {
      spdlog::debug("experiment {}: {}; the next call starts a new instance of {}",
                    experiment.name(), std::string(result.status().message()), (*plugin)->name());
      session->instance.reset();
    }
    return result.status();
  }
  session->delta.Commit();
  session->last_total = request.total_request_number();
  if (result->algorithm().algorithm_settings_size() > 0) {
    for (const api::AlgorithmSetting& s : result->algorithm().algorithm_settings()) {
      session->owned_settings.insert(s.name());
    }
    session->key = SpecKey(experiment, session->owned_settings);
  }
  if (result->parameter_assignments_size() > count) {
    spdlog::warn("experiment {}: {} returned {} assignments, {} asked for; extra ones dropped",
                 experiment.name(), (*plugin)->name(), result->parameter_assignments_size(), count);
    result->mutable_parameter_assignments()->DeleteSubrange(
        count, result->parameter_assignments_size() - count);
  }
  *reply = *std::move(result);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SuggestionGrpcService::ValidateAlgorithmSettings(
    grpc::CallbackServerContext* context, const api::ValidateAlgorithmSettingsRequest* request,
    api::ValidateAlgorithmSettingsReply* /*reply*/) {
  // Quick (a settings check): answered on the gRPC thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  try {
    absl::StatusOr<const AlgorithmPlugin*> plugin = CheckExperiment(request->experiment());
    reactor->Finish(
        ToGrpc(plugin.ok() ? (*plugin)->ValidateSettings(request->experiment()) : plugin.status()));
  } catch (const std::exception& e) {
    reactor->Finish(
        grpc::Status(grpc::INTERNAL, absl::StrCat("ValidateAlgorithmSettings: ", e.what())));
  }
  return reactor;
}

// ---- SuggestionServer ----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<SuggestionServer>> SuggestionServer::Start(
    const AlgorithmRegistry& registry, Options options) {
  absl::StatusOr<std::unique_ptr<SuggestionGrpcService>> service =
      SuggestionGrpcService::Create(registry, options.service);
  if (!service.ok()) return service.status();
  std::unique_ptr<SuggestionServer> server(new SuggestionServer());
  server->service_ = *std::move(service);
  GrpcListenOptions listen;
  listen.address = options.address;
  listen.port = options.port;
  listen.max_message_bytes = options.max_message_bytes;
  listen.health_services = {kSuggestionHealthService};
  absl::StatusOr<GrpcListener> listener = StartGrpcServer(listen, {server->service_.get()});
  if (!listener.ok()) return listener.status();
  server->server_ = std::move(listener->server);
  server->port_ = listener->port;
  server->target_ = std::move(listener->target);
  return server;
}

SuggestionServer::~SuggestionServer() {
  Shutdown();
  server_.reset();  // before the service it serves
}

void SuggestionServer::Shutdown(absl::Duration grace) {
  {
    MutexLock lock(mu_);
    if (shut_down_ || server_ == nullptr) return;
    shut_down_ = true;
  }
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  service_->CancelAll();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

void SuggestionServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace ktune::suggestion
