#include "clients/cli/live_model.h"

#include <algorithm>

namespace retro::cli {

void LiveModel::Apply(const retro::v1::SessionEvent& event) {
  switch (event.change_case()) {
    case retro::v1::SessionEvent::kSession:
      session_ = event.session();
      break;
    case retro::v1::SessionEvent::kAnnotation:
      if (event.annotation().deleted())
        annotations_.erase(event.annotation().name());
      else
        annotations_[event.annotation().name()] = event.annotation();
      break;
    case retro::v1::SessionEvent::kActionItem:
      action_items_[event.action_item().name()] = event.action_item();
      break;
    case retro::v1::SessionEvent::kPresence:
      watchers_ = event.presence().watchers();
      break;
    case retro::v1::SessionEvent::CHANGE_NOT_SET:
      break;
  }
  last_sequence_ = std::max(last_sequence_, event.sequence());
}

void LiveModel::Reset() { *this = LiveModel(); }

const retro::v1::Annotation* LiveModel::Find(const std::string& name) const {
  auto it = annotations_.find(name);
  return it == annotations_.end() ? nullptr : &it->second;
}

std::vector<LiveModel::Row> LiveModel::Rows() const {
  std::map<int, std::vector<const retro::v1::Annotation*>> heads;
  std::map<std::string, std::vector<const retro::v1::Annotation*>> members;
  for (const auto& [name, annotation] : annotations_) {
    const bool grouped = !annotation.group().empty() && annotation.group() != name &&
                         annotations_.count(annotation.group()) > 0;
    if (grouped)
      members[annotation.group()].push_back(&annotation);
    else
      heads[annotation.stage()].push_back(&annotation);
  }
  if (session_.stage() != retro::v1::STAGE_UNSPECIFIED) heads[session_.stage()];
  auto by_votes = [](const retro::v1::Annotation* a, const retro::v1::Annotation* b) {
    if (a->vote_count() != b->vote_count()) return a->vote_count() > b->vote_count();
    if (a->create_time().seconds() != b->create_time().seconds()) {
      return a->create_time().seconds() < b->create_time().seconds();
    }
    if (a->create_time().nanos() != b->create_time().nanos()) {
      return a->create_time().nanos() < b->create_time().nanos();
    }
    return a->name() < b->name();
  };
  std::vector<Row> rows;
  for (auto& [stage, list] : heads) {
    std::sort(list.begin(), list.end(), by_votes);
    Row header{Row::kStageHeader};
    header.stage = static_cast<retro::v1::Stage>(stage);
    header.count = static_cast<int>(list.size());
    rows.push_back(header);
    for (const retro::v1::Annotation* head : list) {
      Row row{Row::kAnnotation};
      row.stage = header.stage;
      row.annotation = head;
      rows.push_back(row);
      auto it = members.find(head->name());
      if (it == members.end()) continue;
      std::sort(it->second.begin(), it->second.end(), by_votes);
      for (const retro::v1::Annotation* member : it->second) {
        Row member_row{Row::kGroupMember};
        member_row.stage = header.stage;
        member_row.annotation = member;
        rows.push_back(member_row);
      }
    }
  }
  if (!action_items_.empty()) {
    Row header{Row::kPlanHeader};
    header.count = static_cast<int>(action_items_.size());
    rows.push_back(header);
    for (const auto& [name, item] : action_items_) {
      Row row{Row::kActionItem};
      row.action_item = &item;
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace retro::cli
