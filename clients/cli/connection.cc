#include "clients/cli/connection.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace retro::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Credentials& credentials,
                                                             std::chrono::milliseconds timeout) {
  std::unique_ptr<Connection> connection(new Connection());
  connection->server_ = credentials.server;
  connection->token_ = credentials.token;
  connection->timeout_ = timeout;

  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  if (!credentials.ca_file.empty() || credentials.tls || !credentials.cert_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!credentials.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadFile(credentials.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!credentials.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(credentials.cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(credentials.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    channel_credentials = grpc::SslCredentials(ssl);
  } else {
    channel_credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments arguments;
  // Notice a dead server on long watches; retrod permits pings every 10 s.
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetMaxReceiveMessageSize(64 << 20);
  // gRPC's own reconnect back-off grows to two minutes; the live view
  // retries on its own schedule and needs the channel to try again by then.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 500);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 4000);
  connection->channel_ =
      grpc::CreateCustomChannel(credentials.server, channel_credentials, arguments);
  connection->admin_ = retro::v1::AdminService::NewStub(connection->channel_);
  connection->sessions_ = retro::v1::SessionService::NewStub(connection->channel_);
  connection->annotations_ = retro::v1::AnnotationService::NewStub(connection->channel_);
  connection->library_ = retro::v1::LibraryService::NewStub(connection->channel_);
  return connection;
}

std::unique_ptr<grpc::ClientContext> Connection::NewContext(bool deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  if (deadline) context->set_deadline(std::chrono::system_clock::now() + timeout_);
  return context;
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string Describe(const absl::Status& status) {
  std::string code = absl::StatusCodeToString(status.code());
  // absl spells codes "NOT_FOUND"; a sentence reads better in lower case.
  code = absl::StrReplaceAll(code, {{"_", " "}});
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kUnavailable && message.empty()) {
    message = "the server cannot be reached";
  }
  return absl::StrCat(code, ": ", absl::StrReplaceAll(message, {{"\n", " "}}));
}

}  // namespace retro::cli
