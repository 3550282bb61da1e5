// GatewayFixture: a real test PKI, the real stand-in ShEP and the real shepgw binary on
// loopback, for end-to-end tests. Binaries come from the build tree (compile definitions
// SHEPGW_BIN, STANDIN_BIN, SHEPGW_SOURCE_DIR).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "child_process.h"
#include "https_client.h"

namespace shepgw::testing {

struct SendMessageSpec {
  std::string message_id = "5f0e7a1c-3b2d-4c6e-9f80-1a2b3c4d5e6f";
  std::string service_id = "GBDFL_UniversalServiceSync";
  std::string sender_id = "test-sender";
  std::string standin_mode;  // STANDIN_MODE property, empty = none
  std::string payload = "<iin>931002451325</iin>";
};

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The errorCode token of a SendMessageFault1_SendMessageFault detail ("" when none).
inline std::string FaultToken(const std::string& body) {
  const auto b = body.find("<errorCode>");
  const auto e = body.find("</errorCode>");
  return b == std::string::npos || e == std::string::npos ? std::string()
                                                          : body.substr(b + 11, e - b - 11);
}

// A ShEP-format SyncChannel SendMessage, as SmartBridge clients write it.
std::string MakeSendMessage(const SendMessageSpec& spec);

class GatewayFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes the gateway config (routes to the stand-in) with `extra_limits` YAML lines added
  // under `limits:` and `extra_routes` added to `routes:`, and starts shepgw.
  void StartGateway(const std::string& extra_limits = "", const std::string& extra_routes = "",
                    const std::string& extra_sections = "");
  std::string GatewayConfig(const std::string& extra_limits, const std::string& extra_routes) const;
  std::string Url(const std::string& path = "/bip-sync-wss-gost/") const;
  std::unique_ptr<HttpsClient> Client() const;
  std::string GatewayLog() const { return ReadFile(gateway_log_); }

  std::unique_ptr<TempDir> dir_;
  std::string pki_;
  ChildProcess standin_;
  ChildProcess gateway_;
  std::string gateway_log_;
  std::string config_path_;
};

}  // namespace shepgw::testing
