#include "storage/kv_event_log.h"

#include <memory>

#include "gtest/gtest.h"
#include "storage/session_store.h"
#include "tests/testing/temp_dir.h"

namespace retro::storage {
namespace {

using retro::v1::SessionEvent;

SessionEvent AnnotationEvent(uint64_t sequence, const std::string& id) {
  SessionEvent event;
  event.set_sequence(sequence);
  event.mutable_annotation()->set_name("sessions/s1/annotations/" + id);
  event.mutable_annotation()->set_text("text of " + id);
  return event;
}

class RecordingFollower : public EventFollower {
 public:
  void OnAppended(const SessionRef&, const std::vector<SessionEvent>& events) override {
    for (const auto& e : events) sequences.push_back(e.sequence());
  }
  std::vector<uint64_t> sequences;
};

class KvEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    log_.reset();
    database_.reset();
    auto db = Database::Open({dir_.Join("db"), nullptr, nullptr});
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = std::move(*db);
    log_ = std::make_unique<KvEventLog>(*database_);
  }

  retro::testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<KvEventLog> log_;
  SessionRef ref_{"acme", "s1"};
};

TEST_F(KvEventLogTest, AppendsWithStateAndReadsBackInOrderAfterReopen) {
  RecordingFollower follower;
  log_->SetFollower(&follower);
  SessionWrites writes;
  writes.annotations.push_back(AnnotationEvent(1, "a1").annotation());
  ASSERT_TRUE(
      log_->Append(ref_, 0, {AnnotationEvent(1, "a1"), AnnotationEvent(2, "a2")}, writes).ok());
  ASSERT_TRUE(log_->Append(ref_, 2, {AnnotationEvent(3, "a3")}, {}).ok());
  EXPECT_EQ(follower.sequences, (std::vector<uint64_t>{1, 2, 3}));
  log_->SetFollower(nullptr);

  Reopen();
  auto last = log_->LastSequence(ref_);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
  auto events = log_->Read(ref_, 1, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].sequence(), 2u);
  EXPECT_EQ((*events)[1].annotation().text(), "text of a3");

  SessionStore store(*database_);
  auto annotation = store.GetAnnotation(ref_, "a1");
  ASSERT_TRUE(annotation.ok());
  ASSERT_TRUE(annotation->has_value());
  EXPECT_EQ((*annotation)->text(), "text of a1");
}

TEST_F(KvEventLogTest, RefusesAppendAtWrongSequenceAndWritesNothing) {
  ASSERT_TRUE(log_->Append(ref_, 0, {AnnotationEvent(1, "a1")}, {}).ok());
  SessionWrites writes;
  writes.annotations.push_back(AnnotationEvent(2, "a2").annotation());
  absl::Status status = log_->Append(ref_, 0, {AnnotationEvent(1, "a2")}, writes);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  SessionStore store(*database_);
  auto annotation = store.GetAnnotation(ref_, "a2");
  ASSERT_TRUE(annotation.ok());
  EXPECT_FALSE(annotation->has_value());
  EXPECT_EQ(*log_->LastSequence(ref_), 1u);
}

TEST_F(KvEventLogTest, SessionsDoNotSeeEachOthersEvents) {
  ASSERT_TRUE(log_->Append(ref_, 0, {AnnotationEvent(1, "a1")}, {}).ok());
  SessionRef other{"acme", "s10"};
  EXPECT_EQ(*log_->LastSequence(other), 0u);
  SessionRef other_org{"acme2", "s1"};
  EXPECT_TRUE(log_->Read(other_org, 0, 10)->empty());
  EXPECT_EQ(log_->Read(ref_, 0, 10)->size(), 1u);
}

}  // namespace
}  // namespace retro::storage
