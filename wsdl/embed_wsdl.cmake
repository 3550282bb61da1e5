# cmake -DIN=SyncChannel.wsdl -DOUT=sync_channel_wsdl.cc -P embed_wsdl.cmake
# Writes the WSDL bytes into a C++ raw string literal (see include/shepgw/contract/contract.h).
file(READ ${IN} wsdl)
string(FIND "${wsdl}" ")shepgw_wsdl\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )shepgw_wsdl\"")
endif()
file(WRITE ${OUT}.tmp
"// Generated from ${IN} by wsdl/embed_wsdl.cmake. Do not edit.
#include \"shepgw/contract/contract.h\"

namespace shepgw::contract {

std::string_view SyncChannelWsdl() {
  static constexpr char kWsdl[] = R\"shepgw_wsdl(${wsdl})shepgw_wsdl\";
  return {kWsdl, sizeof(kWsdl) - 1};
}

}  // namespace shepgw::contract
")
# Only touch OUT when the content changed, so an unrelated re-run does not force a rebuild.
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
