// A tiny HTTP/1.1 server on a loopback port for unit tests of the upstream side (connector,
// pipeline): one thread, one connection at a time; it reads one request (headers, then
// Content-Length bytes), records it, then answers per `Mode` and closes. Bounded: the thread
// ends after 60 s or when the server is destroyed; a silent peer is waited for at most 5 s.
#pragma once

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::testing {

class LoopbackHttpServer {
 public:
  // kAnswer: 200 with `answer`; kCloseAfterRequest: close without answering; kSilent: hold
  // the connection ~2 s without answering.
  enum class Mode { kAnswer, kCloseAfterRequest, kSilent };
  explicit LoopbackHttpServer(Mode mode, std::string answer = {})
      : mode_(mode), answer_(std::move(answer)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/bip-sync/"; }
  int requests() const { return requests_.load(); }
  // The last request as read: headers, blank line, body.
  std::string last_request() const {
    std::lock_guard lock(mu_);
    return last_request_;
  }
  std::string headers() const {
    const std::string r = last_request();
    return r.substr(0, r.find("\r\n\r\n"));
  }
  std::string body() const {
    const std::string r = last_request();
    const size_t end = r.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : r.substr(end + 4);
  }

 private:
  void Loop() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) {
        continue;
      }
      const int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) {
        Serve(c);
        close(c);
      }
    }
  }

  // Reads until the headers and Content-Length bytes of body are in (or the peer stops).
  static bool ReadRequest(int c, std::string* in) {
    size_t header_end = std::string::npos;
    size_t need = 0;
    char buf[65536];
    for (;;) {
      if (header_end == std::string::npos) {
        header_end = in->find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string lower = in->substr(0, header_end);
          for (char& ch : lower) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          }
          const size_t cl = lower.find("content-length:");
          need = cl == std::string::npos ? 0 : std::strtoull(lower.c_str() + cl + 15, nullptr, 10);
        }
      }
      if (header_end != std::string::npos && in->size() >= header_end + 4 + need) {
        return true;
      }
      pollfd cp{c, POLLIN, 0};
      if (poll(&cp, 1, 5000) <= 0) {
        return false;
      }
      const ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) {
        return false;
      }
      in->append(buf, static_cast<size_t>(n));
    }
  }

  void Serve(int c) {
    std::string request;
    const bool complete = ReadRequest(c, &request);
    {
      std::lock_guard lock(mu_);
      last_request_ = request;
    }
    ++requests_;
    if (mode_ == Mode::kAnswer && complete) {
      const std::string resp =
          "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
          std::to_string(answer_.size()) + "\r\nConnection: close\r\n\r\n" + answer_;
      (void)!write(c, resp.data(), resp.size());
    } else if (mode_ == Mode::kSilent) {
      for (int i = 0; i < 40 && !stop_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  Mode mode_;
  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string last_request_;
  std::thread thread_;
};

}  // namespace shepgw::testing
