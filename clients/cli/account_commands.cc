// login, logout, whoami and `retro admin ...`.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "clients/cli/commands.h"
#include "clients/cli/config.h"
#include "clients/cli/output.h"

namespace retro::cli {
namespace {

using retro::v1::Role;

absl::StatusOr<retro::v1::WhoAmIResponse> WhoAmI(Context& context) {
  retro::v1::WhoAmIResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().WhoAmI(ctx, retro::v1::WhoAmIRequest(), &response);
  });
  if (!status.ok()) return status;
  return response;
}

std::string Identity(const retro::v1::WhoAmIResponse& me) {
  if (me.root()) return "root (the server's operator)";
  return absl::StrCat(me.user().name(), " (",
                      EnumText(retro::v1::Role_descriptor(), me.user().role()),
                      ") in organization ", LastId(me.organization().name()));
}

absl::Status Login(Context& context) {
  const Args& args = context.args();
  Credentials credentials;
  credentials.server = args.Get("server");
  credentials.token = args.Get("token");
  if (credentials.token.empty() || credentials.token == "-") {
    // From standard input, so the token stays out of shell history.
    if (isatty(STDIN_FILENO)) context.err() << "token: " << std::flush;
    std::string line;
    std::getline(std::cin, line);
    credentials.token = std::string(absl::StripAsciiWhitespace(line));
  }
  if (credentials.server.empty()) return absl::InvalidArgumentError("--server is required");
  if (credentials.token.empty()) return absl::InvalidArgumentError("no token given");
  credentials.ca_file = args.Get("ca");
  credentials.tls = args.Has("tls");
  credentials.cert_file = args.Get("cert");
  credentials.key_file = args.Get("key");
  for (std::string* path : {&credentials.ca_file, &credentials.cert_file, &credentials.key_file}) {
    if (!path->empty() && path->front() != '/') {
      char cwd[4096];
      if (getcwd(cwd, sizeof cwd) != nullptr) *path = absl::StrCat(cwd, "/", *path);
    }
  }
  // Check the token before saving it.
  if (absl::Status status = context.ConnectWith(credentials); !status.ok()) return status;
  absl::StatusOr<retro::v1::WhoAmIResponse> me = WhoAmI(context);
  if (!me.ok()) return me.status();
  const std::string path = CredentialsPath();
  if (absl::Status status = SaveCredentialsFile(path, credentials); !status.ok()) return status;
  if (!context.PrintJson(*me)) {
    context.out() << "Logged in to " << credentials.server << " as " << Identity(*me) << ".\n"
                  << "Saved to " << path << " (mode 0600).\n";
  }
  return absl::OkStatus();
}

absl::Status Logout(Context& context) {
  const std::string path = CredentialsPath();
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat("cannot remove ", path));
  }
  context.out() << "Removed " << path << ".\n";
  return absl::OkStatus();
}

absl::Status ShowWhoAmI(Context& context) {
  absl::StatusOr<retro::v1::WhoAmIResponse> me = WhoAmI(context);
  if (!me.ok()) return me.status();
  if (context.PrintJson(*me)) return absl::OkStatus();
  context.out() << Identity(*me) << "\n";
  if (!me->root()) {
    context.out() << "  name:   " << me->user().display_name() << "\n"
                  << "  teams:  " << absl::StrJoin(me->user().team_ids(), ", ") << "\n"
                  << "  token:  " << me->token() << "\n";
  }
  return absl::OkStatus();
}

absl::Status CreateOrganization(Context& context) {
  const Args& args = context.args();
  retro::v1::CreateOrganizationRequest request;
  request.set_organization_id(args.positional(0));
  request.set_display_name(args.Get("display-name", args.positional(0)));
  request.set_admin_user_id(args.Get("admin-user", "admin"));
  request.set_admin_display_name(args.Get("admin-name", "Administrator"));
  request.set_request_id(args.Get("request-id"));
  retro::v1::CreateOrganizationResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().CreateOrganization(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  // The secret alone on stdout, so `TOKEN=$(retro admin org create ...)` works.
  context.err() << "created " << response.organization().name() << " with administrator "
                << response.admin_user().name()
                << "; its token follows (shown once: store it safely)\n";
  context.out() << response.admin_token() << "\n";
  return absl::OkStatus();
}

absl::Status CreateTeam(Context& context) {
  const Args& args = context.args();
  retro::v1::CreateTeamRequest request;
  request.set_team_id(args.positional(0));
  request.mutable_team()->set_display_name(args.Get("display-name", args.positional(0)));
  request.set_request_id(args.Get("request-id"));
  retro::v1::Team team;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().CreateTeam(ctx, request, &team);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(team))
    context.out() << "created " << team.name() << " (" << team.display_name() << ")\n";
  return absl::OkStatus();
}

absl::Status CreateUser(Context& context) {
  const Args& args = context.args();
  retro::v1::CreateUserRequest request;
  request.set_user_id(args.positional(0));
  retro::v1::User* user = request.mutable_user();
  user->set_display_name(args.Get("display-name", args.positional(0)));
  absl::StatusOr<int> role =
      ParseEnum(retro::v1::Role_descriptor(), "--role", args.Get("role", "member"));
  if (!role.ok()) return role.status();
  user->set_role(static_cast<Role>(*role));
  for (const std::string& team : args.GetAll("team")) user->add_team_ids(LastId(team));
  request.set_request_id(args.Get("request-id"));
  retro::v1::User created;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().CreateUser(ctx, request, &created);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(created)) {
    context.out() << "created " << created.name() << " ("
                  << EnumText(retro::v1::Role_descriptor(), created.role())
                  << ", teams: " << absl::StrJoin(created.team_ids(), ", ") << ")\n";
  }
  return absl::OkStatus();
}

absl::Status IssueToken(Context& context) {
  const Args& args = context.args();
  retro::v1::IssueTokenRequest request;
  request.set_user(FullName("users", args.positional(0)));
  request.set_display_name(args.Get("display-name", "retro CLI"));
  request.set_request_id(args.Get("request-id"));
  retro::v1::IssueTokenResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().IssueToken(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  context.err() << "issued " << response.token().name() << " for " << response.token().user()
                << "; the token follows (shown once: store it safely)\n";
  context.out() << response.secret() << "\n";
  return absl::OkStatus();
}

absl::Status RevokeToken(Context& context) {
  retro::v1::RevokeTokenRequest request;
  request.set_name(FullName("tokens", context.args().positional(0)));
  retro::v1::Token token;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->admin().RevokeToken(ctx, request, &token);
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(token))
    context.out() << "revoked " << token.name() << " of " << token.user() << "\n";
  return absl::OkStatus();
}

absl::Status Backup(Context& context) {
  absl::StatusOr<Connection*> connection = context.Connect();
  if (!connection.ok()) return connection.status();
  retro::v1::CreateBackupRequest request;
  request.set_directory(context.args().positional(0));
  retro::v1::CreateBackupResponse response;
  absl::Status status = WithSpinner(context, "backing up to " + request.directory(), [&] {
    // A large store takes a while: allow an hour unless --timeout says.
    std::unique_ptr<grpc::ClientContext> ctx = (*connection)->NewContext(false);
    absl::StatusOr<int64_t> seconds = context.args().GetInt("timeout", 3600, 1, 86400);
    if (!seconds.ok()) return seconds.status();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(*seconds));
    return FromGrpc((*connection)->admin().CreateBackup(ctx.get(), request, &response));
  });
  if (!status.ok()) return status;
  if (!context.PrintJson(response)) {
    context.out() << absl::StrFormat("backup written to %s on the server (%.1f MiB) at %s\n",
                                     response.directory(), response.size_bytes() / 1048576.0,
                                     TimeText(response.create_time()));
  }
  return absl::OkStatus();
}

}  // namespace

void AddAccountCommands(std::vector<Command>* commands) {
  const FlagSpec request_id{"request-id", "ID", "make a retry of this command safe to repeat"};
  commands->push_back({{"login",
                        "",
                        "check a server address and token, and save them",
                        "The token is read from standard input when --token is - or missing, so\n"
                        "it stays out of shell history. Saved to ~/.config/retro/credentials\n"
                        "(or $XDG_CONFIG_HOME/retro/credentials) with mode 0600.",
                        {},
                        0,
                        0},
                       Login});
  commands->push_back({{"logout", "", "remove the saved credentials", "", {}, 0, 0}, Logout});
  commands->push_back({{"whoami", "", "show who the token belongs to", "", {}, 0, 0}, ShowWhoAmI});
  commands->push_back({{"admin org create",
                        "ORG_ID",
                        "create an organization and its first administrator (root token)",
                        "Prints the administrator's token alone on stdout; details go to stderr.",
                        {{"display-name", "TEXT", "the organization's name as people read it"},
                         {"admin-user", "USER_ID", "the administrator's user id (default admin)"},
                         {"admin-name", "TEXT", "the administrator's display name"},
                         request_id},
                        1,
                        1},
                       CreateOrganization});
  commands->push_back({{"admin team create",
                        "TEAM_ID",
                        "create a team (administrators)",
                        "",
                        {{"display-name", "TEXT", "the team's name as people read it"}, request_id},
                        1,
                        1},
                       CreateTeam});
  commands->push_back({{"admin user create",
                        "USER_ID",
                        "create a user (administrators)",
                        "",
                        {{"display-name", "TEXT", "the user's name as teammates read it"},
                         {"role", "ROLE", "admin, enablement or member (default member)"},
                         {"team", "TEAM_ID", "a team the user belongs to", true},
                         request_id},
                        1,
                        1},
                       CreateUser});
  commands->push_back(
      {{"admin token issue",
        "USER",
        "issue a token for a user (administrators, or the user)",
        "Prints the token alone on stdout; it is shown once and stored only hashed.",
        {{"display-name", "TEXT", "what the token is for, e.g. \"laptop\""}, request_id},
        1,
        1},
       IssueToken});
  commands->push_back(
      {{"admin token revoke", "TOKEN", "revoke a token (tokens/ID or ID)", "", {}, 1, 1},
       RevokeToken});
  commands->push_back({{"admin backup",
                        "DIR",
                        "write an online backup of the whole store (root token)",
                        "DIR is a new directory on the server's machine. The server keeps serving\n"
                        "while the backup is written. See docs/operations.md for restoring.",
                        {},
                        1,
                        1},
                       Backup});
}

}  // namespace retro::cli
