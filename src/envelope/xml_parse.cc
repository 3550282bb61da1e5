#include "envelope/xml_parse.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "envelope/xml_text.h"

namespace shepgw::envelope::internal {
namespace {

// Libxml2 messages may quote names from the input; keep them short in faults and logs.
constexpr size_t kMaxDetail = 120;
// libxml2 2.9 checks an element's attributes (and namespace declarations) for duplicates
// pairwise: quadratic in their number, *before* any SAX callback could object. 160 000
// attributes in one 1.6 MB start tag cost 13 s of CPU. Real SOAP elements carry a handful.
constexpr size_t kMaxAttributesPerElement = 256;
// Declarations in scope at any point (see OnStartElementNs). Signed ShEP messages use ~10.
constexpr int kMaxNamespacesInScope = 128;

enum class StopReason { kNone, kDtd, kDepth, kNodes, kNamespaces, kEncoding };

// Per-parse state, reached from the SAX callbacks through ctxt->_private.
struct ParseState {
  StructureSink* sink = nullptr;            // set: no tree, events go here
  std::unordered_set<std::string> xml_ids;  // sink mode: the xml:id values seen
  int max_depth = 0;
  size_t max_nodes = 0;
  int depth = 0;
  size_t nodes = 0;
  // Namespace declarations in scope: the running total and what each open element added.
  int namespaces_in_scope = 0;
  std::array<uint16_t, kHardMaxDepth + 2> namespaces_declared{};
  StopReason stop = StopReason::kNone;
  int stop_line = 0;
  std::string encoding;  // the refused encoding, for the message
  // The first error libxml2 reported (warnings are ignored).
  bool has_error = false;
  int error_code = 0;
  int error_line = 0;
  std::string error_message;
};

struct CtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
using CtxtPtr = std::unique_ptr<xmlParserCtxt, CtxtDeleter>;

xmlParserCtxt* CtxtOf(void* ctx) { return static_cast<xmlParserCtxt*>(ctx); }
std::string_view ViewOf(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}
ParseState& StateOf(void* ctx) { return *static_cast<ParseState*>(CtxtOf(ctx)->_private); }

void Stop(void* ctx, StopReason reason) {
  ParseState& state = StateOf(ctx);
  if (state.stop == StopReason::kNone) {
    state.stop = reason;
    state.stop_line = xmlSAX2GetLineNumber(ctx);
  }
  // Halts at once: the input is discarded and no further SAX event is delivered.
  xmlStopParser(CtxtOf(ctx));
}

// --- DTD: any sign of one stops the parse before its content is read. -----------------------

void OnInternalSubset(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                      const xmlChar* /*system_id*/) {
  Stop(ctx, StopReason::kDtd);
}
void OnEntityDecl(void* ctx, const xmlChar* /*name*/, int /*type*/, const xmlChar* /*public_id*/,
                  const xmlChar* /*system_id*/, xmlChar* /*content*/) {
  Stop(ctx, StopReason::kDtd);
}
void OnElementDecl(void* ctx, const xmlChar* /*name*/, int /*type*/,
                   xmlElementContent* /*content*/) {
  Stop(ctx, StopReason::kDtd);
}
void OnAttributeDecl(void* ctx, const xmlChar* /*elem*/, const xmlChar* /*name*/, int /*type*/,
                     int /*def*/, const xmlChar* /*default_value*/, xmlEnumeration* tree) {
  xmlFreeEnumeration(tree);  // ownership passes to the callback
  Stop(ctx, StopReason::kDtd);
}
void OnNotationDecl(void* ctx, const xmlChar* /*name*/, const xmlChar* /*public_id*/,
                    const xmlChar* /*system_id*/) {
  Stop(ctx, StopReason::kDtd);
}
void OnUnparsedEntityDecl(void* ctx, const xmlChar* /*name*/, const xmlChar* /*public_id*/,
                          const xmlChar* /*system_id*/, const xmlChar* /*notation*/) {
  Stop(ctx, StopReason::kDtd);
}
// No entity other than the five predefined ones (which libxml2 resolves before asking)
// exists; an undeclared reference is then a well-formedness error.
xmlEntity* OnGetEntity(void* /*ctx*/, const xmlChar* /*name*/) { return nullptr; }
xmlParserInput* OnResolveEntity(void* ctx, const xmlChar* /*public_id*/,
                                const xmlChar* /*system_id*/) {
  Stop(ctx, StopReason::kDtd);
  return nullptr;
}

// --- Encoding: only UTF-8 (with or without BOM/declaration). ---------------------------------

void OnStartDocument(void* ctx) {
  xmlParserCtxt* ctxt = CtxtOf(ctx);
  // By now BOM sniffing and the XML declaration are processed. libxml2 handles UTF-8
  // natively; any other encoding installs a transcoder on the input buffer.
  if (ctxt->input != nullptr && ctxt->input->buf != nullptr &&
      ctxt->input->buf->encoder != nullptr) {
    const char* name = ctxt->input->encoding != nullptr
                           ? reinterpret_cast<const char*>(ctxt->input->encoding)
                           : ctxt->input->buf->encoder->name;
    StateOf(ctx).encoding = name != nullptr ? name : "?";
    Stop(ctx, StopReason::kEncoding);
    return;
  }
  if (StateOf(ctx).sink == nullptr) {
    xmlSAX2StartDocument(ctx);
  }
}

// --- Size of the tree. -----------------------------------------------------------------------

bool CountNodes(void* ctx, size_t n) {
  ParseState& state = StateOf(ctx);
  state.nodes += n;
  if (state.nodes > state.max_nodes) {
    Stop(ctx, StopReason::kNodes);
    return false;
  }
  return true;
}

void RecordError(void* ctx, const std::string& message) {
  ParseState& state = StateOf(ctx);
  if (!state.has_error) {
    state.has_error = true;
    state.error_line = xmlSAX2GetLineNumber(ctx);
    state.error_message = SanitizeDetail(message, kMaxDetail);
  }
}

// Without a tree, the two errors libxml2's tree builder (xmlSAX2AttributeNs) raises on
// well-formed input: an xml:id that is not an NCName, and an xml:id value used twice. Same
// verdict, same message, so ScanXml refuses exactly what ParseXml refuses.
void CheckXmlIds(void* ctx, int nb_attributes, const xmlChar** attributes) {
  ParseState& state = StateOf(ctx);
  for (int i = 0; i < nb_attributes; ++i) {
    const xmlChar** a = attributes + static_cast<ptrdiff_t>(5) * i;
    if (ViewOf(a[1]) != "xml" || ViewOf(a[0]) != "id") {
      continue;
    }
    // The value as the parser hands it over ("&" stays "&#38;"), which is what the tree
    // builder checks and quotes.
    xmlChar* value = a[3] == nullptr ? nullptr : xmlStrndup(a[3], static_cast<int>(a[4] - a[3]));
    if (value == nullptr) {
      continue;
    }
    const std::string id(reinterpret_cast<const char*>(value));
    const bool nc_name = xmlValidateNCName(value, 1) == 0;
    xmlFree(value);
    if (!nc_name) {
      RecordError(ctx, "xml:id : attribute value " + id + " is not an NCName");
    }
    if (!state.xml_ids.insert(id).second) {
      RecordError(ctx, "ID " + id + " already defined");
    }
  }
}

void OnStartElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                      const xmlChar* uri, int nb_namespaces, const xmlChar** namespaces,
                      int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
  ParseState& state = StateOf(ctx);
  // Checked before the node exists: a 100 000-deep document stops at max_depth + 1.
  if (++state.depth > state.max_depth) {
    Stop(ctx, StopReason::kDepth);
    return;
  }
  if (!CountNodes(ctx, 1 + static_cast<size_t>(std::max(nb_attributes, 0)))) {
    return;
  }
  // Every prefixed name is resolved by a linear walk over the declarations in scope (in
  // libxml2's parser and again in its tree builder): thousands of them in scope would make
  // each element cost thousands of steps.
  state.namespaces_in_scope += nb_namespaces;
  state.namespaces_declared[static_cast<size_t>(state.depth)] =
      static_cast<uint16_t>(std::clamp(nb_namespaces, 0, 65535));
  if (state.namespaces_in_scope > kMaxNamespacesInScope) {
    Stop(ctx, StopReason::kNamespaces);
    return;
  }
  if (state.sink != nullptr) {
    CheckXmlIds(ctx, nb_attributes, attributes);
    state.sink->StartElement(state.depth, ViewOf(uri), ViewOf(localname));
    return;
  }
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                        nb_defaulted, attributes);
}

void OnEndElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                    const xmlChar* uri) {
  ParseState& state = StateOf(ctx);
  state.namespaces_in_scope -= state.namespaces_declared[static_cast<size_t>(state.depth)];
  if (state.sink != nullptr) {
    state.sink->EndElement(state.depth--);
    return;
  }
  --state.depth;
  xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

void OnComment(void* ctx, const xmlChar* value) {
  if (CountNodes(ctx, 1) && StateOf(ctx).sink == nullptr) {
    xmlSAX2Comment(ctx, value);
  }
}

void OnProcessingInstruction(void* ctx, const xmlChar* target, const xmlChar* data) {
  if (CountNodes(ctx, 1) && StateOf(ctx).sink == nullptr) {
    xmlSAX2ProcessingInstruction(ctx, target, data);
  }
}

void OnCdataBlock(void* ctx, const xmlChar* value, int len) {
  if (!CountNodes(ctx, 1)) {
    return;
  }
  ParseState& state = StateOf(ctx);
  if (state.sink != nullptr) {
    state.sink->Text(state.depth, std::string_view(reinterpret_cast<const char*>(value),
                                                   static_cast<size_t>(std::max(len, 0))));
    return;
  }
  xmlSAX2CDataBlock(ctx, value, len);
}

// Character data (whitespace included: signatures are computed over it).
void OnCharacters(void* ctx, const xmlChar* value, int len) {
  ParseState& state = StateOf(ctx);
  if (state.sink != nullptr) {
    state.sink->Text(state.depth, std::string_view(reinterpret_cast<const char*>(value),
                                                   static_cast<size_t>(std::max(len, 0))));
    return;
  }
  xmlSAX2Characters(ctx, value, len);
}

// --- Errors: kept, never printed. ------------------------------------------------------------

void OnStructuredError(void* user_data, xmlError* error) {
  // userData is the parser context (xmlCreateMemoryParserCtxt sets it so).
  if (user_data == nullptr || error == nullptr || CtxtOf(user_data)->_private == nullptr) {
    return;
  }
  ParseState& state = StateOf(user_data);
  if (error->level < XML_ERR_ERROR || state.has_error) {
    return;
  }
  state.has_error = true;
  state.error_code = error->code;
  state.error_line = error->line;
  state.error_message = SanitizeDetail(
      TrimXmlSpace(error->message != nullptr ? std::string_view(error->message) : ""), kMaxDetail);
}

void InstallHandlers(xmlSAXHandler* sax) {
  sax->internalSubset = OnInternalSubset;
  sax->externalSubset = OnInternalSubset;
  sax->entityDecl = OnEntityDecl;
  sax->elementDecl = OnElementDecl;
  sax->attributeDecl = OnAttributeDecl;
  sax->notationDecl = OnNotationDecl;
  sax->unparsedEntityDecl = OnUnparsedEntityDecl;
  sax->getEntity = OnGetEntity;
  sax->getParameterEntity = OnGetEntity;
  sax->resolveEntity = OnResolveEntity;
  sax->startDocument = OnStartDocument;
  sax->startElementNs = OnStartElementNs;
  sax->endElementNs = OnEndElementNs;
  sax->comment = OnComment;
  sax->processingInstruction = OnProcessingInstruction;
  sax->cdataBlock = OnCdataBlock;
  // Whitespace is content: signatures are computed over it.
  sax->characters = OnCharacters;
  sax->ignorableWhitespace = OnCharacters;
  sax->warning = nullptr;
  sax->error = nullptr;
  sax->fatalError = nullptr;
  sax->serror = OnStructuredError;
  sax->initialized = XML_SAX2_MAGIC;  // SAX2 (namespaces) + serror honoured
}

Status Malformed(std::string message) {
  return {ErrorCode::kEnvelopeMalformedXml, std::move(message)};
}

std::string AtLine(int line, std::string_view what) {
  std::string out = "line " + std::to_string(line) + ": ";
  out += what;
  return out;
}

int LineAt(std::string_view bytes, size_t pos) {
  return 1 +
         static_cast<int>(std::count(bytes.begin(), bytes.begin() + static_cast<long>(pos), '\n'));
}

// A linear lexical pass over the markup, run before libxml2 sees the input, for the one limit
// libxml2 cannot be stopped in time for: attributes per start tag (see
// kMaxAttributesPerElement). It also refuses a DOCTYPE anywhere.
//
// It only needs to agree with libxml2 on well-formed input, where it tokenises exactly as XML
// does ('<' starts markup except inside comments, CDATA sections and PIs; '>' inside a quoted
// attribute value does not end the tag; '<' never appears in a tag). Anything it cannot
// tokenise is not well-formed, and is refused here. On input it accepts, every tag libxml2
// could parse, even while recovering from an error, lies within one of the tags counted here
// (no tag contains '<', so libxml2 resynchronises on the same '<'). Constructs cut off by the
// end of input are left to libxml2, which reports them and reads no further.
Status PreScan(std::string_view bytes) {
  const char* const data = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const void* lt = std::memchr(data + i, '<', n - i);
    if (lt == nullptr) {
      return Status::Ok();
    }
    const auto start = static_cast<size_t>(static_cast<const char*>(lt) - data);
    const std::string_view rest = bytes.substr(start);
    size_t end = std::string_view::npos;  // index just past the construct
    if (rest.starts_with("<!--")) {
      end = bytes.find("-->", start + 4);
      end = end == std::string_view::npos ? end : end + 3;
    } else if (rest.starts_with("<![CDATA[")) {
      end = bytes.find("]]>", start + 9);
      end = end == std::string_view::npos ? end : end + 3;
    } else if (rest.starts_with("<?")) {
      end = bytes.find("?>", start + 2);
      end = end == std::string_view::npos ? end : end + 2;
    } else if (rest.starts_with("<!DOCTYPE")) {
      return {ErrorCode::kEnvelopeDtdForbidden,
              AtLine(LineAt(bytes, start), "DOCTYPE/DTD declarations are not allowed")};
    } else if (rest.starts_with("<!")) {
      return Malformed(
          AtLine(LineAt(bytes, start), "'<!' starts neither a comment nor a CDATA section"));
    } else {
      // Start or end tag: up to the first '>' outside quotes.
      size_t equals = 0;
      char quote = 0;
      for (size_t j = start + 1; j < n; ++j) {
        const char c = data[j];
        if (c == '<') {
          return Malformed(AtLine(LineAt(bytes, j), "'<' inside a tag or attribute value"));
        }
        if (quote != 0) {
          quote = c == quote ? static_cast<char>(0) : quote;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '=') {
          if (++equals > kMaxAttributesPerElement) {
            return {ErrorCode::kEnvelopeLimitExceeded,
                    AtLine(LineAt(bytes, start), "element with more than " +
                                                     std::to_string(kMaxAttributesPerElement) +
                                                     " attributes")};
          }
        } else if (c == '>') {
          end = j + 1;
          break;
        }
      }
    }
    if (end == std::string_view::npos) {
      return Status::Ok();  // truncated: libxml2 reports it and never reads past the end
    }
    i = end;
  }
  return Status::Ok();
}

}  // namespace

void XmlDocDeleter::operator()(_xmlDoc* doc) const { xmlFreeDoc(doc); }

namespace {

Status Parse(std::string_view bytes, const ParseLimits& limits, XmlDocPtr* doc, StructureSink* sink,
             const std::function<void(size_t)>& consumed) {
  if (doc != nullptr) {
    doc->reset();
  }
  // Size first, before libxml2 sees (or copies) a byte.
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    return {ErrorCode::kEnvelopeLimitExceeded, "document is " + std::to_string(bytes.size()) +
                                                   " bytes, limit " +
                                                   std::to_string(limits.max_bytes)};
  }
  if (bytes.empty()) {
    return Malformed("empty document");
  }
  if (Status scan = PreScan(bytes); !scan.ok()) {
    return scan;
  }

  // Large documents go to a push parser in slices: libxml2 then keeps only the unparsed rest
  // of the current slice, not a copy of the whole input (the memory parser copies it into a
  // buffer grown to the next power of two: 16 MiB for a 10 MB message, next to the message
  // and its tree). Below kPushFrom the copy is cheap and the memory parser is faster (push
  // mode cost ~10 % more CPU at 100 KB). The memory parser's copy is needed because its
  // scanner relies on a NUL terminator that a string_view does not promise. No SAX event
  // happens before parsing starts, so the handlers installed below see everything.
  constexpr size_t kPushFrom = size_t{1} << 20;
  const bool push = bytes.size() >= kPushFrom;
  CtxtPtr ctxt(push ? xmlCreatePushParserCtxt(nullptr, nullptr, nullptr, 0, nullptr)
                    : xmlCreateMemoryParserCtxt(bytes.data(), static_cast<int>(bytes.size())));
  if (ctxt == nullptr) {
    return {ErrorCode::kEnvelopeLimitExceeded, "out of memory creating the parser"};
  }
  ParseState state;
  state.sink = sink;
  state.max_depth = std::clamp(limits.max_depth, 1, kHardMaxDepth);
  state.max_nodes = limits.max_nodes;
  ctxt->_private = &state;
  InstallHandlers(ctxt->sax);

  // NONET: belt and braces (no loader is ever reached). HUGE lifts libxml2's fixed 10 MB
  // text-node and global-depth limits: our own byte, depth and node limits replace them, and
  // a legitimate base64 payload may exceed 10 MB. Never NOENT/DTDLOAD/DTDATTR/DTDVALID
  // (entity substitution, DTD loading), never NOBLANKS (signatures cover whitespace).
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_BIG_LINES);
  // Thread-local libxml2 defaults (xmlSubstituteEntitiesDefault & co) seed these fields;
  // force them whatever another module set on this thread.
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;
  ctxt->pedantic = 0;
  ctxt->recovery = 0;
  ctxt->keepBlanks = 1;
  ctxt->linenumbers = 1;
  ctxt->sax->ignorableWhitespace = OnCharacters;  // xmlCtxtUseOptions may reset it

  constexpr size_t kSlice = size_t{256} * 1024;
  if (!push) {
    xmlParseDocument(ctxt.get());
  }
  for (size_t offset = 0; push && offset < bytes.size();) {
    const size_t n = std::min(kSlice, bytes.size() - offset);
    const bool last = offset + n == bytes.size();
    // Non-zero: a fatal error or a stop from our callbacks; the checks below say which.
    if (xmlParseChunk(ctxt.get(), bytes.data() + offset, static_cast<int>(n), last ? 1 : 0) != 0) {
      break;
    }
    offset += n;
    // xmlParseChunk copied what it did not parse yet into its own input buffer: the slice
    // is not read again, and the caller may free it now.
    if (consumed) {
      consumed(offset);
    }
  }
  XmlDocPtr parsed(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  const bool well_formed = ctxt->wellFormed != 0 && ctxt->nsWellFormed != 0;
  ctxt->_private = nullptr;
  ctxt.reset();

  switch (state.stop) {
    case StopReason::kDtd:
      return {ErrorCode::kEnvelopeDtdForbidden,
              AtLine(state.stop_line, "DOCTYPE/DTD declarations are not allowed")};
    case StopReason::kDepth:
      return {ErrorCode::kEnvelopeLimitExceeded,
              AtLine(state.stop_line,
                     "element nesting deeper than " + std::to_string(state.max_depth))};
    case StopReason::kNodes:
      return {ErrorCode::kEnvelopeLimitExceeded,
              AtLine(state.stop_line, "more than " + std::to_string(state.max_nodes) +
                                          " elements, attributes and other nodes")};
    case StopReason::kNamespaces:
      return {ErrorCode::kEnvelopeLimitExceeded,
              AtLine(state.stop_line, "more than " + std::to_string(kMaxNamespacesInScope) +
                                          " namespace declarations in scope")};
    case StopReason::kEncoding:
      return Malformed("encoding '" + SanitizeDetail(state.encoding, 40) +
                       "' is not supported: send UTF-8");
    case StopReason::kNone:
      break;
  }
  if (state.has_error || !well_formed || (sink == nullptr && parsed == nullptr)) {
    if (state.error_code == XML_ERR_NO_MEMORY) {
      return {ErrorCode::kEnvelopeLimitExceeded, "parser out of memory"};
    }
    if (state.error_code == XML_ERR_INTERNAL_ERROR &&
        state.error_message.find("depth") != std::string::npos) {
      // libxml2's own nesting guard (only reachable if HUGE were dropped).
      return {ErrorCode::kEnvelopeLimitExceeded, AtLine(state.error_line, state.error_message)};
    }
    if (state.has_error) {
      return Malformed(AtLine(state.error_line, state.error_message));
    }
    return Malformed("not well-formed");
  }
  if (sink != nullptr) {
    return Status::Ok();  // well-formed implies a root element
  }
  // Defence in depth: the callbacks above stop at any DOCTYPE, so these are always null.
  if (parsed->intSubset != nullptr || parsed->extSubset != nullptr) {
    return {ErrorCode::kEnvelopeDtdForbidden, "DOCTYPE/DTD declarations are not allowed"};
  }
  if (xmlDocGetRootElement(parsed.get()) == nullptr) {
    return Malformed("no root element");
  }
  *doc = std::move(parsed);
  return Status::Ok();
}

}  // namespace

Status ParseXml(std::string_view bytes, const ParseLimits& limits, XmlDocPtr* doc,
                const std::function<void(size_t)>& consumed) {
  return Parse(bytes, limits, doc, nullptr, consumed);
}

Status ScanXml(std::string_view bytes, const ParseLimits& limits, StructureSink* sink) {
  return Parse(bytes, limits, nullptr, sink, {});
}

}  // namespace shepgw::envelope::internal
