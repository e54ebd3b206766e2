// SessionController: annotations, votes, groups and action items.
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
#include "services/core/change.h"
#include "services/core/rules.h"
#include "storage/status_macros.h"

namespace retro::core {
namespace {

using retro::v1::ActionItem;
using retro::v1::Annotation;
using retro::v1::Session;

absl::Status CheckOpen(const Session& session, absl::string_view action) {
  if (session.state() == retro::v1::LIVE || session.state() == retro::v1::REVIEW) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot ", action, " while the session is ",
                                                    retro::v1::SessionState_Name(session.state()),
                                                    " (only while LIVE or REVIEW)"));
}

absl::Status CheckKind(absl::string_view field, int kind) {
  if (!Annotation::Kind_IsValid(kind) || kind == Annotation::KIND_UNSPECIFIED) {
    return InvalidField(field, "must be one of WENT_WELL, WENT_WRONG, LESSON, QUESTION");
  }
  return absl::OkStatus();
}

absl::Status CheckStage(absl::string_view field, int stage, bool allow_unspecified) {
  if (!retro::v1::Stage_IsValid(stage) ||
      (!allow_unspecified && stage == retro::v1::STAGE_UNSPECIFIED)) {
    return InvalidField(field, "is not a known stage");
  }
  return absl::OkStatus();
}

bool Revealed(const Session& session, retro::v1::Stage stage) {
  if (!session.hide_until_reveal()) return true;
  for (int s : session.revealed_stages()) {
    if (s == stage) return true;
  }
  return false;
}

// The session id of an annotation or item name that must belong to the
// request's session.
absl::StatusOr<std::string> ChildId(absl::string_view field, const std::string& name,
                                    absl::string_view collection, const std::string& session_id) {
  ASSIGN_OR_RETURN(auto ids, ParseName(field, name, {"sessions", collection}));
  if (ids[0] != session_id) {
    return InvalidField(field, absl::StrCat("must belong to ", SessionName(session_id)));
  }
  return ids[1];
}

}  // namespace

absl::StatusOr<Annotation> SessionController::AddAnnotation(
    const Caller& caller, const retro::v1::AddAnnotationRequest& request) {
  return AwaitReply<Annotation>(
      [&](Done<Annotation> done) { AddAnnotationAsync(caller, request, std::move(done)); });
}

void SessionController::AddAnnotationAsync(const Caller& caller,
                                           const retro::v1::AddAnnotationRequest& request,
                                           Done<Annotation> done) {
  std::vector<std::string> ids;
  std::string reply_to_id;
  absl::Status valid = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(ids, ParseName("parent", request.parent(), {"sessions"}));
    const Annotation& draft = request.annotation();
    RETURN_IF_ERROR(CheckKind("annotation.kind", draft.kind()));
    RETURN_IF_ERROR(CheckText("annotation.text", draft.text(), kMaxAnnotationBytes, false));
    RETURN_IF_ERROR(CheckStage("annotation.stage", draft.stage(), true));
    RETURN_IF_ERROR(CheckTags("annotation.tags", draft.tags()));
    if (!draft.reply_to().empty()) {
      ASSIGN_OR_RETURN(reply_to_id,
                       ChildId("annotation.reply_to", draft.reply_to(), "annotations", ids[0]));
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) {
    done(valid);
    return;
  }
  const std::string session_id = ids[0];
  // The build runs later on a writer thread: it owns what it reads, except
  // the request, which the caller keeps until `done`.
  MutateAsync<Annotation>(
      caller, session_id, "AddAnnotation", request.request_id(),
      [this, caller, session_id, reply_to_id, &draft = request.annotation()](
          Change& change, Annotation& reply) -> absl::Status {
        const Session& session = change.session();
        RETURN_IF_ERROR(CheckOpen(session, "annotate"));
        if (!reply_to_id.empty()) {
          ASSIGN_OR_RETURN(Annotation parent,
                           LoadAnnotation(caller, change, "annotation.reply_to", reply_to_id));
          if (parent.deleted()) {
            return absl::FailedPreconditionError("annotation.reply_to: annotation was deleted");
          }
        }
        Annotation annotation;
        annotation.set_name(AnnotationName(session_id, ids_.NewId()));
        annotation.set_author(caller.user_id);
        annotation.set_kind(draft.kind());
        annotation.set_text(draft.text());
        annotation.set_stage(draft.stage() == retro::v1::STAGE_UNSPECIFIED ? session.stage()
                                                                           : draft.stage());
        *annotation.mutable_tags() = draft.tags();
        annotation.set_anonymous(draft.anonymous());
        annotation.set_reply_to(draft.reply_to());
        annotation.set_revealed(Revealed(session, annotation.stage()));
        SetTimestamp(change.now(), annotation.mutable_create_time());
        change.EmitAnnotation(annotation);
        reply = annotation;  // The author's own view: author kept.
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<Annotation> SessionController::EditAnnotation(
    const Caller& caller, const retro::v1::EditAnnotationRequest& request) {
  const Annotation& patch = request.annotation();
  ASSIGN_OR_RETURN(auto ids,
                   ParseName("annotation.name", patch.name(), {"sessions", "annotations"}));
  if (request.update_mask().paths_size() == 0) return InvalidField("update_mask", "is required");
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "text") {
      RETURN_IF_ERROR(CheckText("annotation.text", patch.text(), kMaxAnnotationBytes, false));
    } else if (path == "kind") {
      RETURN_IF_ERROR(CheckKind("annotation.kind", patch.kind()));
    } else if (path == "tags") {
      RETURN_IF_ERROR(CheckTags("annotation.tags", patch.tags()));
    } else if (path == "stage") {
      RETURN_IF_ERROR(CheckStage("annotation.stage", patch.stage(), false));
    } else {
      return InvalidField("update_mask", absl::StrCat("cannot update '", path, "'"));
    }
  }
  return Mutate<Annotation>(
      caller, ids[0], "EditAnnotation", "", [&](Change& change, Annotation& reply) {
        RETURN_IF_ERROR(CheckOpen(change.session(), "edit annotations"));
        ASSIGN_OR_RETURN(Annotation annotation,
                         LoadAnnotation(caller, change, "annotation.name", ids[1]));
        if (annotation.author() != caller.user_id) {
          return absl::PermissionDeniedError("only the author edits an annotation");
        }
        if (annotation.deleted()) {
          return absl::FailedPreconditionError("the annotation was deleted");
        }
        RETURN_IF_ERROR(CheckEtag(patch.etag(), annotation.etag(), "the annotation"));
        for (const std::string& path : request.update_mask().paths()) {
          if (path == "text") annotation.set_text(patch.text());
          if (path == "kind") annotation.set_kind(patch.kind());
          if (path == "tags") *annotation.mutable_tags() = patch.tags();
          if (path == "stage") {
            annotation.set_stage(patch.stage());
            // Moving into a stage that is still hidden hides it again.
            annotation.set_revealed(annotation.revealed() &&
                                    Revealed(change.session(), patch.stage()));
          }
        }
        change.EmitAnnotation(annotation);
        reply = annotation;
        return absl::OkStatus();
      });
}

absl::StatusOr<Annotation> SessionController::DeleteAnnotation(
    const Caller& caller, const retro::v1::DeleteAnnotationRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions", "annotations"}));
  return Mutate<Annotation>(
      caller, ids[0], "DeleteAnnotation", "", [&](Change& change, Annotation& reply) {
        const Session& session = change.session();
        RETURN_IF_ERROR(CheckOpen(session, "delete annotations"));
        bool driver = CanDrive(caller, session);
        ASSIGN_OR_RETURN(std::optional<Annotation> found, change.GetAnnotation(ids[1]));
        // Drivers may remove an unrevealed annotation (moderation) without
        // seeing whose it is; to anyone else it does not exist.
        if (!found || (!VisibleTo(*found, caller.user_id) && !driver)) {
          return absl::NotFoundError(absl::StrCat("annotation ", request.name(), " not found"));
        }
        Annotation annotation = *std::move(found);
        if (annotation.author() != caller.user_id && !driver) {
          return absl::PermissionDeniedError(
              "only the author, the presenter or a facilitator deletes an annotation");
        }
        if (annotation.deleted()) {
          return absl::FailedPreconditionError("the annotation was already deleted");
        }
        RETURN_IF_ERROR(CheckEtag(request.etag(), annotation.etag(), "the annotation"));
        annotation.set_deleted(true);
        annotation.clear_text();  // A deletion removes the content.
        annotation.clear_tags();
        // Votes for it go back to their voters.
        RETURN_IF_ERROR(LoadVotes(change.ref(), change.slot()));
        for (const auto& vote : change.slot().votes) {
          if (vote.first == ids[1]) change.writes().votes_removed.push_back(vote);
        }
        annotation.set_vote_count(0);
        change.EmitAnnotation(annotation);
        if (VisibleTo(annotation, caller.user_id)) {
          reply = ViewOf(annotation, caller.user_id);
        } else {
          // A moderator removed what it may not see: say nothing of it.
          reply.set_name(annotation.name());
          reply.set_deleted(true);
          reply.set_etag(annotation.etag());
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<Annotation> SessionController::VoteAnnotation(
    const Caller& caller, const retro::v1::VoteAnnotationRequest& request) {
  return AwaitReply<Annotation>(
      [&](Done<Annotation> done) { VoteAnnotationAsync(caller, request, std::move(done)); });
}

void SessionController::VoteAnnotationAsync(const Caller& caller,
                                            const retro::v1::VoteAnnotationRequest& request,
                                            Done<Annotation> done) {
  absl::StatusOr<std::vector<std::string>> parsed =
      ParseName("name", request.name(), {"sessions", "annotations"});
  if (!parsed.ok()) {
    done(parsed.status());
    return;
  }
  const std::vector<std::string> ids = *std::move(parsed);
  MutateAsync<Annotation>(
      caller, ids[0], "VoteAnnotation", request.request_id(),
      [this, caller, ids, remove = request.remove()](Change& change,
                                                     Annotation& reply) -> absl::Status {
        const Session& session = change.session();
        RETURN_IF_ERROR(CheckOpen(session, "vote"));
        ASSIGN_OR_RETURN(Annotation annotation, LoadAnnotation(caller, change, "name", ids[1]));
        if (annotation.deleted()) {
          return absl::FailedPreconditionError("the annotation was deleted");
        }
        Slot& slot = change.slot();
        RETURN_IF_ERROR(LoadVotes(change.ref(), slot));
        std::pair<std::string, std::string> vote{ids[1], caller.user_id};
        bool voted = slot.votes.contains(vote);
        if (remove) {
          if (!voted) {
            return absl::FailedPreconditionError("you have not voted for this annotation");
          }
          change.writes().votes_removed.push_back(vote);
          annotation.set_vote_count(annotation.vote_count() - 1);
        } else {
          if (voted) {
            return absl::AlreadyExistsError("you already voted for this annotation");
          }
          int limit = session.votes_per_participant() > 0 ? session.votes_per_participant() : 5;
          auto used = slot.votes_by_user.find(caller.user_id);
          if (used != slot.votes_by_user.end() && used->second >= limit) {
            return absl::FailedPreconditionError(
                absl::StrCat("you have used all ", limit, " of your votes in this session"));
          }
          change.writes().votes_added.push_back(vote);
          annotation.set_vote_count(annotation.vote_count() + 1);
        }
        change.EmitAnnotation(annotation);
        reply = ViewOf(annotation, caller.user_id);
        reply.set_voted_by_caller(!remove);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<retro::v1::GroupAnnotationsResponse> SessionController::GroupAnnotations(
    const Caller& caller, const retro::v1::GroupAnnotationsRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("parent", request.parent(), {"sessions"}));
  const std::string& session_id = ids[0];
  std::string group_id;
  if (!request.ungroup()) {
    ASSIGN_OR_RETURN(group_id, ChildId("group", request.group(), "annotations", session_id));
  }
  if (request.annotations_size() == 0) return InvalidField("annotations", "is required");
  if (request.annotations_size() > 100) return InvalidField("annotations", "at most 100");
  std::vector<std::string> member_ids;
  std::set<std::string> seen;
  for (int i = 0; i < request.annotations_size(); ++i) {
    std::string field = absl::StrCat("annotations[", i, "]");
    ASSIGN_OR_RETURN(std::string id,
                     ChildId(field, request.annotations(i), "annotations", session_id));
    if (id == group_id) return InvalidField(field, "cannot be grouped under itself");
    if (!seen.insert(id).second) return InvalidField(field, "is listed twice");
    member_ids.push_back(std::move(id));
  }
  using Response = retro::v1::GroupAnnotationsResponse;
  return Mutate<Response>(
      caller, session_id, "GroupAnnotations", request.request_id(),
      [&](Change& change, Response& reply) {
        RETURN_IF_ERROR(CheckDriver(caller, change.session()));
        RETURN_IF_ERROR(CheckOpen(change.session(), "group annotations"));
        if (!group_id.empty()) {
          ASSIGN_OR_RETURN(Annotation group, LoadAnnotation(caller, change, "group", group_id));
          if (group.kind() != Annotation::LESSON || group.deleted()) {
            return InvalidField("group", "must name a LESSON annotation that is not deleted");
          }
          if (!group.group().empty()) {
            return InvalidField("group", "is itself grouped under another lesson");
          }
        }
        // One level of groups: a lesson that heads a group is not a member.
        std::set<std::string> heads;
        RETURN_IF_ERROR(change.ScanAnnotations([&](Annotation&& a) {
          if (!a.group().empty() && !a.deleted()) heads.insert(a.group());
          return true;
        }));
        for (size_t i = 0; i < member_ids.size(); ++i) {
          std::string field = absl::StrCat("annotations[", i, "]");
          if (!request.ungroup() && heads.count(AnnotationName(session_id, member_ids[i]))) {
            return InvalidField(field, "heads a group of its own");
          }
          ASSIGN_OR_RETURN(Annotation member, LoadAnnotation(caller, change, field, member_ids[i]));
          if (member.deleted()) {
            return absl::FailedPreconditionError(field + ": the annotation was deleted");
          }
          member.set_group(request.ungroup() ? "" : request.group());
          change.EmitAnnotation(member);
          *reply.add_annotations() = ViewOf(member, caller.user_id);
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<retro::v1::ListAnnotationsResponse> SessionController::ListAnnotations(
    const Caller& caller, const retro::v1::ListAnnotationsRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("parent", request.parent(), {"sessions"}));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckStage("stage", request.stage(), true));
  if (!Annotation::Kind_IsValid(request.kind())) {
    return InvalidField("kind", "is not a known annotation kind");
  }
  std::string query = absl::StrCat("ListAnnotations/", request.parent(), "/", request.stage(), "/",
                                   request.kind(), "/", request.show_deleted());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(query, request.page_token()));
  ASSIGN_OR_RETURN(Session session, LoadVisible(caller, ids[0]));
  storage::SessionRef ref{caller.org_id, ids[0]};
  ASSIGN_OR_RETURN(auto votes, sessions_.ListVotes(ref));
  std::set<std::string> my_votes;
  for (auto& vote : votes) {
    if (vote.second == caller.user_id) my_votes.insert(vote.first);
  }
  retro::v1::ListAnnotationsResponse response;
  std::string last_id;
  bool more = false;
  RETURN_IF_ERROR(sessions_.ScanAnnotations(ref, after, [&](Annotation&& annotation) {
    if (response.annotations_size() == page_size) {
      more = true;
      return false;
    }
    std::string id = annotation.name().substr(annotation.name().rfind('/') + 1);
    last_id = id;
    if (!VisibleTo(annotation, caller.user_id)) return true;
    if (annotation.deleted() && !request.show_deleted()) return true;
    if (request.stage() != 0 && annotation.stage() != request.stage()) return true;
    if (request.kind() != 0 && annotation.kind() != request.kind()) return true;
    Annotation view = ViewOf(annotation, caller.user_id);
    view.set_voted_by_caller(my_votes.count(id) > 0);
    *response.add_annotations() = std::move(view);
    return true;
  }));
  if (more) response.set_next_page_token(EncodePageToken(query, last_id));
  return response;
}

absl::StatusOr<ActionItem> SessionController::AddActionItem(
    const Caller& caller, const retro::v1::AddActionItemRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("parent", request.parent(), {"sessions"}));
  const ActionItem& draft = request.action_item();
  RETURN_IF_ERROR(CheckText("action_item.text", draft.text(), kMaxAnnotationBytes, false));
  RETURN_IF_ERROR(CheckDate("action_item.due_date", draft.due_date()));
  if (!ActionItem::Status_IsValid(draft.status())) {
    return InvalidField("action_item.status", "is not a known status");
  }
  std::string source_id;
  if (!draft.source_annotation().empty()) {
    ASSIGN_OR_RETURN(source_id, ChildId("action_item.source_annotation", draft.source_annotation(),
                                        "annotations", ids[0]));
  }
  RETURN_IF_ERROR(CheckId("action_item.owner", draft.owner()));
  return Mutate<ActionItem>(
      caller, ids[0], "AddActionItem", request.request_id(),
      [&](Change& change, ActionItem& reply) {
        RETURN_IF_ERROR(CheckDriver(caller, change.session()));
        RETURN_IF_ERROR(CheckUserExists(caller.org_id, "action_item.owner", draft.owner()));
        RETURN_IF_ERROR(CheckOpen(change.session(), "add action items"));
        if (!source_id.empty()) {
          RETURN_IF_ERROR(
              LoadAnnotation(caller, change, "action_item.source_annotation", source_id).status());
        }
        ActionItem item;
        item.set_name(ActionItemName(ids[0], ids_.NewId()));
        item.set_text(draft.text());
        item.set_owner(draft.owner());
        *item.mutable_due_date() = draft.due_date();
        item.set_status(draft.status() == ActionItem::STATUS_UNSPECIFIED ? ActionItem::OPEN
                                                                         : draft.status());
        item.set_source_annotation(draft.source_annotation());
        SetTimestamp(change.now(), item.mutable_create_time());
        change.EmitActionItem(item);
        reply = item;
        return absl::OkStatus();
      });
}

absl::StatusOr<ActionItem> SessionController::UpdateActionItem(
    const Caller& caller, const retro::v1::UpdateActionItemRequest& request) {
  const ActionItem& patch = request.action_item();
  ASSIGN_OR_RETURN(auto ids,
                   ParseName("action_item.name", patch.name(), {"sessions", "actionItems"}));
  if (request.update_mask().paths_size() == 0) return InvalidField("update_mask", "is required");
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "text") {
      RETURN_IF_ERROR(CheckText("action_item.text", patch.text(), kMaxAnnotationBytes, false));
    } else if (path == "owner") {
      RETURN_IF_ERROR(CheckId("action_item.owner", patch.owner()));
    } else if (path == "due_date") {
      RETURN_IF_ERROR(CheckDate("action_item.due_date", patch.due_date()));
    } else if (path == "status") {
      if (!ActionItem::Status_IsValid(patch.status()) ||
          patch.status() == ActionItem::STATUS_UNSPECIFIED) {
        return InvalidField("action_item.status", "must be OPEN, DONE or DROPPED");
      }
    } else {
      return InvalidField("update_mask", absl::StrCat("cannot update '", path, "'"));
    }
  }
  return Mutate<ActionItem>(
      caller, ids[0], "UpdateActionItem", "", [&](Change& change, ActionItem& reply) {
        ASSIGN_OR_RETURN(std::optional<ActionItem> found, change.GetActionItem(ids[1]));
        if (!found) {
          return absl::NotFoundError(absl::StrCat("action item ", patch.name(), " not found"));
        }
        ActionItem item = *std::move(found);
        if (!CanDrive(caller, change.session()) && item.owner() != caller.user_id) {
          return absl::PermissionDeniedError(
              "only the presenter, a facilitator or the owner updates an action item");
        }
        RETURN_IF_ERROR(CheckOpen(change.session(), "update action items"));
        RETURN_IF_ERROR(CheckEtag(patch.etag(), item.etag(), "the action item"));
        for (const std::string& path : request.update_mask().paths()) {
          if (path == "owner") {
            RETURN_IF_ERROR(CheckUserExists(caller.org_id, "action_item.owner", patch.owner()));
          }
        }
        for (const std::string& path : request.update_mask().paths()) {
          if (path == "text") item.set_text(patch.text());
          if (path == "owner") item.set_owner(patch.owner());
          if (path == "due_date") *item.mutable_due_date() = patch.due_date();
          if (path == "status") item.set_status(patch.status());
        }
        change.EmitActionItem(item);
        reply = item;
        return absl::OkStatus();
      });
}

absl::StatusOr<retro::v1::ListActionItemsResponse> SessionController::ListActionItems(
    const Caller& caller, const retro::v1::ListActionItemsRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("parent", request.parent(), {"sessions"}));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request.page_size()));
  std::string query = absl::StrCat("ListActionItems/", request.parent());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(query, request.page_token()));
  ASSIGN_OR_RETURN(Session session, LoadVisible(caller, ids[0]));
  retro::v1::ListActionItemsResponse response;
  std::string last_id;
  bool more = false;
  RETURN_IF_ERROR(sessions_.ScanActionItems({caller.org_id, ids[0]}, after, [&](ActionItem&& item) {
    if (response.action_items_size() == page_size) {
      more = true;
      return false;
    }
    last_id = item.name().substr(item.name().rfind('/') + 1);
    *response.add_action_items() = std::move(item);
    return true;
  }));
  if (more) response.set_next_page_token(EncodePageToken(query, last_id));
  return response;
}

}  // namespace retro::core
