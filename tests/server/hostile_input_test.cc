// Hostile input: invalid UTF-8, NUL bytes, 4 MiB messages, huge repeated
// fields, deeply nested and garbage bytes, out-of-range enums. Each gets a
// clear INVALID_ARGUMENT naming the problem (or the transport's own limit),
// and nothing is stored.
#include <future>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::BadRequestField;
using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Session;

class HostileInputTest : public ::testing::Test {
 protected:
  HostileInputTest() {
    org_ = retro::testing::MakeOrg(server_, "acme");
    session_ = retro::testing::StartLiveSession(server_, org_["rep"], "Loss review: Initech");
  }

  // What is stored: the live session's last sequence and the session count.
  std::pair<uint64_t, int> Stored() {
    retro::v1::GetSessionRequest get;
    get.set_name(session_.name());
    Session now;
    EXPECT_TRUE(server_.sessions().GetSession(Ctx(org_["rep"]).get(), get, &now).ok());
    retro::v1::ListSessionsRequest list;
    retro::v1::ListSessionsResponse sessions;
    EXPECT_TRUE(server_.sessions().ListSessions(Ctx(org_["admin"]).get(), list, &sessions).ok());
    return {now.last_sequence(), sessions.sessions_size()};
  }

  grpc::Status Add(const Annotation& annotation) {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session_.name());
    *request.mutable_annotation() = annotation;
    Annotation out;
    return server_.annotations().AddAnnotation(Ctx(org_["rep"]).get(), request, &out);
  }
  static Annotation Note(const std::string& text) {
    Annotation annotation;
    annotation.set_kind(Annotation::LESSON);
    annotation.set_text(text);
    return annotation;
  }

  // Sends raw bytes as the request of a method.
  grpc::Status Raw(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(server_.channel());
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer reply;
    auto context = Ctx(org_["rep"]);
    std::promise<grpc::Status> done;
    stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &reply,
                   [&](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
  Session session_;
};

TEST_F(HostileInputTest, BadTextIsRefusedNamingTheField) {
  const auto before = Stored();
  struct Case {
    std::string text;
    const char* why;
  };
  // Not UTF-8: protobuf refuses the bytes before any handler runs; the
  // answer still names the request.
  for (const Case& c : {Case{"bad \xff\xfe utf-8", "invalid UTF-8"},
                        Case{"overlong \xc0\xaf slash", "overlong encoding"},
                        Case{"surrogate \xed\xa0\x80 half", "UTF-16 surrogate"}}) {
    grpc::Status status = Add(Note(c.text));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.why;
    EXPECT_NE(status.error_message().find("not a valid retro.v1.AddAnnotationRequest"),
              std::string::npos)
        << status.error_message();
    EXPECT_NE(status.error_message().find("UTF-8"), std::string::npos) << status.error_message();
  }
  for (const Case& c : {Case{std::string("nul \0 byte", 10), "NUL byte"},
                        Case{"bell \x07 rings", "control character"},
                        Case{std::string(3 << 20, 'x'), "3 MiB of text"}}) {
    grpc::Status status = Add(Note(c.text));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.why;
    EXPECT_EQ(BadRequestField(status), "annotation.text") << c.why;
  }
  EXPECT_EQ(Stored(), before);
}

TEST_F(HostileInputTest, AMessageOverTheTransportLimitIsRefusedBeforeItIsRead) {
  const auto before = Stored();
  grpc::Status status = Add(Note(std::string(5 << 20, 'x')));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(Stored(), before);
}

TEST_F(HostileInputTest, HugeRepeatedFieldsAreRefused) {
  const auto before = Stored();
  Annotation tagged = Note("Confirm the budget holder");
  for (int i = 0; i < 100000; ++i) tagged.add_tags("t" + std::to_string(i));
  grpc::Status status = Add(tagged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "annotation.tags");

  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Loss review: Hooli");
  for (int i = 0; i < 100000; ++i) create.mutable_session()->add_facilitators("mate");
  Session out;
  status = server_.sessions().CreateSession(Ctx(org_["rep"]).get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "session.facilitators");

  retro::v1::CreateSessionRequest reasons;
  reasons.mutable_session()->set_title("Loss review: Hooli");
  for (int i = 0; i < 100000; ++i) reasons.mutable_session()->mutable_deal()->add_reasons("price");
  status = server_.sessions().CreateSession(Ctx(org_["rep"]).get(), reasons, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "session.deal.reasons");
  EXPECT_EQ(Stored(), before);
}

TEST_F(HostileInputTest, OutOfRangeEnumsAreRefusedNamingTheField) {
  const auto before = Stored();
  Annotation kind = Note("Confirm the budget holder");
  kind.set_kind(static_cast<Annotation::Kind>(99));
  grpc::Status status = Add(kind);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "annotation.kind");

  Annotation stage = Note("Confirm the budget holder");
  stage.set_stage(static_cast<retro::v1::Stage>(-7));
  status = Add(stage);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "annotation.stage");

  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Loss review: Hooli");
  create.mutable_session()->mutable_deal()->set_outcome(static_cast<retro::v1::Outcome>(42));
  Session out;
  status = server_.sessions().CreateSession(Ctx(org_["rep"]).get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "session.deal.outcome");

  create.mutable_session()->mutable_deal()->set_outcome(retro::v1::LOST);
  create.mutable_session()->set_visibility(static_cast<retro::v1::Visibility>(1000));
  status = server_.sessions().CreateSession(Ctx(org_["rep"]).get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "session.visibility");

  retro::v1::CreateUserRequest user;
  user.set_user_id("mallory");
  user.mutable_user()->set_role(static_cast<retro::v1::Role>(9));
  retro::v1::User created;
  status = server_.admin().CreateUser(Ctx(org_["admin"]).get(), user, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "user.role");
  EXPECT_EQ(Stored(), before);
}

TEST_F(HostileInputTest, BytesThatAreNotTheRequestAreInvalidArgument) {
  const auto before = Stored();
  const std::string method = "/retro.v1.AnnotationService/AddAnnotation";
  // An unknown field nested 10,000 groups deep: past protobuf's recursion
  // limit.
  std::string nested;
  for (int i = 0; i < 10000; ++i) nested += '\x7b';  // Field 15, start group.
  grpc::Status status = Raw(method, nested);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("retro.v1.AddAnnotationRequest"), std::string::npos)
      << status.error_message();
  // A length that runs past the end, and a wire type that does not exist.
  for (const std::string& garbage :
       {std::string("\x0a\xff\xff\xff\x0f", 5), std::string("\x0f\x01", 2)}) {
    status = Raw(method, garbage);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  EXPECT_EQ(Stored(), before);
}

}  // namespace
}  // namespace retro
