// The state behind `retro live`: a session rebuilt from its event stream
// (session changes, annotations, action items, presence), and the rows the
// screen shows. No I/O and no locking: the live view guards it with its own
// mutex. Applying the same event twice is harmless, so a resumed stream may
// overlap what was seen.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "retro/v1/resources.pb.h"

namespace retro::cli {

class LiveModel {
 public:
  struct Row {
    enum Type { kStageHeader, kAnnotation, kGroupMember, kActionItem, kPlanHeader };
    Type type;
    retro::v1::Stage stage = retro::v1::STAGE_UNSPECIFIED;
    const retro::v1::Annotation* annotation = nullptr;   // kAnnotation, kGroupMember
    const retro::v1::ActionItem* action_item = nullptr;  // kActionItem
    int count = 0;                                       // headers: how many below
  };

  // Applies one event; events with sequence 0 (presence) do not move
  // last_sequence().
  void Apply(const retro::v1::SessionEvent& event);
  // Forget everything, for a stream that must start over.
  void Reset();

  const retro::v1::Session& session() const { return session_; }
  bool has_session() const { return !session_.name().empty(); }
  uint64_t last_sequence() const { return last_sequence_; }
  int watchers() const { return watchers_; }
  size_t annotation_count() const { return annotations_.size(); }
  const retro::v1::Annotation* Find(const std::string& name) const;

  // The screen's rows: a header per stage that has notes (the current stage
  // always), its annotations most-voted first with grouped duplicates under
  // their head, then the action plan. Pointers stay valid until the next
  // Apply or Reset.
  std::vector<Row> Rows() const;

 private:
  retro::v1::Session session_;
  std::map<std::string, retro::v1::Annotation> annotations_;  // by name
  std::map<std::string, retro::v1::ActionItem> action_items_;
  uint64_t last_sequence_ = 0;
  int watchers_ = 0;
};

}  // namespace retro::cli
