// libFuzzer target: every unary RPC of the real server (in process, over
// loopback, on a real RocksDB) with fuzzed request bytes, as each role and
// as another organization. Whatever the bytes, the answer is a clear status
// (never UNKNOWN, INTERNAL or DATA_LOSS), and a refused request writes
// nothing: the live session's log does not move.
//
// Input: byte 0 picks the method, byte 1 the caller and which fields point
// at real resources, the rest is the serialized request.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing/test_server.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct Method {
  std::string path;  // "/retro.v1.SessionService/GetSession"
  const Descriptor* request;
  bool lifecycle;  // Moves a session's state: never aimed at the live one.
};

struct World {
  World() : server(), org(retro::testing::MakeOrg(server, "acme")) {
    other = retro::testing::MakeOrg(server, "globex");
    retro::v1::CreateSessionRequest create;
    create.mutable_session()->set_title("Loss review: Initech");
    create.mutable_session()->set_visibility(retro::v1::TEAM);
    create.mutable_session()->set_team_id("east");
    retro::v1::Session session;
    Check(server.sessions().CreateSession(retro::testing::Ctx(org["rep"]).get(), create, &session));
    retro::v1::StartSessionRequest start;
    start.set_name(session.name());
    Check(server.sessions().StartSession(retro::testing::Ctx(org["rep"]).get(), start, &session));
    live = session.name();
    retro::v1::AddAnnotationRequest add;
    add.set_parent(live);
    add.mutable_annotation()->set_kind(retro::v1::Annotation::LESSON);
    add.mutable_annotation()->set_text("Confirm the budget holder");
    retro::v1::Annotation note;
    Check(server.annotations().AddAnnotation(retro::testing::Ctx(org["rep"]).get(), add, &note));
    annotation = note.name();
    retro::v1::AddActionItemRequest item;
    item.set_parent(live);
    item.mutable_action_item()->set_text("Map the buying committee");
    item.mutable_action_item()->set_owner("mate");
    retro::v1::ActionItem out;
    Check(server.annotations().AddActionItem(retro::testing::Ctx(org["rep"]).get(), item, &out));
    action_item = out.name();
    stub = std::make_unique<grpc::GenericStub>(server.channel());
    for (const char* service : {"retro.v1.AdminService", "retro.v1.SessionService",
                                "retro.v1.AnnotationService", "retro.v1.LibraryService"}) {
      const auto* descriptor =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
      for (int i = 0; i < descriptor->method_count(); ++i) {
        const auto* method = descriptor->method(i);
        if (method->client_streaming() || method->server_streaming()) continue;
        const std::string name = method->name();
        methods.push_back(
            {"/" + std::string(service) + "/" + name, method->input_type(),
             name == "StartSession" || name == "EndSession" || name == "PublishSession"});
      }
    }
  }
  static void Check(const grpc::Status& status) {
    if (!status.ok()) {
      std::fprintf(stderr, "setup failed: %s\n", status.error_message().c_str());
      std::abort();
    }
  }
  uint64_t LiveSequence() {
    retro::v1::GetSessionRequest get;
    get.set_name(live);
    retro::v1::Session session;
    Check(server.sessions().GetSession(retro::testing::Ctx(org["rep"]).get(), get, &session));
    return session.last_sequence();
  }

  retro::testing::TestServer server;
  retro::testing::Org org;
  retro::testing::Org other;
  std::string live, annotation, action_item;
  std::unique_ptr<grpc::GenericStub> stub;
  std::vector<Method> methods;
};

World& world() {
  static World* w = new World();
  return *w;
}

// Points the request's name-like fields at real resources, so the fuzzer
// gets past "not found" into the rules.
void AimAt(Message& message, uint8_t flags, const World& w) {
  const auto* reflection = message.GetReflection();
  const Descriptor* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated()) continue;
    if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
        message.GetReflection()->HasField(message, field)) {
      AimAt(*reflection->MutableMessage(&message, field), flags, w);
      continue;
    }
    if (field->type() != FieldDescriptor::TYPE_STRING) continue;
    if (field->name() == "parent" || (field->name() == "name" && (flags & 2) == 0)) {
      reflection->SetString(&message, field, w.live);
    } else if (field->name() == "name" &&
               descriptor->name().find("ActionItem") != std::string::npos) {
      reflection->SetString(&message, field, w.action_item);
    } else if (field->name() == "name") {
      reflection->SetString(&message, field, w.annotation);
    }
  }
}

}  // namespace

// Corrupt strings make protobuf log a line each; the fuzzer's output is for
// its own progress.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& w = world();
  const Method& method = w.methods[data[0] % w.methods.size()];
  const uint8_t flags = data[1];
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.request)->New());
  if (!request->ParseFromArray(data + 2, static_cast<int>(size - 2))) return 0;
  if ((flags & 1) && !method.lifecycle) AimAt(*request, flags, w);
  static const char* const kUsers[] = {"rep", "mate", "other", "enable", "admin"};
  const std::string& token = (flags & 0x80) ? w.other["admin"] : w.org[kUsers[(flags >> 2) % 5]];

  const uint64_t before = w.LiveSequence();
  grpc::Slice slice(request->SerializeAsString());
  grpc::ByteBuffer request_bytes(&slice, 1);
  auto context = retro::testing::Ctx(token);
  grpc::ByteBuffer reply;
  std::promise<grpc::Status> done;
  w.stub->UnaryCall(context.get(), method.path, grpc::StubOptions(), &request_bytes, &reply,
                    [&](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNIMPLEMENTED:
      std::fprintf(stderr, "%s answered %d: %s\n", method.path.c_str(), status.error_code(),
                   status.error_message().c_str());
      std::abort();
    default:
      break;
  }
  if (!status.ok() && w.LiveSequence() != before) {
    std::fprintf(stderr, "%s was refused (%s) but the live session's log moved\n",
                 method.path.c_str(), status.error_message().c_str());
    std::abort();
  }
  return 0;
}
