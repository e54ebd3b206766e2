// The gRPC services of retro.v1: thin adapters from the wire to the
// controllers in services/core. Most unary methods use the synchronous API.
// AddAnnotation and VoteAnnotation, the writes a live session makes by the
// thousand, use the callback API: their handler queues the write and
// returns, and the controller's writer thread finishes the call once the
// write is synced, so no gRPC thread waits on an fsync and none is handed a
// call between threads. WatchSession and WatchSessionBatches use the
// callback API with raw byte buffers, so one serialized event is shared by
// all its watchers.
// Thread-safe; references are borrowed.
#pragma once

#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"
#include "services/api/watch_reactor.h"
#include "services/core/admin_controller.h"
#include "services/core/library_controller.h"
#include "services/core/session_controller.h"

namespace retro::api {

class AdminServiceImpl final : public retro::v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(core::AdminController& admin) : admin_(admin) {}

  grpc::Status CreateOrganization(grpc::ServerContext* context,
                                  const retro::v1::CreateOrganizationRequest* request,
                                  retro::v1::CreateOrganizationResponse* response) override;
  grpc::Status CreateTeam(grpc::ServerContext* context, const retro::v1::CreateTeamRequest* request,
                          retro::v1::Team* response) override;
  grpc::Status CreateUser(grpc::ServerContext* context, const retro::v1::CreateUserRequest* request,
                          retro::v1::User* response) override;
  grpc::Status IssueToken(grpc::ServerContext* context, const retro::v1::IssueTokenRequest* request,
                          retro::v1::IssueTokenResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context,
                           const retro::v1::RevokeTokenRequest* request,
                           retro::v1::Token* response) override;
  grpc::Status WhoAmI(grpc::ServerContext* context, const retro::v1::WhoAmIRequest* request,
                      retro::v1::WhoAmIResponse* response) override;
  grpc::Status CreateBackup(grpc::ServerContext* context,
                            const retro::v1::CreateBackupRequest* request,
                            retro::v1::CreateBackupResponse* response) override;

 private:
  core::AdminController& admin_;
};

class SessionServiceImpl final
    : public retro::v1::SessionService::WithRawCallbackMethod_WatchSession<
          retro::v1::SessionService::WithRawCallbackMethod_WatchSessionBatches<
              retro::v1::SessionService::Service>> {
 public:
  SessionServiceImpl(core::AdminController& admin, core::SessionController& sessions,
                     WatchReactor::Deps watch_deps)
      : admin_(admin), sessions_(sessions), watch_deps_(watch_deps) {}

  grpc::Status CreateSession(grpc::ServerContext* context,
                             const retro::v1::CreateSessionRequest* request,
                             retro::v1::Session* response) override;
  grpc::Status GetSession(grpc::ServerContext* context, const retro::v1::GetSessionRequest* request,
                          retro::v1::Session* response) override;
  grpc::Status ListSessions(grpc::ServerContext* context,
                            const retro::v1::ListSessionsRequest* request,
                            retro::v1::ListSessionsResponse* response) override;
  grpc::Status UpdateSession(grpc::ServerContext* context,
                             const retro::v1::UpdateSessionRequest* request,
                             retro::v1::Session* response) override;
  grpc::Status StartSession(grpc::ServerContext* context,
                            const retro::v1::StartSessionRequest* request,
                            retro::v1::Session* response) override;
  grpc::Status SetStage(grpc::ServerContext* context, const retro::v1::SetStageRequest* request,
                        retro::v1::Session* response) override;
  grpc::Status RevealStage(grpc::ServerContext* context,
                           const retro::v1::RevealStageRequest* request,
                           retro::v1::Session* response) override;
  grpc::Status EndSession(grpc::ServerContext* context, const retro::v1::EndSessionRequest* request,
                          retro::v1::Session* response) override;
  grpc::Status PublishSession(grpc::ServerContext* context,
                              const retro::v1::PublishSessionRequest* request,
                              retro::v1::Session* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchSession(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchSessionBatches(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

 private:
  // Both watch methods: the same checks and stream, framed their way.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(WatchReactor::Framing framing,
                                                         grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request);

  core::AdminController& admin_;
  core::SessionController& sessions_;
  WatchReactor::Deps watch_deps_;
};

class AnnotationServiceImpl final
    : public retro::v1::AnnotationService::WithCallbackMethod_AddAnnotation<
          retro::v1::AnnotationService::WithCallbackMethod_VoteAnnotation<
              retro::v1::AnnotationService::Service>> {
 public:
  AnnotationServiceImpl(core::AdminController& admin, core::SessionController& sessions)
      : admin_(admin), sessions_(sessions) {}

  grpc::ServerUnaryReactor* AddAnnotation(grpc::CallbackServerContext* context,
                                          const retro::v1::AddAnnotationRequest* request,
                                          retro::v1::Annotation* response) override;
  grpc::Status EditAnnotation(grpc::ServerContext* context,
                              const retro::v1::EditAnnotationRequest* request,
                              retro::v1::Annotation* response) override;
  grpc::Status DeleteAnnotation(grpc::ServerContext* context,
                                const retro::v1::DeleteAnnotationRequest* request,
                                retro::v1::Annotation* response) override;
  grpc::ServerUnaryReactor* VoteAnnotation(grpc::CallbackServerContext* context,
                                           const retro::v1::VoteAnnotationRequest* request,
                                           retro::v1::Annotation* response) override;
  grpc::Status GroupAnnotations(grpc::ServerContext* context,
                                const retro::v1::GroupAnnotationsRequest* request,
                                retro::v1::GroupAnnotationsResponse* response) override;
  grpc::Status ListAnnotations(grpc::ServerContext* context,
                               const retro::v1::ListAnnotationsRequest* request,
                               retro::v1::ListAnnotationsResponse* response) override;
  grpc::Status AddActionItem(grpc::ServerContext* context,
                             const retro::v1::AddActionItemRequest* request,
                             retro::v1::ActionItem* response) override;
  grpc::Status UpdateActionItem(grpc::ServerContext* context,
                                const retro::v1::UpdateActionItemRequest* request,
                                retro::v1::ActionItem* response) override;
  grpc::Status ListActionItems(grpc::ServerContext* context,
                               const retro::v1::ListActionItemsRequest* request,
                               retro::v1::ListActionItemsResponse* response) override;

 private:
  core::AdminController& admin_;
  core::SessionController& sessions_;
};

class LibraryServiceImpl final : public retro::v1::LibraryService::Service {
 public:
  LibraryServiceImpl(core::AdminController& admin, core::LibraryController& library)
      : admin_(admin), library_(library) {}

  grpc::Status SearchLessons(grpc::ServerContext* context,
                             const retro::v1::SearchLessonsRequest* request,
                             retro::v1::SearchLessonsResponse* response) override;
  grpc::Status GetLesson(grpc::ServerContext* context, const retro::v1::GetLessonRequest* request,
                         retro::v1::Lesson* response) override;
  grpc::Status GetTrends(grpc::ServerContext* context, const retro::v1::GetTrendsRequest* request,
                         retro::v1::GetTrendsResponse* response) override;
  grpc::Status SuggestLessons(grpc::ServerContext* context,
                              const retro::v1::SuggestLessonsRequest* request,
                              retro::v1::SuggestLessonsResponse* response) override;
  grpc::Status ListRecurringLessons(grpc::ServerContext* context,
                                    const retro::v1::ListRecurringLessonsRequest* request,
                                    retro::v1::ListRecurringLessonsResponse* response) override;
  grpc::Status GetSearchInsights(grpc::ServerContext* context,
                                 const retro::v1::GetSearchInsightsRequest* request,
                                 retro::v1::GetSearchInsightsResponse* response) override;
  grpc::Status ExportLessons(grpc::ServerContext* context,
                             const retro::v1::ExportLessonsRequest* request,
                             grpc::ServerWriter<retro::v1::Lesson>* writer) override;

 private:
  core::AdminController& admin_;
  core::LibraryController& library_;
};

}  // namespace retro::api
