// ChildProcess: starts a real program (the gateway, the stand-in ShEP) for integration tests,
// waits for its "LISTENING <port>" line, captures stderr to a file, and always stops it by
// PID (SIGTERM, then SIGKILL after a grace period) — also when a test fails.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace shepgw::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] with argv; stderr goes to `stderr_path`. Waits (bounded) for a stdout
  // line "LISTENING <port>" when wait_for_port is true. Returns false with *error set.
  // `env` entries ("NAME=value") are added to the child's environment.
  bool Start(const std::vector<std::string>& argv, const std::string& stderr_path,
             bool wait_for_port, std::string* error,
             std::chrono::milliseconds timeout = std::chrono::seconds(20),
             const std::vector<std::string>& env = {});
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status (waitpid form) or -1.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Sends a signal without waiting.
  void Signal(int sig) const;
  // Waits for exit up to `timeout`; returns waitpid status or -1 on timeout.
  int WaitExit(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // The port from an "ADMIN <port>" line printed before LISTENING (0 if none).
  int admin_port() const { return admin_port_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  int admin_port_ = 0;
};

// Runs a command to completion (bounded), returning its exit code and combined output.
int RunCommand(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace shepgw::testing
