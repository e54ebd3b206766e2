// TLS and mutual TLS with throw-away certificates made by openssl, and the
// structured access log.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/testing/certificates.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

using retro::testing::Certificates;

grpc::Status WhoAmI(std::shared_ptr<grpc::Channel> channel, const std::string& token) {
  auto stub = retro::v1::AdminService::NewStub(channel);
  retro::v1::WhoAmIResponse response;
  auto context = retro::testing::Ctx(token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->WhoAmI(context.get(), {}, &response);
}

TEST(TlsTest, ServesOnlyTlsAndChecksClientCertificatesWhenAsked) {
  Certificates certs;
  ASSERT_TRUE(certs.ok()) << "openssl failed";
  server::ServerOptions options;
  options.tls_cert_file = certs.Path("server.pem");
  options.tls_key_file = certs.Path("server.key");
  retro::testing::TestServer server(options);
  std::string root = server.root_token();

  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = Read(certs.Path("ca.pem"));
  auto secure = grpc::CreateChannel(server.address(), grpc::SslCredentials(trust));
  EXPECT_TRUE(WhoAmI(secure, root).ok());
  auto plain = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(WhoAmI(plain, root).error_code(), grpc::StatusCode::UNAVAILABLE);

  // Mutual TLS: a client certificate signed by the CA is required.
  server::ServerOptions mutual = options;
  mutual.tls_client_ca_file = certs.Path("ca.pem");
  retro::testing::TestServer strict(mutual);
  auto no_cert = grpc::CreateChannel(strict.address(), grpc::SslCredentials(trust));
  EXPECT_NE(WhoAmI(no_cert, strict.root_token()).error_code(), grpc::StatusCode::OK);
  grpc::SslCredentialsOptions with_cert = trust;
  with_cert.pem_private_key = Read(certs.Path("client.key"));
  with_cert.pem_cert_chain = Read(certs.Path("client.pem"));
  auto client = grpc::CreateChannel(strict.address(), grpc::SslCredentials(with_cert));
  EXPECT_TRUE(WhoAmI(client, strict.root_token()).ok());
}

TEST(AccessLogTest, OneJsonLinePerCallWithRequestIdMethodStatusAndNoSecrets) {
  absl::Mutex mu;
  std::vector<std::string> lines;
  server::ServerOptions options;
  options.access_log = [&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  };
  retro::testing::TestServer server(options);
  std::string root = server.root_token();
  auto context = retro::testing::Ctx(root);
  context->AddMetadata("x-request-id", "req-42");
  retro::v1::WhoAmIResponse me;
  ASSERT_TRUE(server.admin().WhoAmI(context.get(), {}, &me).ok());
  retro::v1::GetSessionRequest get;
  get.set_name("sessions/nope");
  retro::v1::Session session;
  EXPECT_FALSE(server.sessions().GetSession(retro::testing::Ctx("bad").get(), get, &session).ok());
  // A stream logs its own end, once (no interceptor runs on its messages).
  {
    auto watch_context = retro::testing::Ctx("bad");
    retro::v1::WatchSessionRequest watch;
    watch.set_name("sessions/nope");
    auto stream = server.sessions().WatchSession(watch_context.get(), watch);
    retro::v1::SessionEvent event;
    EXPECT_FALSE(stream->Read(&event));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  server.Stop();  // Every call has finished and been logged.

  absl::MutexLock lock(&mu);
  ASSERT_GE(lines.size(), 2u);
  bool saw_who = false, saw_denied = false;
  int watch_lines = 0;
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find(root), std::string::npos) << "a token reached the log";
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    if (line.find("\"method\":\"/retro.v1.AdminService/WhoAmI\"") != std::string::npos) {
      saw_who = true;
      EXPECT_NE(line.find("\"request_id\":\"req-42\""), std::string::npos) << line;
      EXPECT_NE(line.find("\"status\":\"OK\""), std::string::npos) << line;
      EXPECT_NE(line.find("\"latency_ms\":"), std::string::npos) << line;
    }
    if (line.find("GetSession") != std::string::npos) {
      saw_denied = line.find("\"status\":\"UNAUTHENTICATED\"") != std::string::npos;
    }
    if (line.find("\"method\":\"/retro.v1.SessionService/WatchSession\"") != std::string::npos) {
      ++watch_lines;
      EXPECT_NE(line.find("\"status\":\"UNAUTHENTICATED\""), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(saw_who);
  EXPECT_TRUE(saw_denied);
  EXPECT_EQ(watch_lines, 1);
}

}  // namespace
}  // namespace retro
