// A GOST WS-Security client signer for tests, written without the wss module's code: libxml2's
// node-set c14n (the module streams c14n through a visibility callback) and pki::gost for the
// digests and r_LE‖s_LE signatures. It signs the way KalkanCrypt-based ShEP clients do:
// wsu:Id on the Body, one wsse:Security, exclusive c14n, one Reference with one exclusive c14n
// Transform, KeyInfo = SecurityTokenReference/KeyIdentifier (X509v3, the whole certificate).
// Used by tests/unit/wss/gost_test.cc and tests/integration/gost_wss_test.cc.
#pragma once

#include <string>
#include <string_view>

#include <libxml/tree.h>

#include "shepgw/common/status.h"
#include "shepgw/pki/gost.h"

namespace shepgw::testing {

// The exclusive canonical form (no comments, no InclusiveNamespaces) of the subtree of the one
// element `select` (an XPath with prefixes s = SOAP 1.1, ds = XML-DSig) selects, computed over
// the XML-DSig node set written out as XPath. Empty on failure.
std::string C14nSubtree(xmlDoc* doc, const std::string& select);

struct GostSignOptions {
  // URIs written into SignedInfo; default: those of the key's algorithm.
  std::string signature_method;
  std::string digest_method;
  bool reverse_signature = false;  // all bytes reversed (OpenSSL's gost engine order)
};

// Adds the client's transport signature to a SOAP 1.1 envelope (a Header is created when there
// is none; an existing wsu:Id on the Body is kept, else "id-gost-body" is added).
Result<std::string> SignGostEnvelope(std::string_view envelope_xml,
                                     const pki::gost::PrivateKey& key, std::string_view cert_der,
                                     const GostSignOptions& options = {});

// The first certificate of a PEM file, DER. Empty on failure.
std::string PemCertificateDer(const std::string& path);

}  // namespace shepgw::testing
