#include "absl/strings/str_cat.h"
#include "services/api/handler.h"
#include "services/api/services.h"
#include "services/common/names.h"

namespace retro::api {

grpc::Status SessionServiceImpl::CreateSession(grpc::ServerContext* context,
                                               const retro::v1::CreateSessionRequest* request,
                                               retro::v1::Session* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.CreateSession(caller, *request);
  });
}

grpc::Status SessionServiceImpl::GetSession(grpc::ServerContext* context,
                                            const retro::v1::GetSessionRequest* request,
                                            retro::v1::Session* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return sessions_.GetSession(caller, *request); });
}

grpc::Status SessionServiceImpl::ListSessions(grpc::ServerContext* context,
                                              const retro::v1::ListSessionsRequest* request,
                                              retro::v1::ListSessionsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.ListSessions(caller, *request);
  });
}

grpc::Status SessionServiceImpl::UpdateSession(grpc::ServerContext* context,
                                               const retro::v1::UpdateSessionRequest* request,
                                               retro::v1::Session* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.UpdateSession(caller, *request);
  });
}

grpc::Status SessionServiceImpl::StartSession(grpc::ServerContext* context,
                                              const retro::v1::StartSessionRequest* request,
                                              retro::v1::Session* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.StartSession(caller, *request);
  });
}

grpc::Status SessionServiceImpl::SetStage(grpc::ServerContext* context,
                                          const retro::v1::SetStageRequest* request,
                                          retro::v1::Session* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return sessions_.SetStage(caller, *request); });
}

grpc::Status SessionServiceImpl::RevealStage(grpc::ServerContext* context,
                                             const retro::v1::RevealStageRequest* request,
                                             retro::v1::Session* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.RevealStage(caller, *request);
  });
}

grpc::Status SessionServiceImpl::EndSession(grpc::ServerContext* context,
                                            const retro::v1::EndSessionRequest* request,
                                            retro::v1::Session* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return sessions_.EndSession(caller, *request); });
}

grpc::Status SessionServiceImpl::PublishSession(grpc::ServerContext* context,
                                                const retro::v1::PublishSessionRequest* request,
                                                retro::v1::Session* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.PublishSession(caller, *request);
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SessionServiceImpl::WatchSession(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return StartWatch(WatchReactor::Framing::kEvent, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SessionServiceImpl::WatchSessionBatches(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return StartWatch(WatchReactor::Framing::kBatch, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SessionServiceImpl::StartWatch(
    WatchReactor::Framing framing, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request_bytes) {
  absl::StatusOr<core::Caller> caller = Authenticate(admin_, *context);
  if (!caller.ok())
    return WatchReactor::Failed(watch_deps_, framing, context, ToGrpcStatus(caller.status()));
  retro::v1::WatchSessionRequest request;
  grpc::ByteBuffer copy = *request_bytes;
  if (!grpc::SerializationTraits<retro::v1::WatchSessionRequest>::Deserialize(&copy, &request)
           .ok()) {
    return WatchReactor::Failed(
        watch_deps_, framing, context,
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unreadable WatchSessionRequest"));
  }
  absl::StatusOr<std::vector<std::string>> ids = ParseName("name", request.name(), {"sessions"});
  if (!ids.ok())
    return WatchReactor::Failed(watch_deps_, framing, context, ToGrpcStatus(ids.status()));
  absl::StatusOr<retro::v1::Session> session = sessions_.SessionForWatch(*caller, (*ids)[0]);
  if (!session.ok())
    return WatchReactor::Failed(watch_deps_, framing, context, ToGrpcStatus(session.status()));
  if (request.after_sequence() > session->last_sequence()) {
    return WatchReactor::Failed(
        watch_deps_, framing, context,
        grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                     absl::StrCat("after_sequence ", request.after_sequence(),
                                  " is beyond the session's last "
                                  "sequence ",
                                  session->last_sequence())));
  }
  storage::SessionRef ref{caller->org_id, (*ids)[0]};
  return WatchReactor::Start(watch_deps_, framing, context, *std::move(caller), std::move(ref),
                             request.after_sequence());
}

}  // namespace retro::api
