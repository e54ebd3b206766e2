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

void SessionServiceImpl::RequestWatch(WatchReactor::Framing framing,
                                      grpc::ServerCompletionQueue* queue) {
  WatchReactor* reactor = WatchReactor::ForNextCall(watch_deps_, framing);
  if (framing == WatchReactor::Framing::kBatch) {
    RequestWatchSessionBatches(reactor->context(), reactor->request(), reactor->writer(), queue,
                               queue, reactor->arrived_tag());
  } else {
    RequestWatchSession(reactor->context(), reactor->request(), reactor->writer(), queue, queue,
                        reactor->arrived_tag());
  }
}

void SessionServiceImpl::StartWatch(WatchReactor* reactor) {
  absl::StatusOr<core::Caller> caller = Authenticate(admin_, *reactor->context());
  if (!caller.ok()) return reactor->Fail(ToGrpcStatus(caller.status()));
  retro::v1::WatchSessionRequest request;
  if (!grpc::SerializationTraits<retro::v1::WatchSessionRequest>::Deserialize(reactor->request(),
                                                                              &request)
           .ok()) {
    return reactor->Fail(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unreadable WatchSessionRequest"));
  }
  absl::StatusOr<std::vector<std::string>> ids = ParseName("name", request.name(), {"sessions"});
  if (!ids.ok()) return reactor->Fail(ToGrpcStatus(ids.status()));
  absl::StatusOr<retro::v1::Session> session = sessions_.SessionForWatch(*caller, (*ids)[0]);
  if (!session.ok()) return reactor->Fail(ToGrpcStatus(session.status()));
  if (request.after_sequence() > session->last_sequence()) {
    return reactor->Fail(grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("after_sequence ", request.after_sequence(),
                     " is beyond the session's last sequence ", session->last_sequence())));
  }
  storage::SessionRef ref{caller->org_id, (*ids)[0]};
  reactor->Start(*std::move(caller), std::move(ref), request.after_sequence());
}

}  // namespace retro::api
