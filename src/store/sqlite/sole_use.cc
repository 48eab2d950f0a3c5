#include "store/sqlite/sole_use.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace coldtrack::store::sqlite {
namespace {

constexpr off_t kSize = 4096;

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

struct flock lock_of(short type) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 1;
  l.l_pid = 0;  // required for open file description locks
  return l;
}

}  // namespace

SoleUseFile::SoleUseFile(const std::string& db_path, std::chrono::milliseconds poll) : poll_(poll) {
  const auto path = path_for(db_path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("cannot open", path);
  auto shared = lock_of(F_RDLCK);
  // Before the count moves: whoever sees the new count also finds the lock.
  while (::fcntl(fd_, F_OFD_SETLKW, &shared) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      fail("cannot lock", path);
    }
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || (st.st_size < kSize && ::ftruncate(fd_, kSize) != 0)) {
    ::close(fd_);
    fail("cannot size", path);
  }
  map_ = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map_ == MAP_FAILED) {
    ::close(fd_);
    fail("cannot map", path);
  }
  joins_ = static_cast<std::uint64_t*>(map_);
  std::atomic_ref<std::uint64_t>(*joins_).fetch_add(1, std::memory_order_seq_cst);
  check();
  poller_ = std::jthread([this](std::stop_token stop) { poll_loop(stop); });
}

SoleUseFile::~SoleUseFile() {
  poller_.request_stop();
  if (poller_.joinable()) poller_.join();
  if (map_ && map_ != MAP_FAILED) ::munmap(map_, kSize);
  if (fd_ >= 0) ::close(fd_);  // drops the lock
}

bool SoleUseFile::others_hold_lock() const {
  // A write lock would conflict with any read lock held through another open file description.
  auto probe = lock_of(F_WRLCK);
  if (::fcntl(fd_, F_OFD_GETLK, &probe) != 0) return true;  // cannot tell: assume others
  return probe.l_type != F_UNLCK;
}

void SoleUseFile::check() {
  // The count first: a user joining after this read holds its lock before it moves the count,
  // so either the lock test below finds it or epoch() sees the count move.
  const auto joins = std::atomic_ref<std::uint64_t>(*joins_).load(std::memory_order_seq_cst);
  const bool others = others_hold_lock();
  if (!others) alone_at_.store(joins, std::memory_order_seq_cst);
  others_.store(others, std::memory_order_seq_cst);
}

std::optional<std::uint64_t> SoleUseFile::epoch() const {
  if (others_.load(std::memory_order_seq_cst)) return std::nullopt;
  const auto alone_at = alone_at_.load(std::memory_order_seq_cst);
  const auto joins = std::atomic_ref<std::uint64_t>(*joins_).load(std::memory_order_seq_cst);
  if (joins != alone_at) return std::nullopt;  // someone joined since the last check
  return joins;
}

void SoleUseFile::poll_loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, stop, poll_, [] { return false; })) {
    if (stop.stop_requested()) return;
    check();
  }
}

}  // namespace coldtrack::store::sqlite
