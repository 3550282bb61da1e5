#include "shepgw/routing/route_table.h"

#include "shepgw/common/logging.h"

namespace shepgw::routing {

RouteTable::RouteTable(const std::vector<config::RouteConfig>& routes) {
  routes_.reserve(routes.size());
  for (const auto& rc : routes) {
    Route r;
    r.service_id = rc.service_id;
    r.route_id = rc.route_id;
    r.upstreams = rc.upstreams;
    r.timeout = rc.timeout;
    r.verify_response = rc.verify_response;
    r.optional = rc.optional;
    r.name = rc.route_id.empty() ? rc.service_id : rc.service_id + "/" + rc.route_id;
    by_service_[r.service_id].push_back(routes_.size());
    routes_.push_back(std::move(r));
  }
}

Result<const Route*> RouteTable::Find(std::string_view service_id,
                                      std::string_view route_id) const {
  const auto it = by_service_.find(std::string(service_id));
  if (it != by_service_.end()) {
    const Route* fallback = nullptr;
    for (const size_t i : it->second) {
      const Route& r = routes_[i];
      if (!route_id.empty() && r.route_id == route_id) {
        return &r;
      }
      if (r.route_id.empty()) {
        fallback = &r;
      }
    }
    if (fallback != nullptr) {
      return fallback;
    }
  }
  std::string msg = "no route for serviceId '" + SanitizeForLog(service_id, 100) + "'";
  if (!route_id.empty()) {
    msg += " routeId '" + SanitizeForLog(route_id, 100) + "'";
  }
  return Status(ErrorCode::kRoutingUnknownService, std::move(msg));
}

}  // namespace shepgw::routing
