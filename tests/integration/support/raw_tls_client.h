// A raw TLS client (OpenSSL) for the tests where curl is too well-behaved: requests written
// byte-exactly (slow clients, pipelining, split writes, chunked bodies), answers read with
// their Content-Length, and "how long until the server closes". Every wait is bounded.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include <openssl/ssl.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shepgw::testing {

class RawTlsClient {
 public:
  // Connects the TCP socket only: Handshake() starts TLS (a test may also never start it).
  RawTlsClient(int port, const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawTlsClient() {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
    }
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  bool Handshake() {
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    return connected_ && SSL_connect(ssl_) == 1;
  }
  bool Write(const std::string& s) {
    return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
  }
  // The next complete answer (status line to the end of its body), or "" on close/timeout.
  std::string ReadResponse(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      const auto head_end = received_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        const auto cl = received_.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) {
          length = std::stoul(received_.substr(cl + 16));
        }
        if (received_.size() >= head_end + 4 + length) {
          std::string r = received_.substr(0, head_end + 4 + length);
          received_.erase(0, r.size());
          return r;
        }
      }
      if (!Fill(until)) {
        return "";
      }
    }
    return "";
  }
  // Waits up to `limit` for the server to close; returns how long it took, or limit + 1 s.
  // What arrives meanwhile is kept (received()).
  std::chrono::milliseconds TimeUntilClosed(std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (!Fill(start + limit)) {
        const auto now = std::chrono::steady_clock::now();
        if (now - start < limit) {
          return std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
        }
      }
    }
    return limit + std::chrono::seconds(1);
  }
  // Everything read and not yet returned by ReadResponse.
  const std::string& received() const { return received_; }

 private:
  // Reads more (TLS, or raw bytes before any handshake); false on close, error or when `until`
  // passes.
  bool Fill(std::chrono::steady_clock::time_point until) {
    while (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) > 0) {
        break;
      }
    }
    char chunk[16384];
    const int n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof(chunk))
                                  : static_cast<int>(read(fd_, chunk, sizeof(chunk)));
    if (n <= 0) {
      return false;
    }
    received_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

}  // namespace shepgw::testing
