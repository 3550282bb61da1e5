// WssGatewayFixture: GatewayFixture plus the WS-Security test PKI (scripts/gen-wss-test-pki.sh,
// generated per test into the fixture's directory), the gateway's wss/trust/gateway_key/
// participants config sections over it, and signing with `shepgw sign` as a client would.
// Shared by wss_test.cc and interop_test.cc.
#pragma once

#include <string>

#include "support/gateway_fixture.h"

namespace shepgw::testing {

class WssGatewayFixture : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    wpki_ = dir_->path() + "/wpki";
    std::string out;
    ASSERT_EQ(RunCommand({SHEPGW_SOURCE_DIR "/scripts/gen-wss-test-pki.sh", wpki_}, &out), 0)
        << out;
  }

  // test-sender may sign with signer-rsa, -ec, -revoked, -expired, -untrusted, -keyusage and
  // call GBDFL_UniversalServiceSync; other-sender signs with signer-rsa2 and may call anything.
  // `extra_sender_certs` (", /path/a.pem, ...") adds certificates to test-sender.
  std::string WssSections(const std::string& gateway_key = "gateway-rsa",
                          const std::string& algorithm = "rsa-sha256",
                          const std::string& extra_sender_certs = "") const {
    const std::string& p = wpki_;
    return "wss:\n"
           "  allowed_algorithms: [rsa-sha256, ecdsa-sha256]\n"
           "trust:\n"
           "  anchors: [" +
           p +
           "/root.pem]\n"
           "  intermediates: [" +
           p +
           "/inter.pem]\n"
           "  crls: [" +
           p + "/inter.crl.pem, " + p +
           "/root.crl.pem]\n"
           "gateway_key:\n"
           "  cert: " +
           p + "/" + gateway_key +
           ".pem\n"
           "  key: " +
           p + "/" + gateway_key +
           ".key\n"
           "  algorithm: " +
           algorithm +
           "\n"
           "participants:\n"
           "  - sender_id: test-sender\n"
           "    certificates: [" +
           p + "/signer-rsa.pem, " + p + "/signer-ec.pem, " + p + "/signer-revoked.pem, " + p +
           "/signer-expired.pem, " + p + "/signer-untrusted.pem, " + p + "/signer-keyusage.pem" +
           extra_sender_certs +
           "]\n"
           "    services: [GBDFL_UniversalServiceSync]\n"
           "  - sender_id: other-sender\n"
           "    certificates: [" +
           p +
           "/signer-rsa2.pem]\n"
           "    services: [\"*\"]\n";
  }

  // Signs `xml` with `shepgw sign` using the test PKI's `name` key and certificate.
  std::string SignWith(const std::string& xml, const std::string& name,
                       const std::string& algorithm = "rsa-sha256") {
    const std::string in = dir_->path() + "/unsigned.xml";
    const std::string out = dir_->path() + "/signed.xml";
    WriteFile(in, xml);
    std::string output;
    const std::string cmd = std::string(SHEPGW_BIN) + " sign --key " + wpki_ + "/" + name +
                            ".key --cert " + wpki_ + "/" + name + ".pem --algorithm " + algorithm +
                            " < " + in + " > " + out;
    EXPECT_EQ(RunCommand({"/bin/sh", "-c", cmd}, &output), 0) << output;
    return ReadFile(out);
  }

  std::string wpki_;
};

}  // namespace shepgw::testing
