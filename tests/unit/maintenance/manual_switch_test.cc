#include <filesystem>
#include <fstream>
#include <thread>

#include "test_util.h"

namespace shepgw::maintenance {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using std::chrono::minutes;

class ManualSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("shepgw-maint-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "state.yaml").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& content) { std::ofstream(path_) << content; }

  std::filesystem::path dir_;
  std::string path_;
  const TimePoint now_ = Utc("2026-12-10T10:00:00Z");
};

TEST_F(ManualSwitchTest, OnOffInMemory) {
  ManualSwitch sw;
  EXPECT_TRUE(sw.Status()->entries.empty());
  auto c = sw.On(std::nullopt, "Срочное обновление", std::nullopt, now_);
  EXPECT_TRUE(c.applied);
  EXPECT_EQ(c.error, "");
  ASSERT_EQ(sw.Status()->entries.size(), 1u);
  EXPECT_EQ(sw.Status()->entries[0].service_id, "");
  EXPECT_EQ(sw.Status()->entries[0].since, now_);
  // Same scope replaces; another service adds.
  sw.On(std::nullopt, "again", now_ + minutes(30), now_);
  sw.On("A", "A only", std::nullopt, now_);
  ASSERT_EQ(sw.Status()->entries.size(), 2u);
  EXPECT_EQ(sw.Status()->entries[0].notice, "again");
  // Off one service, then everything.
  sw.Off("A");
  EXPECT_EQ(sw.Status()->entries.size(), 1u);
  sw.Off(std::nullopt);
  EXPECT_TRUE(sw.Status()->entries.empty());
  EXPECT_TRUE(sw.Off(std::nullopt).applied);  // idempotent
}

TEST_F(ManualSwitchTest, RefusesBadInput) {
  ManualSwitch sw;
  EXPECT_EQ(sw.On(std::nullopt, "x", now_, now_).error, "'until' must be in the future");
  EXPECT_EQ(sw.On(std::nullopt, std::string(1001, 'x'), std::nullopt, now_).error,
            "notice must be at most 1000 bytes, got 1001");
  EXPECT_EQ(sw.On(std::nullopt, "caf\xe9", std::nullopt, now_).error,
            "notice must be UTF-8 without control characters");
  EXPECT_EQ(sw.On("A\nB", "", std::nullopt, now_).error, "invalid service id");
  EXPECT_TRUE(sw.Status()->entries.empty());
}

TEST_F(ManualSwitchTest, UntilExpires) {
  ManualSwitch sw;
  sw.On(std::nullopt, "short", now_ + minutes(10), now_);
  const Schedule schedule;
  EXPECT_TRUE(schedule.At(now_ + minutes(9), "S", *sw.Status()).in_window);
  EXPECT_FALSE(schedule.At(now_ + minutes(10), "S", *sw.Status()).in_window);
  // The expired entry is dropped by the next change.
  sw.On("A", "", std::nullopt, now_ + minutes(11));
  ASSERT_EQ(sw.Status()->entries.size(), 1u);
  EXPECT_EQ(sw.Status()->entries[0].service_id, "A");
}

TEST_F(ManualSwitchTest, PersistenceRoundTrip) {
  {
    ManualSwitch sw(path_);
    EXPECT_EQ(sw.load_error(), "");  // no file yet: fine
    EXPECT_EQ(
        sw.On(std::nullopt, "Жаңарту \"қызмет\" / обновление", now_ + minutes(45), now_).error, "");
    EXPECT_EQ(sw.On("SVC_A", "", std::nullopt, now_).error, "");
  }
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  ManualSwitch restored(path_);
  EXPECT_EQ(restored.load_error(), "");
  ASSERT_EQ(restored.Status()->entries.size(), 2u);
  const ManualEntry& e = restored.Status()->entries[0];
  EXPECT_EQ(e.service_id, "");
  EXPECT_EQ(e.notice, "Жаңарту \"қызмет\" / обновление");
  EXPECT_EQ(e.since, now_);
  EXPECT_EQ(e.until, now_ + minutes(45));
  EXPECT_EQ(restored.Status()->entries[1].service_id, "SVC_A");
  EXPECT_FALSE(restored.Status()->entries[1].until.has_value());
  // Off is persisted too.
  restored.Off(std::nullopt);
  EXPECT_TRUE(ManualSwitch(path_).Status()->entries.empty());
}

TEST_F(ManualSwitchTest, CorruptFileIsIgnored) {
  for (const std::string& content : std::vector<std::string>{
           "{{{ not yaml", "version: 2\nentries: []\n", "version: 1\nentries: 5\n",
           "version: 1\nentries:\n  - notice: x\n", "version: 1\nentries:\n  - since: yesterday\n",
           "version: 1\nentries:\n  - since: 2026-12-10T10:00:00Z\n    colour: red\n",
           "version: 1\nentries:\n  - since: 2026-12-10T10:00:00Z\n  - since: "
           "2026-12-10T10:00:00Z\n",
           std::string("\x00\x01\x02", 3)}) {
    Write(content);
    ManualSwitch sw(path_);
    EXPECT_NE(sw.load_error(), "") << content;
    EXPECT_EQ(sw.load_error().rfind("ignoring '" + path_ + "': ", 0), 0u) << sw.load_error();
    EXPECT_TRUE(sw.Status()->entries.empty());
    // Still usable, and the next change replaces the corrupt file.
    EXPECT_EQ(sw.On(std::nullopt, "", std::nullopt, now_).error, "");
    EXPECT_EQ(ManualSwitch(path_).load_error(), "");
  }
}

TEST_F(ManualSwitchTest, UnwritableStateFileStillAppliesInMemory) {
  ManualSwitch sw((dir_ / "missing-dir" / "state.yaml").string());
  const auto c = sw.On(std::nullopt, "", std::nullopt, now_);
  EXPECT_TRUE(c.applied);
  EXPECT_EQ(c.error.rfind("applied, but not persisted (lost on restart): cannot create ", 0), 0u)
      << c.error;
  EXPECT_EQ(sw.Status()->entries.size(), 1u);
}

TEST_F(ManualSwitchTest, ParseAndRender) {
  ManualState state;
  state.entries.push_back({"", "a: b # not a comment", now_, std::nullopt});
  std::string error;
  const auto parsed = ParseManualState(RenderManualState(state), &error);
  ASSERT_TRUE(parsed.has_value()) << error;
  EXPECT_EQ(parsed->entries, state.entries);
}

TEST_F(ManualSwitchTest, ConcurrentUse) {
  ManualSwitch sw(path_);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        sw.On("S" + std::to_string(i), "", std::nullopt, now_);
        (void)sw.Status();
        sw.Off("S" + std::to_string(i));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_TRUE(sw.Status()->entries.empty());
  EXPECT_TRUE(ManualSwitch(path_).Status()->entries.empty());
}

}  // namespace
}  // namespace shepgw::maintenance
