// Shared by the pki unit tests: a settable clock, scratch directories, files, and test PKIs
// generated once per build tree.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "shepgw/common/clock.h"

#include <unistd.h>

namespace shepgw::pki::test_support {

using TimePoint = std::chrono::system_clock::time_point;

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void Set(TimePoint now) { now_ = now; }

 private:
  TimePoint now_;
};

// A per-test scratch directory.
class TempDir {
 public:
  TempDir() {
    std::string templ = ::testing::TempDir() + "pki_test.XXXXXX";
    path_ = mkdtemp(templ.data()) != nullptr ? templ : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void CopyFile(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}
inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Runs `generate` (a shell command taking the target directory as its last argument) once per
// build tree: ctest runs every test in its own process, so the PKI is generated into a private
// directory and renamed into place; concurrent processes never see a half-written one.
inline std::string GeneratedDir(const std::string& final_dir, const std::string& marker_file,
                                const std::string& generate) {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(final_dir) / marker_file)) {
    const fs::path tmp = final_dir + ".tmp." + std::to_string(getpid());
    fs::remove_all(tmp);
    const std::string cmd = generate + " '" + tmp.string() + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) {
      std::error_code ec;
      fs::rename(tmp, final_dir, ec);  // fails when another process was first: fine
    }
    fs::remove_all(tmp);
  }
  return final_dir;
}

}  // namespace shepgw::pki::test_support
