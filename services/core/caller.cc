#include "services/core/caller.h"

#include <algorithm>

namespace retro::core {

bool Caller::InTeam(const std::string& team_id) const {
  return std::find(team_ids.begin(), team_ids.end(), team_id) != team_ids.end();
}

bool CanSee(const Caller& caller, const retro::v1::Session& session) {
  if (caller.root || caller.org_id.empty()) return false;
  if (session.visibility() != retro::v1::TEAM) return true;
  return caller.privileged() || CanDrive(caller, session) || caller.InTeam(session.team_id());
}

bool CanDrive(const Caller& caller, const retro::v1::Session& session) {
  if (caller.user_id.empty()) return false;
  if (session.presenter() == caller.user_id) return true;
  const auto& f = session.facilitators();
  return std::find(f.begin(), f.end(), caller.user_id) != f.end();
}

bool VisibleTo(const retro::v1::Annotation& annotation, const std::string& viewer_id) {
  return annotation.revealed() || (!viewer_id.empty() && annotation.author() == viewer_id);
}

retro::v1::Annotation ViewOf(const retro::v1::Annotation& annotation,
                             const std::string& viewer_id) {
  retro::v1::Annotation view = annotation;
  if (annotation.anonymous() && annotation.author() != viewer_id) view.clear_author();
  return view;
}

bool ViewEvent(const retro::v1::SessionEvent& event, const std::string& viewer_id,
               retro::v1::SessionEvent* view) {
  if (event.has_annotation()) {
    if (!VisibleTo(event.annotation(), viewer_id)) return false;
    *view = event;
    if (event.annotation().anonymous() && event.annotation().author() != viewer_id) {
      view->mutable_annotation()->clear_author();
    }
    return true;
  }
  *view = event;
  return true;
}

}  // namespace retro::core
