#include "shepgw/common/status.h"

namespace shepgw {

std::string Status::ToString() const {
  if (ok()) {
    return "ok";
  }
  std::string out(token());
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace shepgw
