// Authentication and isolation on every RPC: no token, malformed, revoked,
// root, another organization, a team session seen from outside the team.
#include <functional>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Session;

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acme_ = retro::testing::MakeOrg(server_, "acme");
    rival_ = retro::testing::MakeOrg(server_, "rival");
    // A TEAM session of acme's east team, live, with an annotation and an
    // action item.
    retro::v1::CreateSessionRequest create;
    create.mutable_session()->set_title("East team loss review");
    create.mutable_session()->set_team_id("east");
    create.mutable_session()->set_visibility(retro::v1::TEAM);
    EXPECT_TRUE(server_.sessions().CreateSession(Ctx(acme_["rep"]).get(), create, &session_).ok());
    retro::v1::StartSessionRequest start;
    start.set_name(session_.name());
    EXPECT_TRUE(server_.sessions().StartSession(Ctx(acme_["rep"]).get(), start, &session_).ok());
    retro::v1::AddAnnotationRequest add;
    add.set_parent(session_.name());
    add.mutable_annotation()->set_kind(Annotation::LESSON);
    add.mutable_annotation()->set_text("Confirm the budget holder in discovery");
    EXPECT_TRUE(
        server_.annotations().AddAnnotation(Ctx(acme_["mate"]).get(), add, &annotation_).ok());
    retro::v1::AddActionItemRequest item;
    item.set_parent(session_.name());
    item.mutable_action_item()->set_text("Do: ask who signs in the first call");
    item.mutable_action_item()->set_owner("mate");
    EXPECT_TRUE(server_.annotations().AddActionItem(Ctx(acme_["rep"]).get(), item, &item_).ok());
  }

  // Every session-scoped RPC, aimed at the east team's session.
  std::vector<std::pair<std::string, std::function<grpc::Status(const std::string&)>>> Calls() {
    auto& s = server_.sessions();
    auto& a = server_.annotations();
    std::string name = session_.name();
    std::vector<std::pair<std::string, std::function<grpc::Status(const std::string&)>>> calls;
    calls.emplace_back("GetSession", [&, name](const std::string& t) {
      retro::v1::GetSessionRequest r;
      r.set_name(name);
      Session out;
      return s.GetSession(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("UpdateSession", [&, name](const std::string& t) {
      retro::v1::UpdateSessionRequest r;
      r.mutable_session()->set_name(name);
      r.mutable_session()->set_title("x");
      r.mutable_update_mask()->add_paths("title");
      Session out;
      return s.UpdateSession(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("StartSession", [&, name](const std::string& t) {
      retro::v1::StartSessionRequest r;
      r.set_name(name);
      Session out;
      return s.StartSession(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("SetStage", [&, name](const std::string& t) {
      retro::v1::SetStageRequest r;
      r.set_name(name);
      r.set_stage(retro::v1::LESSONS);
      Session out;
      return s.SetStage(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("RevealStage", [&, name](const std::string& t) {
      retro::v1::RevealStageRequest r;
      r.set_name(name);
      Session out;
      return s.RevealStage(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("EndSession", [&, name](const std::string& t) {
      retro::v1::EndSessionRequest r;
      r.set_name(name);
      Session out;
      return s.EndSession(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("PublishSession", [&, name](const std::string& t) {
      retro::v1::PublishSessionRequest r;
      r.set_name(name);
      Session out;
      return s.PublishSession(Ctx(t).get(), r, &out);
    });
    for (auto [method, rpc] :
         {std::pair{"WatchSession", retro::testing::WatchRpc::kEvents},
          std::pair{"WatchSessionBatches", retro::testing::WatchRpc::kBatches}}) {
      calls.emplace_back(method, [&, name, rpc = rpc](const std::string& t) {
        retro::testing::Watcher w(rpc, server_.channel(), t, name, 0);
        w.WaitForEvents(1, absl::Seconds(5));
        if (!w.events().empty()) return grpc::Status::OK;
        w.WaitForEnd();
        return w.status();
      });
    }
    calls.emplace_back("AddAnnotation", [&, name](const std::string& t) {
      retro::v1::AddAnnotationRequest r;
      r.set_parent(name);
      r.mutable_annotation()->set_kind(Annotation::QUESTION);
      r.mutable_annotation()->set_text("Who knew?");
      Annotation out;
      return a.AddAnnotation(Ctx(t).get(), r, &out);
    });
    std::string annotation = annotation_.name();
    calls.emplace_back("EditAnnotation", [&, annotation](const std::string& t) {
      retro::v1::EditAnnotationRequest r;
      r.mutable_annotation()->set_name(annotation);
      r.mutable_annotation()->set_text("edited");
      r.mutable_update_mask()->add_paths("text");
      Annotation out;
      return a.EditAnnotation(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("VoteAnnotation", [&, annotation](const std::string& t) {
      retro::v1::VoteAnnotationRequest r;
      r.set_name(annotation);
      Annotation out;
      return a.VoteAnnotation(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("GroupAnnotations", [&, name, annotation](const std::string& t) {
      retro::v1::GroupAnnotationsRequest r;
      r.set_parent(name);
      r.set_group(annotation);
      r.add_annotations(name + "/annotations/zzz");
      retro::v1::GroupAnnotationsResponse out;
      return a.GroupAnnotations(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("ListAnnotations", [&, name](const std::string& t) {
      retro::v1::ListAnnotationsRequest r;
      r.set_parent(name);
      retro::v1::ListAnnotationsResponse out;
      return a.ListAnnotations(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("AddActionItem", [&, name](const std::string& t) {
      retro::v1::AddActionItemRequest r;
      r.set_parent(name);
      r.mutable_action_item()->set_text("Do: it");
      r.mutable_action_item()->set_owner("admin");
      retro::v1::ActionItem out;
      return a.AddActionItem(Ctx(t).get(), r, &out);
    });
    std::string item = item_.name();
    calls.emplace_back("UpdateActionItem", [&, item](const std::string& t) {
      retro::v1::UpdateActionItemRequest r;
      r.mutable_action_item()->set_name(item);
      r.mutable_action_item()->set_status(retro::v1::ActionItem::DONE);
      r.mutable_update_mask()->add_paths("status");
      retro::v1::ActionItem out;
      return a.UpdateActionItem(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("ListActionItems", [&, name](const std::string& t) {
      retro::v1::ListActionItemsRequest r;
      r.set_parent(name);
      retro::v1::ListActionItemsResponse out;
      return a.ListActionItems(Ctx(t).get(), r, &out);
    });
    calls.emplace_back("DeleteAnnotation", [&, annotation](const std::string& t) {
      retro::v1::DeleteAnnotationRequest r;
      r.set_name(annotation);
      Annotation out;
      return a.DeleteAnnotation(Ctx(t).get(), r, &out);
    });
    return calls;
  }

  retro::testing::TestServer server_;
  retro::testing::Org acme_;
  retro::testing::Org rival_;
  Session session_;
  // The secret of a token of mate's that was issued, then revoked.
  std::string RevokedToken() {
    retro::v1::IssueTokenRequest issue;
    retro::v1::IssueTokenResponse issued;
    EXPECT_TRUE(server_.admin().IssueToken(Ctx(acme_["mate"]).get(), issue, &issued).ok());
    retro::v1::RevokeTokenRequest revoke;
    revoke.set_name(issued.token().name());
    retro::v1::Token token;
    EXPECT_TRUE(server_.admin().RevokeToken(Ctx(acme_["mate"]).get(), revoke, &token).ok());
    EXPECT_TRUE(token.revoked());
    return issued.secret();
  }

  Annotation annotation_;
  retro::v1::ActionItem item_;
};

TEST_F(AccessTest, EverySessionRpcRefusesBadTokensOutsidersAndRoot) {
  const std::string revoked = RevokedToken();

  const std::string& valid = acme_["rep"];
  std::string tampered = valid;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  struct Who {
    std::string label;
    std::string token;
    grpc::StatusCode code;
  };
  std::vector<Who> outsiders = {
      {"no token", "", grpc::StatusCode::UNAUTHENTICATED},
      {"malformed token", "not-a-token", grpc::StatusCode::UNAUTHENTICATED},
      {"tampered secret", tampered, grpc::StatusCode::UNAUTHENTICATED},
      {"revoked token", revoked, grpc::StatusCode::UNAUTHENTICATED},
      {"root token", server_.root_token(), grpc::StatusCode::PERMISSION_DENIED},
      {"another organization's admin", rival_["admin"], grpc::StatusCode::NOT_FOUND},
      {"another organization's member", rival_["rep"], grpc::StatusCode::NOT_FOUND},
      {"same organization, other team", acme_["other"], grpc::StatusCode::NOT_FOUND},
  };
  for (const auto& [rpc, call] : Calls()) {
    for (const Who& who : outsiders) {
      grpc::Status status = call(who.token);
      EXPECT_EQ(status.error_code(), who.code)
          << rpc << " by " << who.label << ": " << status.error_message();
      // NOT_FOUND never hints that the session exists.
      if (who.code == grpc::StatusCode::NOT_FOUND) {
        EXPECT_EQ(status.error_message().find("East team"), std::string::npos);
      }
    }
  }
  // Nothing an outsider did changed the session.
  retro::v1::GetSessionRequest get;
  get.set_name(session_.name());
  Session now;
  ASSERT_TRUE(server_.sessions().GetSession(Ctx(acme_["enable"]).get(), get, &now).ok());
  EXPECT_EQ(now.last_sequence(), session_.last_sequence() + 2);  // Annotation and item only.
  EXPECT_EQ(now.title(), "East team loss review");
}

// Every RPC of every service, unary or streaming, found from the service
// descriptors (so a new RPC is covered the day it is added): a missing,
// malformed, tampered or revoked token is UNAUTHENTICATED before anything
// else is looked at.
TEST_F(AccessTest, EveryRpcOfEveryServiceRefusesBadTokens) {
  const std::string revoked = RevokedToken();
  std::string tampered = acme_["admin"];
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const std::vector<std::pair<std::string, std::string>> bad = {{"no token", ""},
                                                                {"malformed token", "not-a-token"},
                                                                {"tampered secret", tampered},
                                                                {"revoked token", revoked}};

  grpc::GenericStub stub(server_.channel());
  int methods = 0;
  for (const char* service : {"retro.v1.AdminService", "retro.v1.SessionService",
                              "retro.v1.AnnotationService", "retro.v1.LibraryService"}) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int m = 0; m < descriptor->method_count(); ++m) {
      const std::string path = absl::StrCat("/", service, "/", descriptor->method(m)->name());
      ++methods;
      for (const auto& [label, secret] : bad) {
        auto context = Ctx(secret);
        // The request is an empty message: every field unset.
        grpc::Status status;
        if (descriptor->method(m)->server_streaming()) {
          grpc::CompletionQueue queue;
          auto call = stub.PrepareCall(context.get(), path, &queue);
          void* tag;
          bool ok;
          call->StartCall(reinterpret_cast<void*>(1));
          queue.Next(&tag, &ok);
          grpc::Slice empty("");
          grpc::ByteBuffer message(&empty, 1);
          call->WriteLast(message, grpc::WriteOptions(), reinterpret_cast<void*>(2));
          queue.Next(&tag, &ok);
          grpc::ByteBuffer reply;
          call->Read(&reply, reinterpret_cast<void*>(3));
          queue.Next(&tag, &ok);
          call->Finish(&status, reinterpret_cast<void*>(4));
          queue.Next(&tag, &ok);
          queue.Shutdown();
          while (queue.Next(&tag, &ok)) {
          }
        } else {
          grpc::Slice empty("");
          grpc::ByteBuffer message(&empty, 1);
          grpc::ByteBuffer reply;
          std::promise<grpc::Status> done;
          stub.UnaryCall(context.get(), path, grpc::StubOptions(), &message, &reply,
                         [&](grpc::Status s) { done.set_value(std::move(s)); });
          status = done.get_future().get();
        }
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << path << " with " << label << ": " << status.error_message();
      }
    }
  }
  EXPECT_GE(methods, 33);
}

TEST_F(AccessTest, TeamSessionsAreListedOnlyToThoseWhoMaySeeThem) {
  auto count = [&](const std::string& token) {
    retro::v1::ListSessionsResponse out;
    EXPECT_TRUE(server_.sessions()
                    .ListSessions(Ctx(token).get(), retro::v1::ListSessionsRequest(), &out)
                    .ok());
    return out.sessions_size();
  };
  EXPECT_EQ(count(acme_["rep"]), 1);
  EXPECT_EQ(count(acme_["mate"]), 1);
  EXPECT_EQ(count(acme_["admin"]), 1);
  EXPECT_EQ(count(acme_["enable"]), 1);
  EXPECT_EQ(count(acme_["other"]), 0);
  EXPECT_EQ(count(rival_["admin"]), 0);
}

TEST_F(AccessTest, AdminRulesAndTokenLifecycle) {
  // Only root creates organizations, once per id.
  retro::v1::CreateOrganizationRequest org;
  org.set_organization_id("initech");
  org.set_admin_user_id("boss");
  retro::v1::CreateOrganizationResponse created;
  EXPECT_EQ(
      server_.admin().CreateOrganization(Ctx(acme_["admin"]).get(), org, &created).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      server_.admin().CreateOrganization(Ctx(server_.root_token()).get(), org, &created).ok());
  EXPECT_EQ(server_.admin()
                .CreateOrganization(Ctx(server_.root_token()).get(), org, &created)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // Only admins create teams and users.
  retro::v1::CreateTeamRequest team;
  team.set_team_id("north");
  retro::v1::Team made;
  EXPECT_EQ(server_.admin().CreateTeam(Ctx(acme_["rep"]).get(), team, &made).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  retro::v1::CreateUserRequest user;
  user.set_user_id("newbie");
  user.mutable_user()->set_role(retro::v1::MEMBER);
  user.mutable_user()->add_team_ids("no-such-team");
  retro::v1::User out;
  grpc::Status status = server_.admin().CreateUser(Ctx(acme_["admin"]).get(), user, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(retro::testing::BadRequestField(status), "user.team_ids[0]");
  // Members issue tokens only for themselves; nobody revokes another org's.
  retro::v1::IssueTokenRequest issue;
  issue.set_user("users/mate");
  retro::v1::IssueTokenResponse issued;
  EXPECT_EQ(server_.admin().IssueToken(Ctx(acme_["rep"]).get(), issue, &issued).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(server_.admin().IssueToken(Ctx(acme_["admin"]).get(), issue, &issued).ok());
  retro::v1::RevokeTokenRequest revoke;
  revoke.set_name(issued.token().name());
  retro::v1::Token token;
  EXPECT_EQ(server_.admin().RevokeToken(Ctx(rival_["admin"]).get(), revoke, &token).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server_.admin().RevokeToken(Ctx(acme_["rep"]).get(), revoke, &token).error_code(),
            grpc::StatusCode::NOT_FOUND);
  retro::v1::WhoAmIResponse me;
  ASSERT_TRUE(server_.admin().WhoAmI(Ctx(issued.secret()).get(), {}, &me).ok());
  EXPECT_EQ(me.user().name(), "users/mate");
  EXPECT_EQ(me.organization().name(), "organizations/acme");
  ASSERT_TRUE(server_.admin().RevokeToken(Ctx(acme_["mate"]).get(), revoke, &token).ok());
  EXPECT_EQ(server_.admin().WhoAmI(Ctx(issued.secret()).get(), {}, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace retro

namespace retro {
namespace {

TEST(ServerInfrastructureTest, HealthIsServedWithoutToken) {
  retro::testing::TestServer server;
  auto channel = server.NewChannel();
  grpc::GenericStub generic(channel);
  // grpc.health.v1.HealthCheckRequest{} is empty on the wire.
  grpc::ByteBuffer request;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", {}, &request, &response,
                    [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

}  // namespace
}  // namespace retro
