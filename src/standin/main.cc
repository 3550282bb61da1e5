// shep-standin: a local stand-in for the internal ShEP SyncChannel (see docs/standin.md).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "shepgw/standin/server.h"

namespace {

shepgw::standin::Server* g_server = nullptr;

extern "C" void OnSignal(int /*signo*/) {
  if (g_server != nullptr) {
    g_server->RequestStop();  // only an atomic store: async-signal-safe
  }
}

void Usage(std::FILE* out) {
  std::fputs(
      "usage: shep-standin [--port N] [--host ADDR] [--mode MODE] [--log-requests FILE]\n"
      "                    [--max-connections N] [--max-keep-alive N] [--io-timeout SECONDS]\n"
      "  --port N            TCP port on ADDR (default 0 = ephemeral); prints 'LISTENING <port>'\n"
      "  --host ADDR         listen address (default 127.0.0.1)\n"
      "  --mode MODE         default mode for every request: ok | delay:<ms> | http500 |\n"
      "                      http500-plain | garbage | close | fault (default ok)\n"
      "  --log-requests FILE append '<messageId> <serviceId>' per SendMessage request\n"
      "A request overrides the mode with a properties entry STANDIN_MODE=<MODE> or a serviceId\n"
      "suffix '~<MODE>'. SIGTERM/SIGINT stop the server.\n",
      out);
}

bool ParseInt(const char* s, int min, int max, int& out) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min || v > max) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  shepgw::standin::ServerOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "shep-standin: %s needs a value\n", argv[i]);
      Usage(stderr);
      return 2;
    }
    const char* value = argv[++i];
    int seconds = 0;
    bool ok = true;
    if (arg == "--port") {
      ok = ParseInt(value, 0, 65535, options.port);
    } else if (arg == "--host") {
      options.host = value;
    } else if (arg == "--mode") {
      auto mode = shepgw::standin::ParseMode(value);
      ok = mode.has_value();
      if (ok) {
        options.default_mode = *mode;
      }
    } else if (arg == "--log-requests") {
      options.log_requests_path = value;
    } else if (arg == "--max-connections") {
      ok = ParseInt(value, 1, 1024, options.max_connections);
    } else if (arg == "--max-keep-alive") {
      ok = ParseInt(value, 1, 100000, options.max_keep_alive);
    } else if (arg == "--io-timeout") {
      ok = ParseInt(value, 1, 3600, seconds);
      options.io_timeout = std::chrono::seconds(seconds);
    } else {
      std::fprintf(stderr, "shep-standin: unknown option %s\n", argv[i - 1]);
      Usage(stderr);
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "shep-standin: bad value for %s: %s\n", argv[i - 1], value);
      return 2;
    }
  }

  std::signal(SIGPIPE, SIG_IGN);
  auto server = shepgw::standin::Server::Bind(options);
  if (!server.ok()) {
    std::fprintf(stderr, "shep-standin: %s\n", server.status().ToString().c_str());
    return 1;
  }
  g_server = server->get();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  std::printf("LISTENING %d\n", (*server)->port());
  std::fflush(stdout);
  shepgw::Status status = (*server)->Run();
  g_server = nullptr;
  if (!status.ok()) {
    std::fprintf(stderr, "shep-standin: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
