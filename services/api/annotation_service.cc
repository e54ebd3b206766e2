#include "services/api/handler.h"
#include "services/api/services.h"

namespace retro::api {

grpc::ServerUnaryReactor* AnnotationServiceImpl::AddAnnotation(
    grpc::CallbackServerContext* context, const retro::v1::AddAnnotationRequest* request,
    retro::v1::Annotation* response) {
  return HandleAsync(
      admin_, context, response,
      [&](const core::Caller& caller, core::SessionController::Done<retro::v1::Annotation> done) {
        sessions_.AddAnnotationAsync(caller, *request, std::move(done));
      });
}

grpc::Status AnnotationServiceImpl::EditAnnotation(grpc::ServerContext* context,
                                                   const retro::v1::EditAnnotationRequest* request,
                                                   retro::v1::Annotation* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.EditAnnotation(caller, *request);
  });
}

grpc::Status AnnotationServiceImpl::DeleteAnnotation(
    grpc::ServerContext* context, const retro::v1::DeleteAnnotationRequest* request,
    retro::v1::Annotation* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.DeleteAnnotation(caller, *request);
  });
}

grpc::ServerUnaryReactor* AnnotationServiceImpl::VoteAnnotation(
    grpc::CallbackServerContext* context, const retro::v1::VoteAnnotationRequest* request,
    retro::v1::Annotation* response) {
  return HandleAsync(
      admin_, context, response,
      [&](const core::Caller& caller, core::SessionController::Done<retro::v1::Annotation> done) {
        sessions_.VoteAnnotationAsync(caller, *request, std::move(done));
      });
}

grpc::Status AnnotationServiceImpl::GroupAnnotations(
    grpc::ServerContext* context, const retro::v1::GroupAnnotationsRequest* request,
    retro::v1::GroupAnnotationsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.GroupAnnotations(caller, *request);
  });
}

grpc::Status AnnotationServiceImpl::ListAnnotations(
    grpc::ServerContext* context, const retro::v1::ListAnnotationsRequest* request,
    retro::v1::ListAnnotationsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.ListAnnotations(caller, *request);
  });
}

grpc::Status AnnotationServiceImpl::AddActionItem(grpc::ServerContext* context,
                                                  const retro::v1::AddActionItemRequest* request,
                                                  retro::v1::ActionItem* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.AddActionItem(caller, *request);
  });
}

grpc::Status AnnotationServiceImpl::UpdateActionItem(
    grpc::ServerContext* context, const retro::v1::UpdateActionItemRequest* request,
    retro::v1::ActionItem* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.UpdateActionItem(caller, *request);
  });
}

grpc::Status AnnotationServiceImpl::ListActionItems(
    grpc::ServerContext* context, const retro::v1::ListActionItemsRequest* request,
    retro::v1::ListActionItemsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return sessions_.ListActionItems(caller, *request);
  });
}

}  // namespace retro::api
