// The hardened libxml2 parse shared by requests and upstream responses.
//
// One pass, SAX2 tree building with guards spliced into the SAX callbacks, so the hostile
// parts are refused *while* parsing, before they cost anything:
//   - any DOCTYPE (internal or external subset), entity/element/attribute/notation
//     declaration stops the parser at the DOCTYPE itself: no entity is ever declared, so
//     billion-laughs and XXE never start;
//   - element nesting over limits.max_depth and node counts over limits.max_nodes stop it at
//     the offending start tag (our counter, not libxml2's global xmlParserMaxDepth);
//   - a document that needs a transcoder (anything but UTF-8) stops it at startDocument;
//   - errors go to a per-context structured handler (never stderr) and the first one is kept.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "shepgw/common/status.h"
#include "shepgw/envelope/envelope.h"

namespace shepgw::envelope::internal {

// Nesting is also bounded by our own hard cap, whatever the configuration says: libxml2's
// tree code and ours stay far from stack or quadratic trouble at this depth.
inline constexpr int kHardMaxDepth = 2048;

struct XmlDocDeleter {
  void operator()(_xmlDoc* doc) const;
};
using XmlDocPtr = std::unique_ptr<_xmlDoc, XmlDocDeleter>;

// Receives the element structure instead of a tree (a check that keeps nothing, e.g.
// CheckResponse): element starts and ends with their depth (the root is 1), and text or
// CDATA directly inside the element at `depth`. Comments and PIs are not reported.
class StructureSink {
 public:
  virtual ~StructureSink() = default;
  virtual void StartElement(int depth, std::string_view uri, std::string_view local) = 0;
  virtual void EndElement(int depth) = 0;
  virtual void Text(int depth, std::string_view text) = 0;
};

// Parses `bytes` (which must stay alive only for the call). On success *doc owns a
// namespace-well-formed tree with a root element and no DTD. Errors: kEnvelopeMalformedXml,
// kEnvelopeDtdForbidden, kEnvelopeLimitExceeded. `consumed`: see envelope::ParseRequest.
Status ParseXml(std::string_view bytes, const ParseLimits& limits, XmlDocPtr* doc,
                const std::function<void(size_t)>& consumed = {});

// The same parse, hardening and errors, but no tree is built: the events go to `sink`.
Status ScanXml(std::string_view bytes, const ParseLimits& limits, StructureSink* sink);

}  // namespace shepgw::envelope::internal
