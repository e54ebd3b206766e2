#include "services/server/unreadable_requests.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"

namespace retro::server {
namespace {

// "/retro.v1.AnnotationService/AddAnnotation" -> its descriptor, if known.
const google::protobuf::MethodDescriptor* MethodOf(const char* method) {
  std::string name = absl::StrReplaceAll(absl::string_view(method).substr(1), {{"/", "."}});
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
}

class UnreadableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit UnreadableRequestInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      parsed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      // Every status of ours carries a message; gRPC's parse failure has
      // none: INTERNAL from a synchronous method, UNIMPLEMENTED from a
      // callback one (which an unknown method also gets, hence the check
      // that the method is ours).
      // The descriptor is looked up only for such a status, not on every
      // call.
      const bool maybe_unparsed = !parsed_ && status.error_message().empty() &&
                                  (status.error_code() == grpc::StatusCode::INTERNAL ||
                                   status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
      const google::protobuf::MethodDescriptor* method =
          maybe_unparsed ? MethodOf(info_->method()) : nullptr;
      if (maybe_unparsed &&
          (status.error_code() == grpc::StatusCode::INTERNAL || method != nullptr)) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the request is not a valid ",
                         method ? method->input_type()->full_name() : "request",
                         ": its bytes do not parse (a string field that is not valid UTF-8, "
                         "a truncated field, or nesting past the depth limit)")));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  bool parsed_ = false;
};

}  // namespace

grpc::experimental::Interceptor* UnreadableRequestFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // The streaming methods parse their requests themselves (the watch
  // methods take raw bytes); an interceptor there would run on every
  // message written to every watcher, for nothing.
  if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
  return new UnreadableRequestInterceptor(info);
}

}  // namespace retro::server
