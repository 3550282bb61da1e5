#include "shepgw/common/error_codes.h"

#include <array>
#include <cstdlib>

namespace shepgw {
namespace {

using enum ErrorCode;
using enum FaultCode;

// Keep in enum order; error_codes_test.cc checks that row i describes code i.
constexpr std::array<ErrorDescription, static_cast<size_t>(kCount_)> kTable{{
    {kOk, "ok", 200, kServer, false, "OK"},
    {kHttpUnknownPath, "http.unknown_path", 404, kClient, false, "Unknown endpoint path"},
    {kHttpUnsupportedMediaType, "http.unsupported_media_type", 415, kClient, false,
     "Unsupported Content-Type: use text/xml"},
    {kHttpBodyTooLarge, "http.body_too_large", 413, kClient, false, "Request body too large"},
    {kHttpBadRequest, "http.bad_request", 400, kClient, false, "Malformed HTTP request"},
    {kEnvelopeMalformedXml, "envelope.malformed_xml", 400, kClient, false,
     "Request is not well-formed XML"},
    {kEnvelopeDtdForbidden, "envelope.dtd_forbidden", 400, kClient, false,
     "DTDs and entity declarations are not allowed"},
    {kEnvelopeLimitExceeded, "envelope.limit_exceeded", 400, kClient, false,
     "XML nesting or size limit exceeded"},
    {kEnvelopeSoap12, "envelope.soap12_not_supported", 400, kVersionMismatch, false,
     "SOAP 1.2 is not supported: use SOAP 1.1"},
    {kEnvelopeNotSoap, "envelope.not_soap", 400, kClient, false,
     "Request is not a SOAP 1.1 Envelope"},
    {kEnvelopeBadStructure, "envelope.bad_structure", 400, kClient, false,
     "Invalid SOAP envelope structure"},
    {kEnvelopeUnknownOperation, "envelope.unknown_operation", 400, kClient, false,
     "Unknown operation"},
    {kEnvelopeMissingField, "envelope.missing_field", 400, kClient, false,
     "Required field missing"},
    {kEnvelopeInvalidField, "envelope.invalid_field", 400, kClient, false, "Invalid field value"},
    {kRoutingUnknownService, "routing.unknown_service", 404, kClient, false,
     "No service found for the given serviceId"},
    {kUpstreamUnreachable, "upstream.unreachable", 502, kServer, false,
     "Internal service unreachable"},
    {kUpstreamTimeout, "upstream.timeout", 504, kServer, false, "Internal service timed out"},
    {kUpstreamBadResponse, "upstream.bad_response", 502, kServer, false,
     "Internal service returned an invalid response"},
    {kUpstreamHttpError, "upstream.http_error", 502, kServer, false,
     "Internal service returned an HTTP error"},
    {kGatewayOverloaded, "gateway.overloaded", 503, kServer, true,
     "Gateway overloaded, retry later"},
    {kGatewayShuttingDown, "gateway.shutting_down", 503, kServer, true,
     "Gateway is shutting down, retry later"},
    {kGatewayInternal, "gateway.internal", 500, kServer, false, "Internal gateway error"},
    {kWssSignatureMissing, "wss.signature_missing", 401, kClient, false,
     "Transport signature missing"},
    {kWssMalformedSecurity, "wss.malformed_security", 401, kClient, false,
     "Malformed WS-Security header"},
    {kWssAlgorithmNotAllowed, "wss.algorithm_not_allowed", 401, kClient, false,
     "Signature algorithm not allowed"},
    {kWssAlgorithmUnsupported, "wss.algorithm_unsupported", 401, kClient, false,
     "Signature algorithm not supported by this gateway"},
    {kWssDigestMismatch, "wss.digest_mismatch", 401, kClient, false,
     "Signed content was modified (digest mismatch)"},
    {kWssSignatureInvalid, "wss.signature_invalid", 401, kClient, false, "Invalid signature"},
    {kWssWrappingDetected, "wss.wrapping_detected", 401, kClient, false,
     "Signature does not cover the message Body"},
    {kWssSignerUnknown, "wss.signer_unknown", 401, kClient, false, "Signer certificate not found"},
    {kPkiCertificateUntrusted, "pki.certificate_untrusted", 401, kClient, false,
     "Signer certificate is not trusted"},
    {kPkiCertificateExpired, "pki.certificate_expired", 401, kClient, false,
     "Signer certificate has expired"},
    {kPkiCertificateNotYetValid, "pki.certificate_not_yet_valid", 401, kClient, false,
     "Signer certificate is not yet valid"},
    {kPkiCertificateRevoked, "pki.certificate_revoked", 401, kClient, false,
     "Signer certificate is revoked"},
    {kPkiRevocationUnknown, "pki.revocation_unknown", 401, kClient, false,
     "Revocation status of the signer certificate is unknown"},
    {kPkiCertificateKeyUsage, "pki.certificate_key_usage", 401, kClient, false,
     "Signer certificate is not for digital signatures"},
    {kAuthSignerNotSender, "auth.signer_not_sender", 401, kClient, false,
     "Signer certificate does not belong to the sender"},
    {kAuthSenderUnknown, "auth.sender_unknown", 401, kClient, false, "Unknown sender"},
    {kAuthServiceNotAllowed, "auth.service_not_allowed", 403, kClient, false,
     "Sender is not allowed to call this service"},
    {kUpstreamNetworkUnreachable, "upstream.network_unreachable", 503, kServer, true,
     "Internal network unreachable"},
    {kGatewayMaintenance, "gateway.maintenance", 503, kServer, true, "Service under maintenance"},
    {kPkiKeyInvalid, "pki.key_invalid", 401, kClient, false,
     "Signer public key is invalid for its algorithm"},
    {kPkiCertificateMalformed, "pki.certificate_malformed", 401, kClient, false,
     "Signer certificate is malformed"},
}};

}  // namespace

const ErrorDescription& Describe(ErrorCode code) {
  const auto index = static_cast<size_t>(code);
  if (index >= kTable.size()) {
    std::abort();  // a programming error, never input-driven
  }
  return kTable[index];
}

std::span<const ErrorDescription> AllErrorDescriptions() { return kTable; }

std::string_view FaultCodeQName(FaultCode code) {
  switch (code) {
    case FaultCode::kClient:
      return "soap:Client";
    case FaultCode::kServer:
      return "soap:Server";
    case FaultCode::kVersionMismatch:
      return "soap:VersionMismatch";
  }
  return "soap:Server";
}

}  // namespace shepgw
