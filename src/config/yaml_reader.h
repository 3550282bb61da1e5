// Strict, error-collecting access to a yaml-cpp document (internal to the config module;
// yaml-cpp never appears in include/).
//
// A section parser wraps its mapping in a MapReader, asks for every key it knows with Get()
// and feeds the Field to a Read* function. Asking for a key is what makes it known, so the
// unknown-key check and the "did you mean" suggestion need no separate key list: adding a
// key is one line. Every problem is appended to the ErrorList and parsing goes on, so the
// operator sees all errors of the file at once.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "shepgw/config/config.h"

namespace shepgw::config::internal {

// 1-based line of a node, 0 when yaml-cpp has no position for it.
int LineOf(const YAML::Node& node);

class ErrorList {
 public:
  void Add(std::string key_path, int line, std::string message);
  std::vector<ConfigError>& errors() { return errors_; }
  size_t size() const { return errors_.size(); }

 private:
  std::vector<ConfigError> errors_;
};

// A key looked up in the document. Absent keys carry the line of the enclosing mapping so
// "required key is missing" points somewhere useful.
struct Field {
  YAML::Node node;  // meaningful only when present
  bool present = false;
  std::string path;  // full key path: "listen.tls.cert", "routes[2].upstreams[0]"
  int line = 0;      // line of the key (or sequence item)
  // Set under a value that already failed its type check (`listen: 5`): its children are
  // neither present nor "missing", so Require() stays quiet instead of cascading.
  bool under_error = false;

  // yaml-cpp's Node::operator= rebinds the *referenced* node, i.e. it would edit the
  // document; copying a Field is fine, assigning one is a bug.
  Field& operator=(const Field&) = delete;
};

std::string JoinPath(std::string_view parent, std::string_view key);

class MapReader {
 public:
  // A present null value counts as an empty mapping (a section with every key commented
  // out); any other non-mapping value is a type error and the reader then yields nothing.
  MapReader(ErrorList& errors, const Field& field);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }
  // Looks `key` up and records it as known.
  Field Get(std::string_view key);
  // Reports every key that Get() was never asked for. Call once, after the last Get().
  void Finish();

 private:
  struct Entry {
    std::string key;
    int line;
    YAML::Node value;
    bool used;
  };
  ErrorList& errors_;
  std::string path_;
  int line_;
  bool ok_ = true;
  bool under_error_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
};

// Each Read* returns true when the key is present and valid and *out was set; absent keys
// return false silently, invalid ones return false after recording an error.
bool Require(ErrorList& errors, const Field& field);  // "required key is missing"
bool ReadString(ErrorList& errors, const Field& field, std::string* out);
bool ReadBool(ErrorList& errors, const Field& field, bool* out);
bool ReadInt64(ErrorList& errors, const Field& field, int64_t min, int64_t max, int64_t* out);
bool ReadDuration(ErrorList& errors, const Field& field, Millis min, Millis max, Millis* out);
bool ReadSize(ErrorList& errors, const Field& field, uint64_t min, uint64_t max, uint64_t* out);
bool ReadEnum(ErrorList& errors, const Field& field, std::span<const std::string_view> allowed,
              std::string* out);
// Checks that the field is a sequence of at most max_items, returns its items as Fields
// ("path[i]", line of the item). Empty when absent or invalid.
std::vector<Field> ReadSequence(ErrorList& errors, const Field& field, size_t max_items, bool* ok);

template <std::integral T>
bool ReadInt(ErrorList& errors, const Field& field, int64_t min, int64_t max, T* out) {
  int64_t v = 0;
  if (!ReadInt64(errors, field, min, max, &v)) {
    return false;
  }
  *out = static_cast<T>(v);  // min/max are chosen within T's range by the caller
  return true;
}

}  // namespace shepgw::config::internal
