#include "services/server/access_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/common/secrets.h"

namespace retro::server {
namespace {

const char* const kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

bool SaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// Escapes a string for a JSON value (method names and peers are plain, but
// a log line must stay one valid line whatever comes in).
std::string Json(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

class AccessLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  AccessLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                       const std::function<void(const std::string&)>& sink)
      : info_(info), sink_(sink), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      sink_(AccessLogLine(*info_->server_context(), info_->method(), methods->GetSendStatus(),
                          absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  const std::function<void(const std::string&)>& sink_;
  absl::Time start_;
};

}  // namespace

std::string AccessLogLine(const grpc::ServerContextBase& context, absl::string_view method,
                          const grpc::Status& status, absl::Duration elapsed) {
  std::string request_id;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("x-request-id");
  if (it != metadata.end()) {
    absl::string_view id(it->second.data(), it->second.size());
    if (SaneRequestId(id)) request_id = std::string(id);
  }
  if (request_id.empty()) request_id = RandomTokenId();
  int code = static_cast<int>(status.error_code());
  return absl::StrFormat(
      "{\"time\":\"%s\",\"request_id\":\"%s\",\"method\":\"%s\",\"status\":\"%s\","
      "\"latency_ms\":%.3f,\"peer\":\"%s\"}",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), request_id,
      Json(method), code >= 0 && code <= 16 ? kCodeNames[code] : "UNKNOWN",
      absl::ToDoubleMilliseconds(elapsed), Json(context.peer()));
}

grpc::experimental::Interceptor* AccessLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // Streams log themselves (see the header).
  if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
  return new AccessLogInterceptor(info, sink_);
}

}  // namespace retro::server
