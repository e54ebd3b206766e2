// FreezingProxy: a loopback TCP proxy that can freeze, to play a client
// whose network vanished without closing anything (a laptop's Wi-Fi
// stalls): once frozen it forwards nothing in either direction and reads
// nothing, but keeps every socket open, so neither end sees a FIN or RST.
// Only keepalive can tell the server the client is gone.
//
// Thread-safe. One background thread moves the bytes.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace retro::testing {

class FreezingProxy {
 public:
  // Forwards connections made to address() to target ("host:port").
  explicit FreezingProxy(const std::string& target);
  ~FreezingProxy();

  FreezingProxy(const FreezingProxy&) = delete;
  FreezingProxy& operator=(const FreezingProxy&) = delete;

  // "127.0.0.1:port" to connect to; empty when the proxy could not start.
  const std::string& address() const { return address_; }
  void Freeze() { frozen_.store(true); }

 private:
  void Run();

  std::string target_host_;
  int target_port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // A pipe that ends Run.
  std::string address_;
  std::atomic<bool> frozen_{false};
  std::thread thread_;
};

}  // namespace retro::testing
