// Calls shep-standin through the generated gSOAP client proxy: checks that the generated client
// side of shepgw_contract works and that the DOM-mapped `data` round-trips in both directions.
#include "soapH.h"
#include "soapSyncChannelHttpBindingProxy.h"
#include <gtest/gtest.h>

#include "test_util.h"

namespace shepgw::standin::testing {
namespace {

TEST(StandinProxy, GeneratedClientRoundTrip) {
  StandinProcess standin({});
  ASSERT_TRUE(standin.ok());
  SyncChannelHttpBindingProxy proxy(SOAP_C_UTFSTRING);
  std::string url = standin.Url();
  proxy.soap_endpoint = url.c_str();
  proxy.soap->connect_timeout = 5;
  proxy.soap->recv_timeout = 10;
  proxy.soap->send_timeout = 10;
  struct soap* soap = proxy.soap;

  auto* info = soap_new_shep__SyncMessageInfo(soap);
  info->messageId = "proxy-1";
  info->serviceId = "Қызмет";  // UTF-8 must survive (SOAP_C_UTFSTRING on both sides)
  info->messageDate = "2019-12-25T12:48:21.024+06:00";
  info->sender = soap_new_shepc__SenderInfo(soap);
  info->sender->senderId = "proxy-test";
  auto* data = soap_elt_new(soap, nullptr, "data");
  data->elt("iin").set("931002451325");
  auto* request = soap_new_shep__SyncSendMessageRequest(soap);
  request->requestInfo = info;
  request->requestData = soap_new_shepc__MessageData(soap);
  request->requestData->data = data;
  _shep__SendMessage message;
  message.request = request;
  _shep__SendMessageResponse response;

  ASSERT_EQ(proxy.SendMessage(&message, response), SOAP_OK) << [&] {
    char buf[512];
    proxy.soap_sprint_fault(buf, sizeof(buf));
    return std::string(buf);
  }();
  ASSERT_NE(response.response, nullptr);
  const auto* out = response.response->responseInfo;
  ASSERT_NE(out, nullptr);
  ASSERT_NE(out->correlationId, nullptr);
  EXPECT_EQ(*out->correlationId, "proxy-1");
  ASSERT_NE(out->status, nullptr);
  EXPECT_EQ(out->status->code, "SCSS001");
  ASSERT_NE(out->sessionId, nullptr);
  EXPECT_EQ(out->sessionId->front(), '{');
  ASSERT_NE(response.response->responseData, nullptr);
  const xsd__anyType* echo_data = response.response->responseData->data;
  ASSERT_NE(echo_data, nullptr);
  const xsd__anyType* echo = echo_data->elt_get("standinEcho");
  ASSERT_NE(echo, nullptr);
  ASSERT_NE(echo->elt_get("serviceId"), nullptr);
  EXPECT_STREQ(echo->elt_get("serviceId")->get_text(), "Қызмет");

  // A typed fault arrives as the generated detail member.
  auto* mode = soap_new_shepc__Property(soap);
  mode->key = "STANDIN_MODE";
  mode->value = "http500";
  info->properties.push_back(mode);
  EXPECT_EQ(proxy.SendMessage(&message, response), SOAP_SVR_FAULT);  // faultcode Server
  ASSERT_NE(soap->fault, nullptr);
  ASSERT_NE(soap->fault->detail, nullptr);
  ASSERT_NE(soap->fault->detail->shep__SendMessageFault1_USCORESendMessageFault, nullptr);
  EXPECT_EQ(soap->fault->detail->shep__SendMessageFault1_USCORESendMessageFault->errorCode, "999");
  proxy.destroy();
}

}  // namespace
}  // namespace shepgw::standin::testing
