#include "config/yaml_reader.h"

#include <algorithm>

#include "config/values.h"

namespace shepgw::config::internal {
namespace {

std::string KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

// Returns the scalar text of a present field, or records "expected <what>, got ...".
bool ScalarOf(ErrorList& errors, const Field& field, std::string_view what, std::string* out) {
  if (!field.present) {
    return false;
  }
  if (!field.node.IsScalar()) {
    errors.Add(field.path, field.line,
               "expected " + std::string(what) + ", got " + KindOf(field.node));
    return false;
  }
  *out = field.node.Scalar();
  return true;
}

}  // namespace

int LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

void ErrorList::Add(std::string key_path, int line, std::string message) {
  errors_.push_back(ConfigError{std::move(key_path), line, std::move(message)});
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) {
    out += '.';
  }
  out += key;
  return out;
}

MapReader::MapReader(ErrorList& errors, const Field& field)
    : errors_(errors), path_(field.path), line_(field.line), under_error_(field.under_error) {
  if (!field.present || field.node.IsNull()) {
    return;
  }
  if (!field.node.IsMap()) {
    errors_.Add(path_, line_, "expected a mapping, got " + KindOf(field.node));
    ok_ = false;
    under_error_ = true;
    return;
  }
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const int key_line = LineOf(it->first);
    if (!it->first.IsScalar()) {
      errors_.Add(path_, key_line, "keys must be plain strings, got " + KindOf(it->first));
      continue;
    }
    // Keys are echoed in paths and messages, so they are made printable once here.
    std::string key = Printable(it->first.Scalar());
    // yaml-cpp keeps both pairs of a duplicated key and lookups silently return the first,
    // so an edit further down the file would have no effect: refuse it instead.
    const auto first = std::find_if(entries_.begin(), entries_.end(),
                                    [&](const Entry& e) { return e.key == key; });
    if (first != entries_.end()) {
      errors_.Add(JoinPath(path_, key), key_line,
                  "duplicate key '" + key + "' (first defined at line " +
                      std::to_string(first->line) + ")");
      continue;
    }
    entries_.push_back(Entry{std::move(key), key_line, it->second, false});
  }
}

Field MapReader::Get(std::string_view key) {
  known_.emplace_back(key);
  for (auto& entry : entries_) {
    if (entry.key == key) {
      entry.used = true;
      return Field{entry.value, true, JoinPath(path_, key), entry.line, false};
    }
  }
  return Field{YAML::Node(), false, JoinPath(path_, key), line_, under_error_};
}

void MapReader::Finish() {
  for (const auto& entry : entries_) {
    if (entry.used) {
      continue;
    }
    std::string message = "unknown key '" + entry.key + "'";
    const std::string* best = nullptr;
    int best_distance = 3;  // suggest only within two edits
    for (const auto& candidate : known_) {
      const int d = EditDistance(entry.key, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = &candidate;
      }
    }
    if (best != nullptr) {
      message += " (did you mean '" + *best + "'?)";
    }
    errors_.Add(JoinPath(path_, entry.key), entry.line, std::move(message));
  }
}

bool Require(ErrorList& errors, const Field& field) {
  if (field.present) {
    return true;
  }
  if (field.under_error) {
    return false;
  }
  errors.Add(field.path, field.line, "required key is missing");
  return false;
}

bool ReadString(ErrorList& errors, const Field& field, std::string* out) {
  std::string s;
  if (!ScalarOf(errors, field, "a string", &s)) {
    return false;
  }
  if (s.empty()) {
    errors.Add(field.path, field.line, "must not be empty (remove the key to use the default)");
    return false;
  }
  if (std::any_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    errors.Add(field.path, field.line, "must not contain control characters");
    return false;
  }
  *out = std::move(s);
  return true;
}

bool ReadBool(ErrorList& errors, const Field& field, bool* out) {
  std::string s;
  if (!ScalarOf(errors, field, "true or false", &s)) {
    return false;
  }
  // Only the two YAML 1.2 spellings: yes/no/on/off (YAML 1.1) are a classic source of
  // surprises ("NO" the country code).
  if (s == "true" || s == "false") {
    *out = s == "true";
    return true;
  }
  errors.Add(field.path, field.line, "expected true or false, got " + Quote(s));
  return false;
}

bool ReadInt64(ErrorList& errors, const Field& field, int64_t min, int64_t max, int64_t* out) {
  std::string s;
  if (!ScalarOf(errors, field, "an integer", &s)) {
    return false;
  }
  int64_t v = 0;
  if (std::string error = ParseInteger(s, &v); !error.empty()) {
    errors.Add(field.path, field.line, std::move(error));
    return false;
  }
  if (v < min || v > max) {
    errors.Add(
        field.path, field.line,
        "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + s);
    return false;
  }
  *out = v;
  return true;
}

bool ReadDuration(ErrorList& errors, const Field& field, Millis min, Millis max, Millis* out) {
  std::string s;
  if (!ScalarOf(errors, field, "a duration", &s)) {
    return false;
  }
  Millis v{0};
  if (std::string error = ParseDuration(s, &v); !error.empty()) {
    errors.Add(field.path, field.line, std::move(error));
    return false;
  }
  if (v < min || v > max) {
    errors.Add(
        field.path, field.line,
        "must be between " + FormatDuration(min) + " and " + FormatDuration(max) + ", got " + s);
    return false;
  }
  *out = v;
  return true;
}

bool ReadSize(ErrorList& errors, const Field& field, uint64_t min, uint64_t max, uint64_t* out) {
  std::string s;
  if (!ScalarOf(errors, field, "a size", &s)) {
    return false;
  }
  uint64_t v = 0;
  if (std::string error = ParseSize(s, &v); !error.empty()) {
    errors.Add(field.path, field.line, std::move(error));
    return false;
  }
  if (v < min || v > max) {
    errors.Add(field.path, field.line,
               "must be between " + FormatSize(min) + " and " + FormatSize(max) + ", got " + s);
    return false;
  }
  *out = v;
  return true;
}

bool ReadEnum(ErrorList& errors, const Field& field, std::span<const std::string_view> allowed,
              std::string* out) {
  std::string s;
  if (!ScalarOf(errors, field, "a string", &s)) {
    return false;
  }
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) {
    *out = std::move(s);
    return true;
  }
  std::string list;
  for (const auto& a : allowed) {
    if (!list.empty()) {
      list += ", ";
    }
    list += a;
  }
  errors.Add(field.path, field.line, "must be one of " + list + ", got " + Quote(s));
  return false;
}

std::vector<Field> ReadSequence(ErrorList& errors, const Field& field, size_t max_items, bool* ok) {
  *ok = false;
  std::vector<Field> items;
  if (!field.present) {
    return items;
  }
  if (!field.node.IsSequence()) {
    errors.Add(field.path, field.line, "expected a sequence, got " + KindOf(field.node));
    return items;
  }
  if (field.node.size() > max_items) {
    errors.Add(field.path, field.line,
               "too many entries (" + std::to_string(field.node.size()) + ", at most " +
                   std::to_string(max_items) + ")");
    return items;
  }
  size_t i = 0;
  for (auto it = field.node.begin(); it != field.node.end(); ++it, ++i) {
    const int line = LineOf(*it);
    items.push_back(Field{*it, true, field.path + "[" + std::to_string(i) + "]",
                          line != 0 ? line : field.line, false});
  }
  *ok = true;
  return items;
}

}  // namespace shepgw::config::internal
