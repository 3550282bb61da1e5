// shepgw: the external gateway of the e-government service bus.
//
//   shepgw serve --config FILE         run the gateway (foreground; systemd Type=notify)
//   shepgw check-config --config FILE  validate everything and list every error; exit 0/1
//   shepgw version                     version and linked library versions
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stdsoap2.h"
#include <curl/curl.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "shepgw/common/logging.h"
#include "shepgw/config/config.h"
#include "shepgw/connector/connector.h"
#include "shepgw/contract/contract.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/frontend/server.h"
#include "shepgw/pipeline/pipeline.h"
#include "shepgw/routing/route_table.h"
#include "shepgw/version.h"

#include <unistd.h>

namespace shepgw {
namespace {

constexpr std::chrono::seconds kDrainGrace{30};

int Usage() {
  std::fprintf(stderr,
               "usage: shepgw serve --config FILE\n"
               "       shepgw check-config --config FILE\n"
               "       shepgw version\n");
  return 2;
}

const char* FindConfigArg(const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      return args[i + 1].c_str();
    }
  }
  return nullptr;
}

void PrintConfigErrors(const std::string& path, const std::vector<config::ConfigError>& errors) {
  for (const auto& e : errors) {
    std::fprintf(stderr, "%s\n", config::FormatConfigError(path, e).c_str());
  }
}

std::shared_ptr<const pipeline::Snapshot> BuildSnapshot(
    std::shared_ptr<const config::Config> config) {
  auto snap = std::make_shared<pipeline::Snapshot>();
  snap->routes = std::make_shared<routing::RouteTable>(config->routes);
  snap->connector = connector::MakeCurlConnector(config->connector, config->limits.max_body_bytes);
  snap->config = std::move(config);
  return snap;
}

// Everything check-config verifies beyond the YAML itself: files load, keys match.
std::vector<std::string> DeepCheck(const config::Config& config) {
  std::vector<std::string> errors;
  if (Status s = frontend::Server::CheckTls(config.listen.tls); !s.ok()) {
    errors.push_back(s.message());
  }
  auto readable = [&](const std::string& path, const char* key) {
    if (!path.empty() && access(path.c_str(), R_OK) != 0) {
      errors.push_back(std::string(key) + " '" + path + "': " + std::strerror(errno));
    }
  };
  readable(config.connector.ca_file, "connector.ca");
  readable(config.connector.client_cert_file, "connector.client_cert");
  readable(config.connector.client_key_file, "connector.client_key");
  return errors;
}

int CheckConfig(const std::string& path) {
  const auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    std::fprintf(stderr, "shepgw: %zu error(s) in %s\n", loaded.errors.size(), path.c_str());
    return 1;
  }
  const auto deep = DeepCheck(*loaded.config);
  for (const auto& e : deep) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), e.c_str());
  }
  if (!deep.empty()) {
    std::fprintf(stderr, "shepgw: %zu error(s) in %s\n", deep.size(), path.c_str());
    return 1;
  }
  std::printf("shepgw: configuration %s is valid (%zu routes)\n", path.c_str(),
              loaded.config->routes.size());
  return 0;
}

int Version() {
  std::printf("shepgw %s\n", SHEPGW_VERSION);
  std::printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
  std::printf("  libxml2 %s\n", LIBXML_DOTTED_VERSION);
  std::printf("  %s\n", curl_version());
  std::printf("  gSOAP %d\n", GSOAP_VERSION);
  return 0;
}

LogFormat ParseLogFormat(const std::string& f) {
  return f == "json" ? LogFormat::kJson : LogFormat::kText;
}

int Serve(const std::string& path) {
  // Signals are taken synchronously by this thread (sigwait), never in async handlers.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the gateway

  auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) {
    PrintConfigErrors(path, loaded.errors);
    std::fprintf(stderr, "shepgw: not starting: %zu error(s) in %s\n", loaded.errors.size(),
                 path.c_str());
    return 1;
  }
  auto config = loaded.config;
  if (Status s = SetupLogging(config->logging.level, ParseLogFormat(config->logging.format));
      !s.ok()) {
    std::fprintf(stderr, "shepgw: %s\n", s.ToString().c_str());
    return 1;
  }
  envelope::InitXmlLibrary();
  if (Status s = connector::CurlGlobalInit(); !s.ok()) {
    Log().critical("{}", s.ToString());
    return 1;
  }

  pipeline::Pipeline pipeline(BuildSnapshot(config), SystemClock::Instance());
  frontend::Server server(*config, pipeline, std::string(contract::SyncChannelWsdl()));
  if (Status s = server.Start(); !s.ok()) {
    Log().critical("not starting: {}", s.message());
    return 1;
  }
  Log().info("shepgw {} listening on https://{}:{} ({} routes, {} workers)", SHEPGW_VERSION,
             config->listen.address, server.bound_port(), config->routes.size(),
             config->limits.workers);
  std::printf("LISTENING %u\n", static_cast<unsigned>(server.bound_port()));
  std::fflush(stdout);

  std::thread server_thread([&server] { server.Run(); });
  sd_notifyf(0, "READY=1\nSTATUS=serving on port %u", static_cast<unsigned>(server.bound_port()));

  bool draining = false;
  std::thread drain_timer;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      auto reloaded = config::LoadConfigFile(path);
      if (!reloaded.ok()) {
        for (const auto& e : reloaded.errors) {
          Log().error("reload rejected: {}", config::FormatConfigError(path, e));
        }
        Log().error("reload rejected: keeping the running configuration");
      } else {
        pipeline.Swap(BuildSnapshot(reloaded.config));
        (void)SetupLogging(reloaded.config->logging.level,
                           ParseLogFormat(reloaded.config->logging.format));
        Log().info("reloaded {}: {} routes (listener settings need a restart)", path,
                   reloaded.config->routes.size());
      }
      sd_notify(0, "READY=1");
      continue;
    }
    // SIGTERM / SIGINT.
    if (draining) {
      Log().warn("second stop signal: exiting now");
      server.Stop();
      break;
    }
    draining = true;
    sd_notify(0, "STOPPING=1");
    Log().info("draining: no new connections, finishing requests in flight (up to {}s)",
               kDrainGrace.count());
    server.BeginDrain();
    drain_timer = std::thread([&server] {
      const auto until = std::chrono::steady_clock::now() + kDrainGrace;
      while (std::chrono::steady_clock::now() < until) {
        if (server.stats().active_connections.load() == 0) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      server.Stop();
      // Wake the signal loop so main can join and exit.
      kill(getpid(), SIGTERM);
    });
  }
  server_thread.join();
  if (drain_timer.joinable()) {
    drain_timer.join();
  }
  Log().info("stopped");
  return 0;
}

}  // namespace
}  // namespace shepgw

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    return shepgw::Usage();
  }
  const std::string& cmd = args[0];
  if (cmd == "version" || cmd == "--version") {
    return shepgw::Version();
  }
  const char* config = shepgw::FindConfigArg(args);
  if (cmd == "serve" && config != nullptr) {
    return shepgw::Serve(config);
  }
  if (cmd == "check-config" && config != nullptr) {
    return shepgw::CheckConfig(config);
  }
  return shepgw::Usage();
}
