#include "tests/testing/freezing_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace retro::testing {
namespace {

int ConnectTo(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

FreezingProxy::FreezingProxy(const std::string& target) {
  const size_t colon = target.rfind(':');
  target_host_ = target.substr(0, colon);
  target_port_ = std::stoi(target.substr(colon + 1));
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener_, 16) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      pipe(wake_) != 0) {
    return;
  }
  address_ = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  thread_ = std::thread([this] { Run(); });
}

FreezingProxy::~FreezingProxy() {
  if (thread_.joinable()) {
    char byte = 0;
    (void)!write(wake_[1], &byte, 1);
    thread_.join();
  }
  for (int fd : {listener_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void FreezingProxy::Run() {
  std::vector<std::pair<int, int>> links;  // (client side, server side)
  while (true) {
    const bool frozen = frozen_.load();
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    if (!frozen) {
      for (auto [a, b] : links) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
    }
    if (poll(fds.data(), fds.size(), 50) < 0) break;
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      int client = accept(listener_, nullptr, nullptr);
      int server = client >= 0 ? ConnectTo(target_host_, target_port_) : -1;
      if (server >= 0) {
        links.emplace_back(client, server);
      } else if (client >= 0) {
        close(client);
      }
    }
    if (frozen) continue;  // Hold everything, close nothing.
    std::vector<bool> dead(links.size(), false);
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto& link = links[(i - 2) / 2];
      const int from = fds[i].fd;
      const int to = from == link.first ? link.second : link.first;
      char buffer[16384];
      ssize_t n = read(from, buffer, sizeof(buffer));
      if (n <= 0) {  // One end closed: close the other.
        dead[(i - 2) / 2] = true;
        continue;
      }
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(to, buffer + done, n - done);
        if (w <= 0) break;
        done += w;
      }
    }
    for (size_t i = links.size(); i-- > 0;) {
      if (!dead[i]) continue;
      close(links[i].first);
      close(links[i].second);
      links.erase(links.begin() + i);
    }
  }
  for (auto [a, b] : links) {
    close(a);
    close(b);
  }
}

}  // namespace retro::testing
