// Online backup: a consistent copy of the data taken while serving, restored
// by starting the real retrod on it.
#include "gtest/gtest.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::Ctx;

TEST(BackupTest, ABackupTakenWhileServingRestoresEverythingUpToIt) {
  retro::testing::TestServer server;
  retro::testing::Org org = retro::testing::MakeOrg(server, "acme");
  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Backed-up loss review");
  retro::v1::Session session;
  ASSERT_TRUE(server.sessions().CreateSession(Ctx(org["rep"]).get(), create, &session).ok());
  retro::v1::StartSessionRequest start;
  start.set_name(session.name());
  ASSERT_TRUE(server.sessions().StartSession(Ctx(org["rep"]).get(), start, &session).ok());
  auto add = [&](const std::string& text) {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session.name());
    request.mutable_annotation()->set_kind(retro::v1::Annotation::LESSON);
    request.mutable_annotation()->set_text(text);
    retro::v1::Annotation out;
    return server.annotations().AddAnnotation(Ctx(org["mate"]).get(), request, &out);
  };
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(add("lesson " + std::to_string(i)).ok());

  retro::testing::TempDir backups;
  retro::v1::CreateBackupRequest backup;
  backup.set_directory(backups.Join("nightly"));
  retro::v1::CreateBackupResponse made;
  EXPECT_EQ(server.admin().CreateBackup(Ctx(org["admin"]).get(), backup, &made).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(server.admin().CreateBackup(Ctx(server.root_token()).get(), backup, &made).ok());
  EXPECT_GT(made.size_bytes(), 0u);
  EXPECT_EQ(server.admin().CreateBackup(Ctx(server.root_token()).get(), backup, &made).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  retro::v1::CreateBackupRequest relative;
  relative.set_directory("relative/dir");
  EXPECT_EQ(
      server.admin().CreateBackup(Ctx(server.root_token()).get(), relative, &made).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(add("after the backup").ok());

  // Restore: a fresh retrod on the backup directory.
  retro::testing::RetrodProcess restored(RETROD_PATH, backups.Join("nightly"),
                                         backups.Join("root_token"), backups.Join("retrod.log"));
  std::string error;
  ASSERT_TRUE(restored.Start(&error)) << error;
  auto channel = grpc::CreateChannel(restored.address(), grpc::InsecureChannelCredentials());
  auto annotations = retro::v1::AnnotationService::NewStub(channel);
  retro::v1::ListAnnotationsRequest list;
  list.set_parent(session.name());
  list.set_page_size(100);
  retro::v1::ListAnnotationsResponse listed;
  ASSERT_TRUE(annotations->ListAnnotations(Ctx(org["mate"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.annotations_size(), 20);  // Tokens, users and sessions came along.
  for (const auto& a : listed.annotations()) EXPECT_NE(a.text(), "after the backup");
  restored.Terminate();
}

}  // namespace
}  // namespace retro
