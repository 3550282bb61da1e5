// Constants of the ShEP SyncChannel v10 contract and the embedded WSDL (shepgw_contract).
//
// The gSOAP data bindings themselves (shep__*, shepc__* classes, SyncChannelHttpBindingService
// and SyncChannelHttpBindingProxy) are generated at build time from wsdl/SyncChannel.wsdl into
// ${CMAKE_BINARY_DIR}/generated/contract; include "soapH.h" or the service/proxy headers for
// them. This header is the hand-written part: namespace URIs and well-known values that code
// matching XML by namespace (envelope parsing, fault building) needs without pulling in gSOAP.
// Everything here is immutable static data: no ownership questions, safe from any thread.
#pragma once

#include <string_view>

namespace shepgw::contract {

// Namespace of the wrapper elements SendMessage, SendMessageResponse and
// SendMessageFault1_SendMessageFault. Everything below a wrapper is unqualified.
inline constexpr std::string_view kTypesNs = "http://bip.bee.kz/SyncChannel/v10/Types";
// Namespace of ShEP's common types (ErrorInfo, guid, ...): appears only inside xsi:type values.
inline constexpr std::string_view kCommonNs = "http://bip.bee.kz/common/v10/types";
inline constexpr std::string_view kInterfacesNs = "http://bip.bee.kz/SyncChannel/v10/Interfaces";
// targetNamespace of wsdl/SyncChannel.wsdl (ShEP's binding/service namespace).
inline constexpr std::string_view kBindingNs =
    "http://bip.bee.kz/SyncChannel/v10/Interfaces/Binding2";
inline constexpr std::string_view kSoap11EnvelopeNs = "http://schemas.xmlsoap.org/soap/envelope/";

inline constexpr std::string_view kSendMessage = "SendMessage";
inline constexpr std::string_view kSendMessageResponse = "SendMessageResponse";
inline constexpr std::string_view kSendMessageFault = "SendMessageFault1_SendMessageFault";

// De-facto success status of a SyncChannel response (docs/shep-protocol.md section 1.3).
inline constexpr std::string_view kStatusSuccessCode = "SCSS001";
inline constexpr std::string_view kStatusSuccessMessage = "Message has been processed successfully";

// The bytes of wsdl/SyncChannel.wsdl as of the build, standalone (types inline, no imports),
// with a placeholder soap:address. Served verbatim at GET ...?wsdl.
std::string_view SyncChannelWsdl();

}  // namespace shepgw::contract
