// Process-wide libxml2 settings. They protect every libxml2 user in the process (the wss
// module included), not only our parse, which does not depend on them (see xml_parse.cc).
#include <mutex>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "shepgw/envelope/envelope.h"

namespace shepgw::envelope {
namespace {

// Nothing external is ever loaded: no DTD, no external entity, whatever the URL scheme.
xmlParserInputPtr RefuseExternalEntity(const char* /*url*/, const char* /*id*/,
                                       xmlParserCtxtPtr /*ctxt*/) {
  return nullptr;
}

// libxml2's default generic handler prints to stderr; our parses use a per-context
// structured handler, and anything else reporting through the generic one is dropped here
// rather than ending up unformatted in the journal.
void SilentGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}

}  // namespace

void InitXmlLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternalEntity);
    // These defaults are thread-local in libxml2: set them for this thread and for threads
    // created later.
    xmlThrDefLoadExtDtdDefaultValue(0);
    xmlLoadExtDtdDefaultValue = 0;
    xmlThrDefSubstituteEntitiesDefaultValue(0);
    xmlSubstituteEntitiesDefault(0);
    xmlThrDefSetGenericErrorFunc(nullptr, SilentGenericError);
    xmlSetGenericErrorFunc(nullptr, SilentGenericError);
  });
}

}  // namespace shepgw::envelope
