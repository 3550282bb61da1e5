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
