// RouteTable: the pure lookup from a request's (serviceId, routeId) to the route that says
// where it goes. Built once from config, immutable, shared read-only across threads.
//
// Matching: a route with the same service_id and the same (non-empty) route_id wins; else a
// route with the same service_id and no route_id. serviceId matching is exact (ShEP ids are
// case-sensitive registry keys).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shepgw/common/status.h"
#include "shepgw/config/config.h"

namespace shepgw::routing {

struct Route {
  std::string service_id;
  std::string route_id;
  std::vector<std::string> upstreams;
  std::chrono::milliseconds timeout{30'000};
  bool verify_response = false;  // verify the upstream's signature on its answer
  bool optional = false;         // readiness does not depend on this route's upstreams
  // A label for logs/metrics: "service_id" or "service_id/route_id".
  std::string name;
};

class RouteTable {
 public:
  explicit RouteTable(const std::vector<config::RouteConfig>& routes);

  // Returns the route or kRoutingUnknownService naming the serviceId (and routeId).
  Result<const Route*> Find(std::string_view service_id, std::string_view route_id) const;
  size_t size() const { return routes_.size(); }
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  // service_id → indices into routes_ (few per service).
  std::unordered_map<std::string, std::vector<size_t>> by_service_;
};

}  // namespace shepgw::routing
