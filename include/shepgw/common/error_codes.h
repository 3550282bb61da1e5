// The gateway's stable error codes and the one table that maps each to its SOAP fault,
// ShEP ErrorInfo.errorCode, HTTP status and metric label (docs/errors.md documents every
// row; tests/unit/common/error_codes_test.cc checks the table).
//
// The token (e.g. "envelope.malformed_xml") is what callers see in
// detail/SendMessageFault1_SendMessageFault/errorCode, what the access log prints as the
// outcome and what metrics use as a label. Tokens never change once released; new codes
// are appended.
#pragma once

#include <span>
#include <string_view>

namespace shepgw {

enum class ErrorCode {
  kOk = 0,
  // HTTP / transport (front end).
  kHttpUnknownPath,           // POST to a path that is not a configured SOAP endpoint
  kHttpUnsupportedMediaType,  // Content-Type is neither text/xml nor application/xml
  kHttpBodyTooLarge,          // body over limits.max_body_size
  kHttpBadRequest,            // truncated body, bad chunking, unreadable request
  // Envelope (hostile-input parsing).
  kEnvelopeMalformedXml,      // not well-formed XML, not UTF-8, truncated
  kEnvelopeDtdForbidden,      // DOCTYPE / DTD / entity declarations present
  kEnvelopeLimitExceeded,     // nesting depth or node-count limit exceeded
  kEnvelopeSoap12,            // a SOAP 1.2 envelope (SOAP 1.1 only)
  kEnvelopeNotSoap,           // root is not a SOAP 1.1 Envelope
  kEnvelopeBadStructure,      // not exactly one Header (optional) and one Body, bad order
  kEnvelopeUnknownOperation,  // body element is not a known operation
  kEnvelopeMissingField,      // a required requestInfo field is missing or empty
  kEnvelopeInvalidField,      // a requestInfo field has an invalid value
  // Routing.
  kRoutingUnknownService,  // no route for serviceId (+ routeId)
  // Upstream (connector).
  kUpstreamUnreachable,  // connection to every upstream of the route failed
  kUpstreamTimeout,      // the upstream did not answer in time
  kUpstreamBadResponse,  // the upstream answered something that is not a SOAP envelope
  kUpstreamHttpError,    // the upstream answered an HTTP error without a SOAP fault
  // Gateway state.
  kGatewayOverloaded,    // connection or queue limits reached
  kGatewayShuttingDown,  // draining after SIGTERM
  kGatewayInternal,      // a bug: logged with details, counted
  // WS-Security transport signature (wss). HTTP 401, soap:Client.
  kWssSignatureMissing,      // no wsse:Security / ds:Signature in the Header
  kWssMalformedSecurity,     // Security header or Signature not of the accepted shape
  kWssAlgorithmNotAllowed,   // algorithm known but not in the configured allow-list
  kWssAlgorithmUnsupported,  // algorithm recognised (e.g. Kazakh GOST) but not implemented
  kWssDigestMismatch,        // the Body's digest does not match the signed DigestValue
  kWssSignatureInvalid,      // SignatureValue does not verify with the signer's key
  kWssWrappingDetected,      // the signed element is not the Body the gateway routes
  kWssSignerUnknown,         // KeyInfo names a certificate the gateway cannot find
  // Signer certificate (pki). HTTP 401, soap:Client.
  kPkiCertificateUntrusted,    // no chain to a configured trust anchor
  kPkiCertificateExpired,      // notAfter in the past
  kPkiCertificateNotYetValid,  // notBefore in the future
  kPkiCertificateRevoked,      // listed in a CRL
  kPkiRevocationUnknown,       // no usable CRL and the policy fails closed
  kPkiCertificateKeyUsage,     // neither digitalSignature nor nonRepudiation
  // Authorisation. 401 when the signer is not the sender, 403 when the sender may not call.
  kAuthSignerNotSender,    // a valid signature, by a certificate not bound to senderId
  kAuthSenderUnknown,      // senderId is not a registered participant
  kAuthServiceNotAllowed,  // the participant is not subscribed to serviceId (BY-7)
  // The VPN side (connector). HTTP 503 + Retry-After.
  kUpstreamNetworkUnreachable,  // tunnel interface missing/down or no route to the upstream
  // Maintenance (KZ-9). HTTP 503 with Retry-After.
  kGatewayMaintenance,  // a planned or unplanned maintenance window is in force
  // GOST keys and certificates (pki/gost.h). HTTP 401, soap:Client.
  kPkiKeyInvalid,            // public key malformed, off its curve, or of another algorithm
  kPkiCertificateMalformed,  // a certificate that is not well-formed DER X.509
  kCount_,                   // not a code: number of entries
};

enum class FaultCode { kClient, kServer, kVersionMismatch };

struct ErrorDescription {
  ErrorCode code;
  std::string_view token;         // stable: errorCode in the fault, outcome in logs/metrics
  int http_status;                // HTTP status of the fault response
  FaultCode fault_code;           // soap:Client / soap:Server / soap:VersionMismatch
  bool retry_after;               // send Retry-After (503 family)
  std::string_view fault_string;  // faultstring (fixed English text, details go elsewhere)
};

// REQUIRES: code is a valid enumerator other than kCount_.
const ErrorDescription& Describe(ErrorCode code);
// Every row, in enum order (kOk first).
std::span<const ErrorDescription> AllErrorDescriptions();
std::string_view FaultCodeQName(FaultCode code);  // "soap:Client" etc.

}  // namespace shepgw
