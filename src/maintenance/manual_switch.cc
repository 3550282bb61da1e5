#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "shepgw/common/logging.h"
#include "shepgw/common/tz.h"
#include "shepgw/common/utf8.h"
#include "shepgw/maintenance/maintenance.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shepgw::maintenance {
namespace {

constexpr size_t kMaxNoticeBytes = 1000;
constexpr size_t kMaxServiceIdBytes = 256;
constexpr size_t kMaxEntries = 10'000;
constexpr size_t kMaxStateFileBytes = 4 * 1024 * 1024;

std::string ErrnoText(int e) { return std::system_category().message(e); }

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `content` to `path` atomically: a temporary file in the same directory, fsync,
// rename over the target, fsync of the directory. Returns "" or the error.
std::string WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "cannot create '" + tmp + "': " + ErrnoText(errno);
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int e = errno;
      close(fd);
      unlink(tmp.c_str());
      return "cannot write '" + tmp + "': " + ErrnoText(e);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const int e = errno;
    close(fd);
    unlink(tmp.c_str());
    return "cannot fsync '" + tmp + "': " + ErrnoText(e);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    return "cannot rename '" + tmp + "' to '" + path + "': " + ErrnoText(e);
  }
  const int dir = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);  // best effort: the rename is durable once the directory is
    close(dir);
  }
  return {};
}

std::string CheckEntry(const ManualEntry& e) {
  if (e.service_id.size() > kMaxServiceIdBytes || HasControl(e.service_id) ||
      !IsValidUtf8(e.service_id)) {
    return "invalid service id";
  }
  if (e.notice.size() > kMaxNoticeBytes) {
    return "notice must be at most " + std::to_string(kMaxNoticeBytes) + " bytes, got " +
           std::to_string(e.notice.size());
  }
  if (HasControl(e.notice) || !IsValidUtf8(e.notice)) {
    return "notice must be UTF-8 without control characters";
  }
  return {};
}

}  // namespace

std::string RenderManualState(const ManualState& state) {
  YAML::Emitter out;
  out << YAML::Comment(
      "shepgw unplanned maintenance (written by the gateway; edit only while it is stopped)");
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 1;
  out << YAML::Key << "entries" << YAML::Value << YAML::BeginSeq;
  for (const ManualEntry& e : state.entries) {
    out << YAML::BeginMap;
    if (!e.service_id.empty()) {
      out << YAML::Key << "service" << YAML::Value << YAML::DoubleQuoted << e.service_id;
    }
    out << YAML::Key << "notice" << YAML::Value << YAML::DoubleQuoted << e.notice;
    out << YAML::Key << "since" << YAML::Value << FormatUtc(e.since);
    if (e.until) {
      out << YAML::Key << "until" << YAML::Value << FormatUtc(*e.until);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::optional<ManualState> ParseManualState(std::string_view text, std::string* error) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap() || !root["version"] || root["version"].as<std::string>() != "1") {
      *error = "not a version 1 state file";
      return std::nullopt;
    }
    const YAML::Node entries = root["entries"];
    if (!entries || !entries.IsSequence() || entries.size() > kMaxEntries) {
      *error = "'entries' must be a list";
      return std::nullopt;
    }
    ManualState state;
    for (const YAML::Node& item : entries) {
      if (!item.IsMap()) {
        *error = "every entry must be a mapping";
        return std::nullopt;
      }
      ManualEntry e;
      for (const auto& kv : item) {
        const std::string key = kv.first.as<std::string>();
        const std::string value = kv.second.as<std::string>();
        if (key == "service") {
          e.service_id = value;
        } else if (key == "notice") {
          e.notice = value;
        } else if (key == "since" || key == "until") {
          const auto t = ParseUtc(value);
          if (!t) {
            *error = "'" + key + "' must be YYYY-MM-DDTHH:MM:SSZ";
            return std::nullopt;
          }
          (key == "since" ? e.since : e.until.emplace()) = *t;
        } else {
          *error = "unknown key in an entry";
          return std::nullopt;
        }
      }
      if (!item["since"]) {
        *error = "an entry without 'since'";
        return std::nullopt;
      }
      if (std::string problem = CheckEntry(e); !problem.empty()) {
        *error = problem;
        return std::nullopt;
      }
      if (std::any_of(state.entries.begin(), state.entries.end(),
                      [&](const ManualEntry& o) { return o.service_id == e.service_id; })) {
        *error = "two entries for the same service";
        return std::nullopt;
      }
      state.entries.push_back(std::move(e));
    }
    return state;
  } catch (const YAML::Exception& e) {
    *error = "not valid YAML: " + e.msg;
    return std::nullopt;
  }
}

ManualSwitch::ManualSwitch(std::string state_file)
    : state_file_(std::move(state_file)), state_(std::make_shared<ManualState>()) {
  if (state_file_.empty()) {
    return;
  }
  std::ifstream in(state_file_, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) {
      load_error_ = "cannot read '" + state_file_ + "': " + ErrnoText(errno);
    }
  } else {
    std::string content(kMaxStateFileBytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    std::string problem;
    std::optional<ManualState> state;
    if (content.size() > kMaxStateFileBytes) {
      problem = "larger than 4MiB";
    } else {
      state = ParseManualState(content, &problem);
    }
    if (state) {
      state_ = std::make_shared<const ManualState>(std::move(*state));
    } else {
      load_error_ = "ignoring '" + state_file_ + "': " + problem;
    }
  }
  if (!load_error_.empty()) {
    Log().warn("maintenance: unplanned maintenance state {}; starting with it switched off",
               SanitizeForLog(load_error_));
  } else if (!state_->entries.empty()) {
    Log().info("maintenance: {} unplanned maintenance entr{} restored from '{}'",
               state_->entries.size(), state_->entries.size() == 1 ? "y" : "ies",
               SanitizeForLog(state_file_));
  }
}

std::string ManualSwitch::Persist(const ManualState& state) const {
  if (state_file_.empty()) {
    return {};
  }
  std::string error = WriteAtomically(state_file_, RenderManualState(state));
  if (!error.empty()) {
    Log().error("maintenance: cannot persist unplanned maintenance state: {}",
                SanitizeForLog(error));
    error = "applied, but not persisted (lost on restart): " + error;
  }
  return error;
}

ManualSwitch::Change ManualSwitch::On(std::optional<std::string> service_id, std::string notice,
                                      std::optional<TimePoint> until, TimePoint now) {
  ManualEntry entry{service_id.value_or(""), std::move(notice), now, until};
  if (std::string problem = CheckEntry(entry); !problem.empty()) {
    return {false, problem};
  }
  if (until && *until <= now) {
    return {false, "'until' must be in the future"};
  }
  std::lock_guard lock(mu_);
  auto next = std::make_shared<ManualState>();
  for (const ManualEntry& e : state_->entries) {
    // Same scope is replaced; expired entries are dropped on the way.
    if (e.service_id != entry.service_id && !(e.until && *e.until <= now)) {
      next->entries.push_back(e);
    }
  }
  if (next->entries.size() >= kMaxEntries) {
    return {false, "too many unplanned maintenance entries"};
  }
  next->entries.push_back(std::move(entry));
  Change change{true, Persist(*next)};
  state_ = std::move(next);
  return change;
}

ManualSwitch::Change ManualSwitch::Off(std::optional<std::string> service_id) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<ManualState>();
  if (service_id) {
    for (const ManualEntry& e : state_->entries) {
      if (e.service_id != *service_id) {
        next->entries.push_back(e);
      }
    }
  }
  if (next->entries == state_->entries) {
    return {true, {}};  // nothing to switch off
  }
  Change change{true, Persist(*next)};
  state_ = std::move(next);
  return change;
}

std::shared_ptr<const ManualState> ManualSwitch::Status() const {
  std::lock_guard lock(mu_);
  return state_;
}

}  // namespace shepgw::maintenance
