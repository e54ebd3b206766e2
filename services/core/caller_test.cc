#include "services/core/caller.h"

#include "gtest/gtest.h"

namespace retro::core {
namespace {

using retro::v1::Annotation;
using retro::v1::Session;

Caller Member(const std::string& id, std::vector<std::string> teams) {
  Caller caller;
  caller.org_id = "acme";
  caller.user_id = id;
  caller.role = retro::v1::MEMBER;
  caller.team_ids = std::move(teams);
  return caller;
}

TEST(CallerTest, TeamSessionsAreSeenByTeamDriversAndPrivilegedRoles) {
  Session session;
  session.set_visibility(retro::v1::TEAM);
  session.set_team_id("east");
  session.set_presenter("pat");
  session.add_facilitators("fay");
  EXPECT_TRUE(CanSee(Member("eve", {"east"}), session));
  EXPECT_FALSE(CanSee(Member("wes", {"west"}), session));
  EXPECT_TRUE(CanSee(Member("pat", {}), session));
  EXPECT_TRUE(CanSee(Member("fay", {}), session));
  Caller enablement = Member("ena", {});
  enablement.role = retro::v1::ENABLEMENT;
  EXPECT_TRUE(CanSee(enablement, session));
  Caller admin = Member("adm", {});
  admin.role = retro::v1::ADMIN;
  EXPECT_TRUE(CanSee(admin, session));
  Caller root;
  root.root = true;
  EXPECT_FALSE(CanSee(root, session));
  session.set_visibility(retro::v1::ORGANIZATION);
  EXPECT_TRUE(CanSee(Member("wes", {"west"}), session));
}

TEST(CallerTest, OnlyPresenterAndFacilitatorsDrive) {
  Session session;
  session.set_presenter("pat");
  session.add_facilitators("fay");
  EXPECT_TRUE(CanDrive(Member("pat", {}), session));
  EXPECT_TRUE(CanDrive(Member("fay", {}), session));
  Caller admin = Member("adm", {});
  admin.role = retro::v1::ADMIN;
  EXPECT_FALSE(CanDrive(admin, session));
  EXPECT_FALSE(CanDrive(Member("", {}), session));
}

TEST(CallerTest, AnonymousAndHiddenAnnotationsInViewsAndEvents) {
  Annotation annotation;
  annotation.set_author("ann");
  annotation.set_anonymous(true);
  annotation.set_revealed(false);
  annotation.set_text("we discounted too early");
  EXPECT_TRUE(VisibleTo(annotation, "ann"));
  EXPECT_FALSE(VisibleTo(annotation, "bob"));
  EXPECT_FALSE(VisibleTo(annotation, ""));
  annotation.set_revealed(true);
  EXPECT_TRUE(VisibleTo(annotation, "bob"));
  EXPECT_EQ(ViewOf(annotation, "ann").author(), "ann");
  EXPECT_EQ(ViewOf(annotation, "bob").author(), "");

  retro::v1::SessionEvent event;
  event.set_sequence(7);
  *event.mutable_annotation() = annotation;
  retro::v1::SessionEvent view;
  ASSERT_TRUE(ViewEvent(event, "bob", &view));
  EXPECT_EQ(view.annotation().author(), "");
  EXPECT_EQ(view.sequence(), 7u);
  event.mutable_annotation()->set_revealed(false);
  EXPECT_FALSE(ViewEvent(event, "bob", &view));
  ASSERT_TRUE(ViewEvent(event, "ann", &view));
  EXPECT_EQ(view.annotation().author(), "ann");
}

}  // namespace
}  // namespace retro::core
