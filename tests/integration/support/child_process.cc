#include "child_process.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shepgw::testing {

namespace {
std::vector<char*> MakeArgv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    out.push_back(const_cast<char*>(a.c_str()));
  }
  out.push_back(nullptr);
  return out;
}
}  // namespace

bool ChildProcess::Start(const std::vector<std::string>& argv, const std::string& stderr_path,
                         bool wait_for_port, std::string* error, std::chrono::milliseconds timeout,
                         const std::vector<std::string>& env) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  auto args = MakeArgv(argv);
  const pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    const int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err_fd >= 0) {
      dup2(err_fd, STDERR_FILENO);
    }
    for (const auto& e : env) {
      putenv(const_cast<char*>(e.c_str()));
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  pid_ = pid;
  stdout_fd_ = out_pipe[0];
  if (!wait_for_port) {
    return true;
  }
  std::string buffer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char chunk[256];
      const ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
      if (n <= 0) {
        WaitExit(std::chrono::seconds(2));
        *error = argv[0] + " closed its stdout before listening; stderr: " + ReadFile(stderr_path);
        Stop();
        return false;
      }
      buffer.append(chunk, static_cast<size_t>(n));
      const auto pos = buffer.find("LISTENING ");
      if (pos != std::string::npos && buffer.find('\n', pos) != std::string::npos) {
        port_ = std::atoi(buffer.c_str() + pos + 10);
        if (const auto admin = buffer.find("ADMIN "); admin != std::string::npos) {
          admin_port_ = std::atoi(buffer.c_str() + admin + 6);
        }
        return true;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = argv[0] + " exited before listening; stderr: " + ReadFile(stderr_path);
      return false;
    }
  }
  *error = argv[0] + " did not report LISTENING in time; stderr: " + ReadFile(stderr_path);
  Stop();
  return false;
}

void ChildProcess::Signal(int sig) const {
  if (pid_ > 0) {
    kill(pid_, sig);
  }
}

int ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (stdout_fd_ >= 0) {
        close(stdout_fd_);
        stdout_fd_ = -1;
      }
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  int status = WaitExit(grace);
  if (status == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    status = WaitExit(std::chrono::seconds(5));
  }
  return status;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return -1;
  }
  auto args = MakeArgv(argv);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(out_pipe[1], STDERR_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  output->clear();
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char chunk[4096];
      const ssize_t n = read(out_pipe[0], chunk, sizeof(chunk));
      if (n <= 0) {
        break;
      }
      output->append(chunk, static_cast<size_t>(n));
    }
  }
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/shepgw-test-XXXXXX";
  if (mkdtemp(tmpl.data()) != nullptr) {
    path_ = tmpl;
  }
}

TempDir::~TempDir() {
  if (!path_.empty() && std::getenv("SHEPGW_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace shepgw::testing
