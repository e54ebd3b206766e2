#include "services/server/retro_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "services/api/event_fanout.h"
#include "services/api/grpc_executor.h"
#include "services/api/services.h"
#include "services/common/secrets.h"
#include "services/core/admin_controller.h"
#include "services/core/session_controller.h"
#include "services/server/access_log.h"
#include "services/server/unreadable_requests.h"
#include "storage/database.h"
#include "storage/directory_store.h"
#include "storage/kv_event_log.h"
#include "storage/query_log.h"
#include "storage/session_store.h"
#include "storage/status_macros.h"

namespace retro::server {

absl::StatusOr<std::string> LoadOrCreateRootToken(const std::string& path, bool* created) {
  *created = false;
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = absl::StrCat("rr_", RandomSecret(32));
    std::string line = token + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", path));
    *created = true;
    return token;
  }
  if (errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.size() < 16) {
    return absl::FailedPreconditionError(absl::StrCat("root token file ", path, " is too short"));
  }
  return token;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::Status RebuildLibrary(const std::string& data_dir,
                            const std::function<void(uint64_t, uint64_t)>& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Database> database,
                   storage::Database::Open({data_dir, nullptr, nullptr}));
  index::LessonIndex lesson_index(*database);
  return lesson_index.Rebuild(progress);
}

struct RetroServer::Parts {
  ServerOptions options;
  std::unique_ptr<TimeOrderedIdGenerator> own_ids;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<index::LessonIndex> lesson_index;
  std::unique_ptr<storage::KvEventLog> log;
  std::unique_ptr<storage::QueryLog> query_log;
  std::unique_ptr<storage::SessionStore> session_store;
  std::unique_ptr<storage::DirectoryStore> directory;
  std::unique_ptr<live::SessionHub> hub;
  std::unique_ptr<api::EventFanout> fanout;
  std::unique_ptr<core::AdminController> admin;
  std::unique_ptr<core::SessionController> sessions;
  std::unique_ptr<core::LibraryController> library;
  std::unique_ptr<api::AdminServiceImpl> admin_service;
  std::unique_ptr<api::SessionServiceImpl> session_service;
  std::unique_ptr<api::AnnotationServiceImpl> annotation_service;
  std::unique_ptr<api::LibraryServiceImpl> library_service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  int port = 0;

  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;
};

RetroServer::RetroServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

RetroServer::~RetroServer() { Shutdown(absl::Seconds(2)); }

const std::string& RetroServer::address() const { return parts_->address; }
int RetroServer::port() const { return parts_->port; }
const std::string& RetroServer::root_token_file() const { return parts_->options.root_token_file; }

absl::StatusOr<std::unique_ptr<RetroServer>> RetroServer::Start(const ServerOptions& options) {
  auto parts = std::make_unique<Parts>();
  parts->options = options;
  Clock& clock = options.clock ? *options.clock : Clock::Real();
  IdGenerator* ids = options.ids;
  if (ids == nullptr) {
    parts->own_ids = std::make_unique<TimeOrderedIdGenerator>(clock);
    ids = parts->own_ids.get();
  }
  bool created = false;
  ASSIGN_OR_RETURN(std::string root_token,
                   LoadOrCreateRootToken(options.root_token_file, &created));

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  ASSIGN_OR_RETURN(parts->database,
                   storage::Database::Open({options.data_dir, options.env, options.log}));
  parts->lesson_index = std::make_unique<index::LessonIndex>(*parts->database);
  parts->log = std::make_unique<storage::KvEventLog>(*parts->database, parts->lesson_index.get());
  parts->session_store = std::make_unique<storage::SessionStore>(*parts->database);
  parts->directory = std::make_unique<storage::DirectoryStore>(*parts->database);
  parts->hub = std::make_unique<live::SessionHub>(
      options.recent_events_kept, options.watcher_limits, std::max(0, options.fanout_threads),
      options.fanout_on_grpc_threads ? api::RunOnGrpcExecutor : live::SessionHub::WakeRunner());
  parts->fanout = std::make_unique<api::EventFanout>(*parts->hub, clock);
  parts->log->SetFollower(parts->fanout.get());
  parts->admin = std::make_unique<core::AdminController>(
      *parts->directory, clock, Sha256(root_token),
      [database = parts->database.get()](const std::string& dir) {
        return database->Checkpoint(dir);
      });
  parts->sessions = std::make_unique<core::SessionController>(
      *parts->log, *parts->session_store, *parts->directory, clock, *ids,
      options.max_queued_writes_per_session);
  parts->query_log = std::make_unique<storage::QueryLog>(*parts->database);
  parts->library = std::make_unique<core::LibraryController>(
      *parts->lesson_index, *parts->directory, *parts->query_log, clock);
  parts->admin_service = std::make_unique<api::AdminServiceImpl>(*parts->admin);
  parts->library_service =
      std::make_unique<api::LibraryServiceImpl>(*parts->admin, *parts->library);
  parts->session_service = std::make_unique<api::SessionServiceImpl>(
      *parts->admin, *parts->sessions,
      api::WatchReactor::Deps{
          *parts->log, *parts->hub, *parts->fanout, clock,
          [sessions = parts->sessions.get()](const core::Caller& caller, const std::string& id) {
            return sessions->SessionForWatch(caller, id).status();
          },
          [store = parts->session_store.get()](const storage::SessionRef& ref,
                                               const std::string& id) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(std::optional<retro::v1::Annotation> annotation,
                             store->GetAnnotation(ref, id));
            return !annotation.has_value() || annotation->deleted();
          },
          // Streams log their own end: an interceptor would run on every
          // event written (access_log.h).
          options.access_log
              ? std::function<void(const grpc::ServerContextBase&, const std::string&,
                                   const grpc::Status&, absl::Duration)>(
                    [sink = options.access_log](
                        const grpc::ServerContextBase& context, const std::string& method,
                        const grpc::Status& status, absl::Duration elapsed) {
                      sink(AccessLogLine(context, method, status, elapsed));
                    })
              : nullptr});
  parts->annotation_service =
      std::make_unique<api::AnnotationServiceImpl>(*parts->admin, *parts->sessions);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    ASSIGN_OR_RETURN(std::string cert, ReadFile(options.tls_cert_file, "--tls_cert"));
    ASSIGN_OR_RETURN(std::string key, ReadFile(options.tls_key_file, "--tls_key"));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    if (!options.tls_client_ca_file.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.tls_client_ca_file, "--tls_client_ca"));
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  } else if (!options.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &parts->port);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UnreadableRequestFactory>());
  if (options.access_log) {
    interceptors.push_back(std::make_unique<AccessLogFactory>(options.access_log));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(parts->admin_service.get());
  builder.RegisterService(parts->session_service.get());
  builder.RegisterService(parts->annotation_service.get());
  builder.RegisterService(parts->library_service.get());
  grpc::ResourceQuota quota("retrod");
  quota.Resize(static_cast<size_t>(options.memory_quota_bytes));
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  // Unary handlers block until their batch is synced, so many run at once.
  // gRPC's sync server keeps only MAX_POLLERS idle threads and creates and
  // ends threads around them; with the default (2), a busy session spent
  // more time in thread churn than in its writes.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients may ping as often as every 10 s (they send keepalives too).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  parts->server = builder.BuildAndStart();
  if (!parts->server || parts->port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  parts->address = absl::StrCat(host, ":", parts->port);
  return std::unique_ptr<RetroServer>(new RetroServer(std::move(parts)));
}

void RetroServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&parts_->shutdown_mu);
    if (parts_->shut_down) return;
    parts_->shut_down = true;
  }
  // Watchers first: a live stream never ends by itself.
  parts_->hub->CloseAll();
  parts_->server->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::microseconds(absl::ToInt64Microseconds(grace)));
  parts_->server->Wait();
  parts_->log->SetFollower(nullptr);
  parts_->server.reset();
  parts_->log.reset();
  parts_->lesson_index.reset();
  parts_->database.reset();  // Closes RocksDB cleanly.
}

}  // namespace retro::server
