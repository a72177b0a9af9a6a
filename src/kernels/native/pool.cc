// A small persistent thread pool for the native kernels: threads − 1 workers plus the calling
// thread split a kernel's tasks (blocks of a product's rows or panels, chunks of an elementwise
// kernel), taking them from a shared counter so a thread slowed by a neighbour takes fewer.
//
// Hand-off: the caller publishes the job and bumps a generation counter; workers spin on it for
// a while (a training step calls a kernel every few µs) and then sleep on a condition variable,
// so an idle pool costs nothing. The caller works on tasks too, then waits for the workers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "table.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void relax() { _mm_pause(); }
#else
static inline void relax() {}
#endif

namespace {

class Pool {
 public:
  ~Pool() { resize(1); }

  int threads() const { return count_; }

  void resize(int threads) {
    if (threads < 1) threads = 1;
    if (threads == count_) return;
    stop();
    count_ = threads;
    stopping_ = false;
    // A worker starts from the generation of now: a job published before it first runs is still its.
    const uint64_t now = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < threads; i++) workers_.emplace_back([this, now] { work(now); });
  }

  void run(int tasks, void (*fn)(void*, int), void* context) {
    // A second JavaScript thread using the kernels at the same time runs its share alone.
    if (count_ <= 1 || busy_.exchange(true, std::memory_order_acquire)) {
      for (int t = 0; t < tasks; t++) fn(context, t);
      return;
    }
    fn_ = fn;
    context_ = context;
    tasks_ = tasks;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(int(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    take();
    for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins < 4096) relax();
      else std::this_thread::yield(); // a worker was descheduled: give it the core
    }
    busy_.store(false, std::memory_order_release);
  }

 private:
  void take() {
    for (int t; (t = next_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) fn_(context_, t);
  }

  void work(uint64_t seen) {
    for (;;) {
      // Spin for up to ~200 µs for the next job, then sleep until woken.
      auto started = std::chrono::steady_clock::now();
      unsigned spins = 0;
      while (generation_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_relaxed)) {
        relax();
        if (++spins % 256 == 0 && std::chrono::steady_clock::now() - started > std::chrono::microseconds(200)) {
          std::unique_lock<std::mutex> lock(mutex_);
          sleepers_.fetch_add(1);
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_.load(); });
          sleepers_.fetch_sub(1, std::memory_order_acq_rel);
          break;
        }
      }
      if (stopping_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      take();
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      wake_.notify_all();
    }
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  int count_ = 1;
  std::vector<std::thread> workers_;
  std::atomic<bool> busy_{false}, stopping_{false};
  std::atomic<uint64_t> generation_{0}; // seq_cst with sleepers_: a worker going to sleep and a job being published see each other
  std::atomic<int> next_{0}, pending_{0}, sleepers_{0};
  void (*fn_)(void*, int) = nullptr;
  void* context_ = nullptr;
  int tasks_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
};

Pool& pool() {
  static Pool* instance = new Pool(); // never destroyed: workers must not be joined during exit
  return *instance;
}

} // namespace

extern "C" void bptt_parallel_for(int tasks, void (*fn)(void*, int), void* context) { pool().run(tasks, fn, context); }

extern "C" int bptt_pool_threads() { return pool().threads(); }

void bptt_pool_resize(int threads) { pool().resize(threads); }
