// Validation of the session fields a caller may set (create and update).
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/validation.h"
#include "services/core/change.h"
#include "services/core/rules.h"
#include "services/core/taxonomy.h"
#include "storage/status_macros.h"

namespace retro::core {
namespace {

absl::Status CheckDeal(absl::string_view prefix, const retro::v1::Deal& deal) {
  auto f = [&](absl::string_view name) { return absl::StrCat(prefix, ".", name); };
  RETURN_IF_ERROR(CheckText(f("name"), deal.name(), kMaxShortTextBytes, true, true));
  RETURN_IF_ERROR(CheckText(f("account"), deal.account(), kMaxShortTextBytes, true, true));
  RETURN_IF_ERROR(CheckText(f("competitor"), deal.competitor(), 100, true, true));
  RETURN_IF_ERROR(CheckText(f("industry"), deal.industry(), 100, true, true));
  RETURN_IF_ERROR(CheckText(f("segment"), deal.segment(), 100, true, true));
  if (deal.has_amount()) {
    const retro::v1::Money& amount = deal.amount();
    const std::string& code = amount.currency_code();
    if (code.size() != 3 || !absl::ascii_isupper(code[0]) || !absl::ascii_isupper(code[1]) ||
        !absl::ascii_isupper(code[2])) {
      return InvalidField(f("amount.currency_code"), "must be three upper-case letters (ISO 4217)");
    }
    if (amount.units() < 0 || amount.nanos() < 0 || amount.nanos() > 999999999) {
      return InvalidField(f("amount"), "must be a non-negative amount");
    }
  }
  if (!retro::v1::Outcome_IsValid(deal.outcome())) {
    return InvalidField(f("outcome"), "is not a known outcome");
  }
  if (!retro::v1::DealStage_IsValid(deal.stage_reached())) {
    return InvalidField(f("stage_reached"), "is not a known deal stage");
  }
  RETURN_IF_ERROR(CheckDate(f("close_date"), deal.close_date()));
  if (!deal.primary_reason().empty() && ReasonCodes().count(deal.primary_reason()) == 0) {
    return InvalidField(f("primary_reason"),
                        absl::StrCat("unknown reason code '", deal.primary_reason(), "'"));
  }
  if (deal.reasons_size() > 10) return InvalidField(f("reasons"), "at most 10 reasons");
  std::set<std::string> seen;
  for (int i = 0; i < deal.reasons_size(); ++i) {
    std::string field = absl::StrCat(prefix, ".reasons[", i, "]");
    if (ReasonCodes().count(deal.reasons(i)) == 0) {
      return InvalidField(field, absl::StrCat("unknown reason code '", deal.reasons(i), "'"));
    }
    if (!seen.insert(deal.reasons(i)).second) return InvalidField(field, "repeats a reason");
  }
  if (deal.cycle_days() < 0 || deal.cycle_days() > 3650) {
    return InvalidField(f("cycle_days"), "must be between 0 and 3650");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SessionController::CheckUserExists(const std::string& org_id, absl::string_view field,
                                                const std::string& user_id) {
  RETURN_IF_ERROR(CheckId(field, user_id));
  ASSIGN_OR_RETURN(auto user, directory_.GetUser(org_id, user_id));
  if (!user) return InvalidField(field, absl::StrCat("no user '", user_id, "'"));
  return absl::OkStatus();
}

absl::Status SessionController::CheckSessionFields(const Caller& caller,
                                                   const retro::v1::Session& session,
                                                   absl::string_view prefix, bool creating) {
  auto f = [&](absl::string_view name) { return absl::StrCat(prefix, ".", name); };
  RETURN_IF_ERROR(CheckText(f("title"), session.title(), kMaxTitleBytes, !creating, true));
  if (session.facilitators_size() > 20) return InvalidField(f("facilitators"), "at most 20");
  std::set<std::string> seen;
  for (int i = 0; i < session.facilitators_size(); ++i) {
    std::string field = absl::StrCat(prefix, ".facilitators[", i, "]");
    RETURN_IF_ERROR(CheckUserExists(caller.org_id, field, session.facilitators(i)));
    if (!seen.insert(session.facilitators(i)).second) {
      return InvalidField(field, "repeats a facilitator");
    }
  }
  if (!session.team_id().empty()) {
    RETURN_IF_ERROR(CheckId(f("team_id"), session.team_id()));
    ASSIGN_OR_RETURN(auto team, directory_.GetTeam(caller.org_id, session.team_id()));
    if (!team) return InvalidField(f("team_id"), absl::StrCat("no team '", session.team_id(), "'"));
  }
  if (!retro::v1::Visibility_IsValid(session.visibility())) {
    return InvalidField(f("visibility"), "is not a known visibility");
  }
  if (session.visibility() == retro::v1::TEAM && session.team_id().empty()) {
    return InvalidField(f("team_id"), "is required for a TEAM session");
  }
  if (session.has_deal()) RETURN_IF_ERROR(CheckDeal(f("deal"), session.deal()));
  std::set<int> stages;
  for (int i = 0; i < session.stage_notes_size(); ++i) {
    const retro::v1::StageNote& note = session.stage_notes(i);
    std::string field = absl::StrCat(prefix, ".stage_notes[", i, "]");
    if (!retro::v1::Stage_IsValid(note.stage()) || note.stage() == retro::v1::STAGE_UNSPECIFIED) {
      return InvalidField(field + ".stage", "is not a known stage");
    }
    if (!stages.insert(note.stage()).second) return InvalidField(field, "repeats a stage");
    RETURN_IF_ERROR(CheckText(field + ".text", note.text(), kMaxStageNoteBytes, true));
  }
  if (session.votes_per_participant() < 0 || session.votes_per_participant() > 100) {
    return InvalidField(f("votes_per_participant"), "must be between 0 and 100");
  }
  return absl::OkStatus();
}

}  // namespace retro::core
