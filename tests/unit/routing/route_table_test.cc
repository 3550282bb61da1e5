#include "shepgw/routing/route_table.h"

#include <gtest/gtest.h>

namespace shepgw::routing {
namespace {

config::RouteConfig MakeRoute(std::string service, std::string route_id, std::string url) {
  config::RouteConfig rc;
  rc.service_id = std::move(service);
  rc.route_id = std::move(route_id);
  rc.upstreams = {std::move(url)};
  return rc;
}

TEST(RouteTableTest, ExactRouteIdBeatsServiceDefault) {
  RouteTable table({MakeRoute("ESEDO", "", "http://a/"), MakeRoute("ESEDO", "R_ESEDO", "http://b/"),
                    MakeRoute("GBDFL", "", "http://c/")});
  auto r = table.Find("ESEDO", "R_ESEDO");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->upstreams[0], "http://b/");
  EXPECT_EQ((*r)->name, "ESEDO/R_ESEDO");
  r = table.Find("ESEDO", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->upstreams[0], "http://a/");
  // Unknown routeId falls back to the service default.
  r = table.Find("ESEDO", "R_OTHER");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->upstreams[0], "http://a/");
}

TEST(RouteTableTest, UnknownServiceIsAStableError) {
  RouteTable table({MakeRoute("GBDFL", "", "http://c/")});
  const auto r = table.Find("gbdfl", "");  // case-sensitive
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kRoutingUnknownService);
  EXPECT_EQ(r.status().message(), "no route for serviceId 'gbdfl'");
}

TEST(RouteTableTest, RouteIdOnlyRouteNeedsThatRouteId) {
  RouteTable table({MakeRoute("ESEDO", "R_ESEDO", "http://b/")});
  EXPECT_TRUE(table.Find("ESEDO", "R_ESEDO").ok());
  const auto r = table.Find("ESEDO", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kRoutingUnknownService);
}

}  // namespace
}  // namespace shepgw::routing
