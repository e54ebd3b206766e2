// The presenter's and teammates' commands: `retro session ...`, annotate,
// annotations, vote, group and `retro action ...`.
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"

namespace retro::cli {
namespace {

using retro::v1::ActionItem;
using retro::v1::Annotation;
using retro::v1::Session;

std::string SessionArg(Context& context, size_t i = 0) {
  return FullName("sessions", context.args().positional(i));
}

// "sessions/s/annotations/a", or "a" with the session given by --session.
absl::StatusOr<std::string> ChildArg(Context& context, const std::string& text,
                                     const char* collection) {
  if (text.find('/') != std::string::npos) return text;
  std::string session = context.args().Get("session");
  if (session.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': give the full name (sessions/ID/",
                                                   collection, "/ID) or --session"));
  }
  return absl::StrCat(FullName("sessions", session), "/", collection, "/", text);
}

std::string Kind(Annotation::Kind kind) { return EnumText(Annotation::Kind_descriptor(), kind); }
std::string StageText(retro::v1::Stage stage) {
  return EnumText(retro::v1::Stage_descriptor(), stage);
}

void PrintSession(Context& context, const Session& session) {
  if (context.json()) {
    context.out() << ToJson(session) << "\n";
    return;
  }
  const retro::v1::Deal& deal = session.deal();
  std::ostream& out = context.out();
  out << session.name() << ": " << session.title() << "\n"
      << "  state:      " << EnumText(retro::v1::SessionState_descriptor(), session.state());
  if (session.stage() != retro::v1::STAGE_UNSPECIFIED)
    out << ", stage " << StageText(session.stage());
  out << "\n  presenter:  " << session.presenter();
  if (session.facilitators_size() > 0) {
    out << " (facilitators: " << absl::StrJoin(session.facilitators(), ", ") << ")";
  }
  out << "\n  visibility: " << EnumText(retro::v1::Visibility_descriptor(), session.visibility());
  if (!session.team_id().empty()) out << " (team " << session.team_id() << ")";
  out << "\n";
  if (session.has_deal()) {
    out << "  deal:       " << (deal.name().empty() ? deal.account() : deal.name());
    if (!deal.name().empty() && !deal.account().empty()) out << " at " << deal.account();
    if (deal.outcome() != 0)
      out << ", " << EnumText(retro::v1::Outcome_descriptor(), deal.outcome());
    if (deal.has_amount()) out << ", " << MoneyText(deal.amount());
    out << "\n";
    if (!deal.competitor().empty()) out << "  competitor: " << deal.competitor() << "\n";
    if (!deal.primary_reason().empty()) {
      out << "  reason:     " << deal.primary_reason();
      if (deal.reasons_size() > 0) out << " (also " << absl::StrJoin(deal.reasons(), ", ") << ")";
      out << "\n";
    }
    if (deal.stage_reached() != 0) {
      out << "  reached:    " << EnumText(retro::v1::DealStage_descriptor(), deal.stage_reached())
          << "\n";
    }
    if (!deal.industry().empty() || !deal.segment().empty()) {
      out << "  market:     " << deal.industry()
          << (deal.segment().empty() ? "" : absl::StrCat(", ", deal.segment())) << "\n";
    }
    if (deal.has_close_date()) out << "  closed:     " << DateText(deal.close_date()) << "\n";
  }
  for (const retro::v1::StageNote& note : session.stage_notes()) {
    out << "  " << StageText(note.stage()) << ": " << note.text() << "\n";
  }
  out << "  events:     " << session.last_sequence() << ", updated "
      << TimeText(session.update_time()) << "\n";
}

absl::Status ReplyWithSession(Context& context, const Session& session, const std::string& what) {
  if (!context.PrintJson(session)) {
    context.out() << session.name() << " " << what << ": "
                  << EnumText(retro::v1::SessionState_descriptor(), session.state());
    if (session.stage() != 0) context.out() << ", stage " << StageText(session.stage());
    context.out() << "\n";
  }
  return absl::OkStatus();
}

absl::Status CreateSession(Context& context) {
  const Args& args = context.args();
  retro::v1::CreateSessionRequest request;
  request.set_session_id(args.Get("id"));
  request.set_request_id(args.Get("request-id"));
  Session* session = request.mutable_session();
  session->set_title(args.Get("title"));
  session->set_team_id(args.Get("team"));
  std::string visibility =
      args.Get("visibility", session->team_id().empty() ? "organization" : "team");
  absl::StatusOr<int> v = ParseEnum(retro::v1::Visibility_descriptor(), "--visibility", visibility);
  if (!v.ok()) return v.status();
  session->set_visibility(static_cast<retro::v1::Visibility>(*v));
  for (const std::string& user : args.GetAll("facilitator")) {
    session->add_facilitators(LastId(user));
  }
  session->set_hide_until_reveal(args.Has("hide-until-reveal"));
  absl::StatusOr<int64_t> votes = args.GetInt("votes", 0, 0, 100);
  if (!votes.ok()) return votes.status();
  session->set_votes_per_participant(static_cast<int32_t>(*votes));

  retro::v1::Deal* deal = session->mutable_deal();
  deal->set_name(args.Get("deal"));
  deal->set_account(args.Get("account"));
  if (args.Has("outcome")) {
    absl::StatusOr<int> outcome =
        ParseEnum(retro::v1::Outcome_descriptor(), "--outcome", args.Get("outcome"));
    if (!outcome.ok()) return outcome.status();
    deal->set_outcome(static_cast<retro::v1::Outcome>(*outcome));
  }
  if (args.Has("stage-reached")) {
    absl::StatusOr<int> stage =
        ParseEnum(retro::v1::DealStage_descriptor(), "--stage-reached", args.Get("stage-reached"));
    if (!stage.ok()) return stage.status();
    deal->set_stage_reached(static_cast<retro::v1::DealStage>(*stage));
  }
  if (args.Has("amount")) {
    int64_t units = 0;
    if (!absl::SimpleAtoi(args.Get("amount"), &units) || units < 0) {
      return absl::InvalidArgumentError("--amount must be a whole, non-negative number");
    }
    deal->mutable_amount()->set_units(units);
    deal->mutable_amount()->set_currency_code(args.Get("currency", "USD"));
  }
  deal->set_competitor(args.Get("competitor"));
  deal->set_industry(args.Get("industry"));
  deal->set_segment(args.Get("segment"));
  if (args.Has("close-date")) {
    absl::StatusOr<retro::v1::Date> date = ParseDate("--close-date", args.Get("close-date"));
    if (!date.ok()) return date.status();
    *deal->mutable_close_date() = *date;
  }
  deal->set_primary_reason(ReasonCode(args.Get("reason")));
  for (const std::string& reason : args.GetAll("also-reason"))
    deal->add_reasons(ReasonCode(reason));
  absl::StatusOr<int64_t> cycle = args.GetInt("cycle-days", 0, 0, 3650);
  if (!cycle.ok()) return cycle.status();
  deal->set_cycle_days(static_cast<int32_t>(*cycle));
  for (const std::string& note : args.GetEach("note")) {
    std::pair<std::string, std::string> parts = absl::StrSplit(note, absl::MaxSplits('=', 1));
    absl::StatusOr<int> stage = ParseEnum(retro::v1::Stage_descriptor(), "--note", parts.first);
    if (!stage.ok()) return stage.status();
    retro::v1::StageNote* stage_note = session->add_stage_notes();
    stage_note->set_stage(static_cast<retro::v1::Stage>(*stage));
    stage_note->set_text(parts.second);
  }
  Session created;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->sessions().CreateSession(ctx, request, &created);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(created))
    context.out() << "created " << created.name() << " (draft): " << created.title() << "\n";
  return absl::OkStatus();
}

absl::Status ListSessions(Context& context) {
  const Args& args = context.args();
  retro::v1::ListSessionsRequest request;
  if (args.Has("state")) {
    absl::StatusOr<int> state =
        ParseEnum(retro::v1::SessionState_descriptor(), "--state", args.Get("state"));
    if (!state.ok()) return state.status();
    request.set_state(static_cast<retro::v1::SessionState>(*state));
  }
  request.set_team_id(args.Get("team"));
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 100, 1, 100000);
  if (!limit.ok()) return limit.status();
  retro::v1::ListSessionsResponse all;
  do {
    request.set_page_size(
        static_cast<int32_t>(std::min<int64_t>(100, *limit - all.sessions_size())));
    retro::v1::ListSessionsResponse page;
    absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
      return c->sessions().ListSessions(ctx, request, &page);
    });
    if (!status.ok()) return status;
    for (Session& session : *page.mutable_sessions()) *all.add_sessions() = std::move(session);
    request.set_page_token(page.next_page_token());
    all.set_next_page_token(page.next_page_token());
  } while (!request.page_token().empty() && all.sessions_size() < *limit);
  if (context.PrintJson(all)) return absl::OkStatus();
  Table table({"SESSION", "STATE", "STAGE", "OUTCOME", "ACCOUNT", "TITLE", "UPDATED"}, 48);
  for (const Session& s : all.sessions()) {
    table.AddRow({LastId(s.name()), EnumText(retro::v1::SessionState_descriptor(), s.state()),
                  StageText(s.stage()),
                  EnumText(retro::v1::Outcome_descriptor(), s.deal().outcome()), s.deal().account(),
                  s.title(), TimeText(s.update_time())});
  }
  table.Print(context.out());
  if (!all.next_page_token().empty()) context.err() << "(more: raise --limit)\n";
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Annotation>> AllAnnotations(Context& context, const std::string& session,
                                                       retro::v1::Stage stage,
                                                       Annotation::Kind kind, bool deleted) {
  retro::v1::ListAnnotationsRequest request;
  request.set_parent(session);
  request.set_stage(stage);
  request.set_kind(kind);
  request.set_show_deleted(deleted);
  request.set_page_size(500);
  std::vector<Annotation> all;
  do {
    retro::v1::ListAnnotationsResponse page;
    absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
      return c->annotations().ListAnnotations(ctx, request, &page);
    });
    if (!status.ok()) return status;
    for (Annotation& a : *page.mutable_annotations()) all.push_back(std::move(a));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

absl::StatusOr<std::vector<ActionItem>> AllActionItems(Context& context,
                                                       const std::string& session) {
  retro::v1::ListActionItemsRequest request;
  request.set_parent(session);
  request.set_page_size(500);
  std::vector<ActionItem> all;
  do {
    retro::v1::ListActionItemsResponse page;
    absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
      return c->annotations().ListActionItems(ctx, request, &page);
    });
    if (!status.ok()) return status;
    for (ActionItem& item : *page.mutable_action_items()) all.push_back(std::move(item));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

std::string Author(const Annotation& a) {
  if (a.anonymous() && a.author().empty()) return "(anonymous)";
  return LastId(a.author()) + (a.anonymous() ? " (anon)" : "");
}

// Annotations by stage; grouped ones indented under their group's head.
void PrintAnnotations(Context& context, const std::vector<Annotation>& annotations) {
  std::map<int, std::vector<const Annotation*>> by_stage;
  std::map<std::string, std::vector<const Annotation*>> members;
  for (const Annotation& a : annotations) {
    if (!a.group().empty() && a.group() != a.name())
      members[a.group()].push_back(&a);
    else
      by_stage[a.stage()].push_back(&a);
  }
  Table table({"STAGE", "ID", "VOTES", "KIND", "AUTHOR", "TEXT"}, 72);
  for (const auto& [stage, heads] : by_stage) {
    for (const Annotation* a : heads) {
      std::string text = a->text() + (a->deleted() ? " [deleted]" : "");
      table.AddRow({StageText(static_cast<retro::v1::Stage>(stage)), LastId(a->name()),
                    absl::StrCat(a->vote_count(), a->voted_by_caller() ? "*" : ""), Kind(a->kind()),
                    Author(*a), text});
      for (const Annotation* m : members[a->name()]) {
        table.AddRow({"", "  " + LastId(m->name()), absl::StrCat(m->vote_count()), Kind(m->kind()),
                      Author(*m), "↳ " + m->text()});
      }
    }
  }
  table.Print(context.out());
}

void PrintActionItems(Context& context, const std::vector<ActionItem>& items) {
  Table table({"ID", "STATUS", "OWNER", "DUE", "ACTION"}, 72);
  for (const ActionItem& item : items) {
    table.AddRow({LastId(item.name()), EnumText(ActionItem::Status_descriptor(), item.status()),
                  LastId(item.owner()), DateText(item.due_date()), item.text()});
  }
  table.Print(context.out());
}

absl::Status ShowSession(Context& context) {
  retro::v1::GetSessionRequest request;
  request.set_name(SessionArg(context));
  Session session;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->sessions().GetSession(ctx, request, &session);
  });
  if (!status.ok()) return status;
  PrintSession(context, session);
  if (context.json()) return absl::OkStatus();
  absl::StatusOr<std::vector<Annotation>> annotations = AllAnnotations(
      context, session.name(), retro::v1::STAGE_UNSPECIFIED, Annotation::KIND_UNSPECIFIED, false);
  if (!annotations.ok()) return annotations.status();
  absl::StatusOr<std::vector<ActionItem>> items = AllActionItems(context, session.name());
  if (!items.ok()) return items.status();
  context.out() << "\nAnnotations (" << annotations->size() << "):\n";
  if (!annotations->empty()) PrintAnnotations(context, *annotations);
  context.out() << "\nAction plan (" << items->size() << "):\n";
  if (!items->empty()) PrintActionItems(context, *items);
  return absl::OkStatus();
}

template <typename Request, typename Method>
absl::Status Transition(Context& context, Method method, const std::string& what) {
  Request request;
  request.set_name(SessionArg(context));
  request.set_etag(context.args().Get("etag"));
  request.set_request_id(context.args().Get("request-id"));
  Session session;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return (c->sessions().*method)(ctx, request, &session);
  });
  if (!status.ok()) return status;
  return ReplyWithSession(context, session, what);
}

absl::Status SetStage(Context& context) {
  retro::v1::SetStageRequest request;
  request.set_name(SessionArg(context));
  absl::StatusOr<int> stage =
      ParseEnum(retro::v1::Stage_descriptor(), "STAGE", context.args().positional(1));
  if (!stage.ok()) return stage.status();
  request.set_stage(static_cast<retro::v1::Stage>(*stage));
  absl::StatusOr<int64_t> minutes = context.args().GetInt("minutes", 0, 0, 24 * 60);
  if (!minutes.ok()) return minutes.status();
  if (*minutes > 0) {
    absl::Time deadline = absl::Now() + absl::Minutes(*minutes);
    request.mutable_stage_deadline()->set_seconds(absl::ToUnixSeconds(deadline));
  }
  request.set_etag(context.args().Get("etag"));
  request.set_request_id(context.args().Get("request-id"));
  Session session;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->sessions().SetStage(ctx, request, &session);
  });
  if (!status.ok()) return status;
  return ReplyWithSession(context, session, "moved on");
}

absl::Status RevealStage(Context& context) {
  retro::v1::RevealStageRequest request;
  request.set_name(SessionArg(context));
  absl::StatusOr<int> stage =
      ParseEnum(retro::v1::Stage_descriptor(), "STAGE", context.args().positional(1));
  if (!stage.ok()) return stage.status();
  request.set_stage(static_cast<retro::v1::Stage>(*stage));
  request.set_request_id(context.args().Get("request-id"));
  Session session;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->sessions().RevealStage(ctx, request, &session);
  });
  if (!status.ok()) return status;
  return ReplyWithSession(context, session, "revealed " + context.args().positional(1));
}

absl::Status Annotate(Context& context) {
  const Args& args = context.args();
  retro::v1::AddAnnotationRequest request;
  request.set_parent(SessionArg(context));
  request.set_request_id(args.Get("request-id"));
  Annotation* annotation = request.mutable_annotation();
  absl::StatusOr<int> kind =
      ParseEnum(Annotation::Kind_descriptor(), "--kind", args.Get("kind", "lesson"));
  if (!kind.ok()) return kind.status();
  annotation->set_kind(static_cast<Annotation::Kind>(*kind));
  annotation->set_text(args.positional(1));
  annotation->set_anonymous(args.Has("anonymous"));
  if (args.Has("stage")) {
    absl::StatusOr<int> stage =
        ParseEnum(retro::v1::Stage_descriptor(), "--stage", args.Get("stage"));
    if (!stage.ok()) return stage.status();
    annotation->set_stage(static_cast<retro::v1::Stage>(*stage));
  }
  for (const std::string& tag : args.GetAll("tag")) annotation->add_tags(tag);
  if (args.Has("reply-to")) {
    annotation->set_reply_to(
        absl::StrCat(request.parent(), "/annotations/", LastId(args.Get("reply-to"))));
  }
  Annotation added;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->annotations().AddAnnotation(ctx, request, &added);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(added)) context.out() << added.name() << "\n";
  return absl::OkStatus();
}

absl::Status ListAnnotations(Context& context) {
  const Args& args = context.args();
  retro::v1::Stage stage = retro::v1::STAGE_UNSPECIFIED;
  Annotation::Kind kind = Annotation::KIND_UNSPECIFIED;
  if (args.Has("stage")) {
    absl::StatusOr<int> s = ParseEnum(retro::v1::Stage_descriptor(), "--stage", args.Get("stage"));
    if (!s.ok()) return s.status();
    stage = static_cast<retro::v1::Stage>(*s);
  }
  if (args.Has("kind")) {
    absl::StatusOr<int> k = ParseEnum(Annotation::Kind_descriptor(), "--kind", args.Get("kind"));
    if (!k.ok()) return k.status();
    kind = static_cast<Annotation::Kind>(*k);
  }
  absl::StatusOr<std::vector<Annotation>> annotations =
      AllAnnotations(context, SessionArg(context), stage, kind, args.Has("deleted"));
  if (!annotations.ok()) return annotations.status();
  if (context.json()) {
    retro::v1::ListAnnotationsResponse response;
    for (const Annotation& a : *annotations) *response.add_annotations() = a;
    context.out() << ToJson(response) << "\n";
  } else {
    PrintAnnotations(context, *annotations);
  }
  return absl::OkStatus();
}

absl::Status Vote(Context& context) {
  absl::StatusOr<std::string> name = ChildArg(context, context.args().positional(0), "annotations");
  if (!name.ok()) return name.status();
  retro::v1::VoteAnnotationRequest request;
  request.set_name(*name);
  request.set_remove(context.args().Has("remove"));
  request.set_request_id(context.args().Get("request-id"));
  Annotation annotation;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->annotations().VoteAnnotation(ctx, request, &annotation);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(annotation)) {
    context.out() << annotation.name() << ": " << annotation.vote_count() << " vote"
                  << (annotation.vote_count() == 1 ? "" : "s") << "\n";
  }
  return absl::OkStatus();
}

absl::Status Group(Context& context) {
  const Args& args = context.args();
  retro::v1::GroupAnnotationsRequest request;
  request.set_parent(SessionArg(context));
  request.set_group(absl::StrCat(request.parent(), "/annotations/", LastId(args.positional(1))));
  for (size_t i = 2; i < args.positionals().size(); ++i) {
    request.add_annotations(
        absl::StrCat(request.parent(), "/annotations/", LastId(args.positional(i))));
  }
  request.set_ungroup(args.Has("ungroup"));
  request.set_request_id(args.Get("request-id"));
  retro::v1::GroupAnnotationsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->annotations().GroupAnnotations(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(response)) {
    context.out() << (request.ungroup() ? "ungrouped " : "grouped ") << response.annotations_size()
                  << " annotation" << (response.annotations_size() == 1 ? "" : "s") << " "
                  << (request.ungroup() ? "from " : "under ") << LastId(request.group()) << "\n";
  }
  return absl::OkStatus();
}

absl::Status AddAction(Context& context) {
  const Args& args = context.args();
  retro::v1::AddActionItemRequest request;
  request.set_parent(SessionArg(context));
  request.set_request_id(args.Get("request-id"));
  ActionItem* item = request.mutable_action_item();
  item->set_text(args.positional(1));
  if (args.Has("owner")) item->set_owner(LastId(args.Get("owner")));
  if (absl::Status s = DateFlag(args, "due", item->mutable_due_date()); !s.ok()) return s;
  if (args.Has("from")) {
    item->set_source_annotation(
        absl::StrCat(request.parent(), "/annotations/", LastId(args.Get("from"))));
  }
  ActionItem added;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->annotations().AddActionItem(ctx, request, &added);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(added)) context.out() << added.name() << "\n";
  return absl::OkStatus();
}

absl::Status ListActions(Context& context) {
  absl::StatusOr<std::vector<ActionItem>> items = AllActionItems(context, SessionArg(context));
  if (!items.ok()) return items.status();
  if (context.json()) {
    retro::v1::ListActionItemsResponse response;
    for (const ActionItem& item : *items) *response.add_action_items() = item;
    context.out() << ToJson(response) << "\n";
  } else {
    PrintActionItems(context, *items);
  }
  return absl::OkStatus();
}

// `action update`, and `action done`/`action drop` as its short forms.
absl::Status UpdateAction(Context& context, ActionItem::Status forced_status) {
  const Args& args = context.args();
  absl::StatusOr<std::string> name = ChildArg(context, args.positional(0), "actionItems");
  if (!name.ok()) return name.status();
  retro::v1::UpdateActionItemRequest request;
  ActionItem* item = request.mutable_action_item();
  item->set_name(*name);
  item->set_etag(args.Get("etag"));
  auto* mask = request.mutable_update_mask();
  if (forced_status != ActionItem::STATUS_UNSPECIFIED) {
    item->set_status(forced_status);
    mask->add_paths("status");
  } else if (args.Has("status")) {
    absl::StatusOr<int> s =
        ParseEnum(ActionItem::Status_descriptor(), "--status", args.Get("status"));
    if (!s.ok()) return s.status();
    item->set_status(static_cast<ActionItem::Status>(*s));
    mask->add_paths("status");
  }
  if (args.Has("text")) {
    item->set_text(args.Get("text"));
    mask->add_paths("text");
  }
  if (args.Has("owner")) {
    item->set_owner(LastId(args.Get("owner")));
    mask->add_paths("owner");
  }
  if (args.Has("due")) {
    absl::StatusOr<retro::v1::Date> due = ParseDate("--due", args.Get("due"));
    if (!due.ok()) return due.status();
    *item->mutable_due_date() = *due;
    mask->add_paths("due_date");
  }
  if (mask->paths_size() == 0) {
    return absl::InvalidArgumentError("nothing to change: give --text, --owner, --due or --status");
  }
  ActionItem updated;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->annotations().UpdateActionItem(ctx, request, &updated);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(updated)) {
    context.out() << updated.name() << ": "
                  << EnumText(ActionItem::Status_descriptor(), updated.status()) << ", owner "
                  << LastId(updated.owner()) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddSessionCommands(std::vector<Command>* commands) {
  const FlagSpec request_id{"request-id", "ID", "make a retry of this command safe to repeat"};
  const FlagSpec etag{"etag", "ETAG", "fail with ABORTED if the session changed since this etag"};
  const FlagSpec session_flag{"session", "SESSION", "the session, when a short id is given"};
  commands->push_back(
      {{"session create",
        "",
        "open a retrospective for one deal (in DRAFT)",
        "Example:\n  retro session create --id acme-q3 --title \"Acme renewal, lost to Globex\" "
        "\\\n"
        "    --team east --outcome lost --account Acme --amount 120000 --competitor Globex \\\n"
        "    --reason price --stage-reached negotiation --close-date 2026-10-30",
        {{"title", "TEXT", "what the session is about (required)"},
         {"id", "ID", "the session id (default: one is made up)"},
         {"team", "TEAM_ID", "the team that owns the session"},
         {"visibility", "WHO", "team or organization (default team with --team)"},
         {"facilitator", "USER", "a user who may drive the session too", true},
         {"hide-until-reveal", "", "keep notes hidden until the presenter reveals each stage"},
         {"votes", "N", "votes per participant (0: unlimited)"},
         {"deal", "TEXT", "the deal's name"},
         {"account", "TEXT", "the customer account"},
         {"outcome", "OUTCOME", "won, lost or no-decision"},
         {"amount", "UNITS", "deal size in whole currency units"},
         {"currency", "CODE", "ISO 4217 code of --amount (default USD)"},
         {"competitor", "TEXT", "who won, or who we beat"},
         {"reason", "CODE", std::string("the primary win or loss reason: ") + kReasonCodes},
         {"also-reason", "CODE", "another reason, from the same codes", true},
         {"stage-reached", "STAGE",
          "discovery, qualification, demo, proposal, negotiation, closing"},
         {"industry", "TEXT", "the account's industry"},
         {"segment", "TEXT", "the market segment, e.g. mid-market"},
         {"close-date", "YYYY-MM-DD", "when the deal closed"},
         {"cycle-days", "N", "length of the sales cycle in days"},
         {"note", "STAGE=TEXT", "the presenter's note for an agenda stage, e.g. context=...", true},
         request_id},
        0,
        0},
       CreateSession});
  commands->push_back({{"session list",
                        "",
                        "list the sessions you can see",
                        "",
                        {{"state", "STATE", "draft, live, review or published"},
                         {"team", "TEAM_ID", "only this team's sessions"},
                         {"limit", "N", "at most N sessions (default 100)"}},
                        0,
                        0},
                       ListSessions});
  commands->push_back({{"session show",
                        "SESSION",
                        "show a session with its annotations and action plan",
                        "",
                        {},
                        1,
                        1},
                       ShowSession});
  commands->push_back({{"session start",
                        "SESSION",
                        "go live: teammates can annotate",
                        "",
                        {etag, request_id},
                        1,
                        1},
                       [](Context& c) {
                         return Transition<retro::v1::StartSessionRequest>(
                             c, &retro::v1::SessionService::Stub::StartSession, "started");
                       }});
  commands->push_back({{"session stage",
                        "SESSION STAGE",
                        "move the agenda to a stage",
                        "Stages: context, timeline, went-well, went-wrong, lessons, action-plan.",
                        {{"minutes", "N", "a time box: the stage's deadline, N minutes from now"},
                         etag,
                         request_id},
                        2,
                        2},
                       SetStage});
  commands->push_back({{"session reveal",
                        "SESSION STAGE",
                        "reveal a stage's hidden notes (hide-until-reveal sessions)",
                        "",
                        {request_id},
                        2,
                        2},
                       RevealStage});
  commands->push_back({{"session end",
                        "SESSION",
                        "end the live part; the session goes to REVIEW",
                        "",
                        {etag, request_id},
                        1,
                        1},
                       [](Context& c) {
                         return Transition<retro::v1::EndSessionRequest>(
                             c, &retro::v1::SessionService::Stub::EndSession, "ended");
                       }});
  commands->push_back({{"session publish",
                        "SESSION",
                        "publish the reviewed lessons to the library",
                        "",
                        {etag, request_id},
                        1,
                        1},
                       [](Context& c) {
                         return Transition<retro::v1::PublishSessionRequest>(
                             c, &retro::v1::SessionService::Stub::PublishSession, "published");
                       }});
  commands->push_back(
      {{"annotate",
        "SESSION TEXT",
        "add a lesson, question or note to a live session",
        "Prints the new annotation's name. Kinds: lesson, went-well, went-wrong, question.",
        {{"kind", "KIND", "lesson (default), went-well, went-wrong or question"},
         {"anonymous", "", "hide your name from teammates"},
         {"stage", "STAGE", "the agenda stage (default: the current one)"},
         {"tag", "TAG", "a tag, e.g. pricing", true},
         {"reply-to", "ANNOTATION", "answer another annotation"},
         request_id},
        2,
        2},
       Annotate});
  commands->push_back({{"annotations",
                        "SESSION",
                        "list a session's annotations by stage",
                        "",
                        {{"stage", "STAGE", "only this stage"},
                         {"kind", "KIND", "only this kind"},
                         {"deleted", "", "include deleted ones (moderators)"}},
                        1,
                        1},
                       ListAnnotations});
  commands->push_back({{"vote",
                        "ANNOTATION",
                        "vote for an annotation (again with --remove to undo)",
                        "ANNOTATION is sessions/ID/annotations/ID, or an id with --session.",
                        {{"remove", "", "take your vote back"}, session_flag, request_id},
                        1,
                        1},
                       Vote});
  commands->push_back({{"group",
                        "SESSION GROUP ANNOTATION...",
                        "group duplicates under one annotation (facilitators)",
                        "GROUP is the annotation the others are grouped under; ids or full names.",
                        {{"ungroup", "", "take the annotations out of the group"}, request_id},
                        3,
                        -1},
                       Group});
  commands->push_back({{"action add",
                        "SESSION TEXT",
                        "add a \"do\" statement with an owner",
                        "",
                        {{"owner", "USER", "who does it"},
                         {"due", "YYYY-MM-DD", "by when"},
                         {"from", "ANNOTATION", "the annotation it comes from"},
                         request_id},
                        2,
                        2},
                       AddAction});
  commands->push_back(
      {{"action list", "SESSION", "list a session's action plan", "", {}, 1, 1}, ListActions});
  const std::vector<FlagSpec> update_flags = {{"text", "TEXT", "new text"},
                                              {"owner", "USER", "new owner"},
                                              {"due", "YYYY-MM-DD", "new due date"},
                                              {"status", "STATUS", "open, done or dropped"},
                                              session_flag,
                                              etag};
  commands->push_back(
      {{"action update", "ACTION", "change an action item",
        "ACTION is sessions/ID/actionItems/ID, or an id with --session.", update_flags, 1, 1},
       [](Context& c) { return UpdateAction(c, ActionItem::STATUS_UNSPECIFIED); }});
  commands->push_back(
      {{"action done", "ACTION", "mark an action item done", "", {session_flag, etag}, 1, 1},
       [](Context& c) { return UpdateAction(c, ActionItem::DONE); }});
  commands->push_back(
      {{"action drop", "ACTION", "drop an action item", "", {session_flag, etag}, 1, 1},
       [](Context& c) { return UpdateAction(c, ActionItem::DROPPED); }});
}

}  // namespace retro::cli
