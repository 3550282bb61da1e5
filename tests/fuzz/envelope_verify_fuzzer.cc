// libFuzzer target for everything the gateway does with untrusted XML before it trusts it:
// envelope::ParseRequest / ParseEnvelope / CheckResponse on the raw bytes, wss::Verifier over
// the real pki TrustStore and ParticipantStore (the WS-Security test PKI of
// scripts/gen-wss-test-pki.sh), and wss::Signer on whatever parsed (SignEnvelope + Serialize,
// and SignDocument).
//
// Oracles beyond the sanitizers (ASan, UBSan, LSan): a request the gateway parsed and re-signed
// must re-parse and verify with the gateway's own Verifier (the gateway re-signs every request
// it forwards and every answer; a signature it cannot verify itself is a bug); whatever
// ParseRequest accepts, ParseEnvelope accepts; CheckResponse (no tree) gives ParseEnvelope's
// verdict, code and message; the signer never fails internally.
//
// Environment: SHEPGW_FUZZ_PKI_DIR = a directory made by gen-wss-test-pki.sh (required).
// Run: tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <libxml/tree.h>
#include <libxml/uri.h>

#include "shepgw/common/clock.h"
#include "shepgw/common/status.h"
#include "shepgw/config/config.h"
#include "shepgw/envelope/envelope.h"
#include "shepgw/pki/trust.h"
#include "shepgw/wss/wss.h"

namespace {

using namespace shepgw;  // NOLINT(google-build-using-namespace): a single-purpose binary

struct State {
  std::shared_ptr<pki::TrustStore> trust;
  std::shared_ptr<pki::ParticipantStore> participants;
  std::unique_ptr<wss::Verifier> verifier;
  std::unique_ptr<wss::Signer> signer;
};

State* g_state = nullptr;
bool g_verbose = false;  // SHEPGW_FUZZ_VERBOSE=1: print every verdict (triage, seed checks)

void Report(const char* step, const Status& status) {
  if (g_verbose) {
    std::fprintf(stderr, "%s: %s\n", step, status.ok() ? "OK" : status.ToString().c_str());
  }
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "envelope_verify_fuzzer: %s\n", what.c_str());
  std::abort();
}

State* Setup() {
  const char* dir_env = std::getenv("SHEPGW_FUZZ_PKI_DIR");
  if (dir_env == nullptr || *dir_env == '\0') {
    Die("set SHEPGW_FUZZ_PKI_DIR to a directory made by scripts/gen-wss-test-pki.sh");
  }
  const std::string dir = dir_env;
  envelope::InitXmlLibrary();
  if (Status s = wss::InitXmlSec(); !s.ok()) {
    Die(s.ToString());
  }
  auto* st = new State;
  config::TrustConfig tc;
  tc.anchors = {dir + "/root.pem"};
  tc.intermediates = {dir + "/inter.pem"};
  tc.crls = {dir + "/inter.crl.pem", dir + "/root.crl.pem"};
  auto trust = pki::LoadTrustStore(tc, SystemClock::Instance());
  if (!trust.ok()) {
    Die(trust.status().ToString());
  }
  st->trust = *trust;
  config::ParticipantConfig pc;
  pc.sender_id = "client-1";
  // Registered certificates: IssuerSerial references resolve against these.
  for (const char* name : {"signer-rsa", "signer-ec", "signer-rsa2", "signer-revoked",
                           "signer-expired", "signer-keyusage", "signer-untrusted"}) {
    pc.certificates.push_back(dir + "/" + name + ".pem");
  }
  pc.services = {"*"};
  auto participants = pki::LoadParticipants({pc});
  if (!participants.ok()) {
    Die(participants.status().ToString());
  }
  st->participants = *participants;
  wss::VerifyPolicy policy;
  policy.allowed_algorithms = {"rsa-sha256",   "ecdsa-sha256", "rsa-sha384", "rsa-sha512",
                               "ecdsa-sha384", "ecdsa-sha512", "rsa-sha1"};
  st->verifier = std::make_unique<wss::Verifier>(policy, st->trust, st->participants);
  config::GatewayKeyConfig kc;
  // ECDSA: signing costs microseconds, so re-signing every parsed input keeps the fuzzer fast.
  kc.cert_file = dir + "/gateway-ec.pem";
  kc.key_file = dir + "/gateway-ec.key";
  kc.algorithm = "ecdsa-sha256";
  auto key = pki::LoadGatewayKey(kc);
  if (!key.ok()) {
    Die(key.status().ToString());
  }
  st->signer = std::make_unique<wss::Signer>(*key);
  return st;
}

// Smaller than production so the limit paths are reachable with fuzzer-sized inputs.
envelope::ParseLimits FuzzLimits() {
  envelope::ParseLimits l;
  l.max_bytes = size_t{1} << 20;
  l.max_depth = 64;
  l.max_nodes = 20'000;
  return l;
}

// Does any element declare a relative namespace URI (xmlns:x="rel/ns")? libxml2's c14n — and
// so xmlsec, for any same-document reference — refuses the whole document then (C14N §2.4
// "MUST report an operation failure"), so such a document can be neither verified nor signed.
// Known limitation (tests/fuzz/README.md "Findings"): the Signer reports gateway.internal.
bool HasRelativeNamespace(const xmlNode* node) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) {
      continue;
    }
    for (const xmlNs* ns = node->nsDef; ns != nullptr; ns = ns->next) {
      if (ns->href == nullptr || ns->href[0] == '\0') {
        continue;
      }
      xmlURI* uri = xmlParseURI(reinterpret_cast<const char*>(ns->href));
      const bool relative = uri == nullptr || uri->scheme == nullptr;
      xmlFreeURI(uri);
      if (relative) {
        return true;
      }
    }
    if (HasRelativeNamespace(node->children)) {
      return true;
    }
  }
  return false;
}

void ResignAndCheck(const State& st, envelope::ParsedEnvelope& parsed,
                    const wss::VerifiedSignature* verified_request) {
  // As the pipeline does: a verified request's Body digest is reused by the signer.
  const Status signed_status = st.signer->SignEnvelope(parsed, verified_request);
  Report("SignEnvelope", signed_status);
  if (!signed_status.ok()) {
    // Refusals on bad input (e.g. a Body id that is not a plain token) are fine; the gateway
    // answers with a fault. Internal errors are not.
    if (signed_status.code() == ErrorCode::kGatewayInternal &&
        !HasRelativeNamespace(xmlDocGetRootElement(parsed.doc()))) {
      Die("SignEnvelope: " + signed_status.ToString());
    }
    return;
  }
  const std::string out = parsed.Serialize();
  envelope::ParseLimits relaxed;  // the signature adds nodes and depth
  auto again = envelope::ParseRequest(out, relaxed);
  if (!again.status.ok()) {
    Die("re-signed request does not re-parse: " + again.status.ToString() + "\n" + out);
  }
  auto verified = st.verifier->Verify(*again.envelope);
  Report("Verify(re-signed)", verified.status());
  if (!verified.ok()) {
    Die("re-signed request does not verify: " + verified.status().ToString() + "\n" + out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* verbose = std::getenv("SHEPGW_FUZZ_VERBOSE");
  g_verbose = verbose != nullptr && *verbose == '1';
  g_state = Setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const State& st = *g_state;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const envelope::ParseLimits limits = FuzzLimits();

  bool is_fault = false;
  const Status checked = envelope::CheckResponse(in, limits, &is_fault);

  auto request = envelope::ParseRequest(in, limits);
  Report("ParseRequest", request.status);
  if (request.status.ok()) {
    auto verified = st.verifier->Verify(*request.envelope);
    Report("Verify", verified.status());
    if (verified.ok() && verified->signer == nullptr) {
      Die("Verify succeeded without a signer certificate");
    }
    ResignAndCheck(st, *request.envelope, verified.ok() ? &*verified : nullptr);
  }

  auto any = envelope::ParseEnvelope(in, limits);
  // ParseEnvelope is ParseRequest without the operation and requestInfo checks.
  if (request.status.ok() && !any.status.ok()) {
    Die("ParseRequest accepted what ParseEnvelope refused: " + any.status.ToString());
  }
  // CheckResponse scans without a tree; it must say exactly what ParseEnvelope says.
  if (checked.code() != any.status.code() || checked.message() != any.status.message() ||
      (any.status.ok() && is_fault != any.envelope->is_fault())) {
    Die("CheckResponse (" + checked.ToString() + ") disagrees with ParseEnvelope (" +
        any.status.ToString() + ")");
  }
  if (any.status.ok()) {
    auto signed_doc = st.signer->SignDocument(in, limits);
    if (!signed_doc.ok() && signed_doc.status().code() == ErrorCode::kGatewayInternal &&
        !HasRelativeNamespace(xmlDocGetRootElement(any.envelope->doc()))) {
      Die("SignDocument: " + signed_doc.status().ToString());
    }
  }
  return 0;
}
