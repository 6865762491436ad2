/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-backbone"

#include "config.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include "tz-backbone.h"
#include "tz-backbone-private.h"

/* libtorch's CPU allocator hands every tensor's memory back to the system
 * when it is freed. A batch's activations are tens of megabytes each, which
 * glibc maps and unmaps with every batch, so that the next batch faults
 * every page in again, zeroed by the kernel: at 32 px on two cores that is
 * a quarter of the time of a forward pass. This allocator keeps the large
 * blocks that a batch frees, by exact size, for the next batch's tensors,
 * whose sizes are the same; tz_backbone_release_memory () gives them back
 * when a run of batches is over. Small blocks go straight to malloc (), whose
 * arenas already reuse them. */

namespace {

/* Every block starts with a header holding its size, and the data follows
 * at c10's alignment (64 bytes, for AVX-512), so that the deleter needs no
 * context but the pointer, as raw_allocate () requires. */
constexpr size_t kAlignment = 64;
constexpr size_t kHeader = kAlignment;
/* Below this, glibc serves blocks from its heaps without new faults. */
constexpr size_t kSmallestCached = 256 * 1024;

struct CacheState
{
  std::mutex lock;
  std::unordered_map<size_t, std::vector<void *>> free_blocks;
  size_t cached_bytes = 0;
  size_t limit = 0;
  guint64 n_reused = 0;
  guint64 n_fresh = 0;
};

/* Never destroyed: tensors freed while the process exits still come here. */
CacheState &
cache_state ()
{
  static CacheState *state = new CacheState;

  return *state;
}

/* A quarter of the memory, at most 4 GiB: more than a batch of b7 at
 * 224 px needs, and what the cache may hold beyond the live tensors. */
size_t
default_limit ()
{
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);
  size_t quarter = pages > 0 && page_size > 0 ? (size_t) pages * (size_t) page_size / 4 : 0;

  return MIN (quarter, (size_t) 4 << 30);
}

void
release_block (void *data)
{
  if (data == nullptr)
    return;

  char *base = (char *) data - kHeader;
  size_t size = *(size_t *) base;

  if (size >= kSmallestCached)
    {
      CacheState &state = cache_state ();
      std::lock_guard<std::mutex> guard (state.lock);

      if (state.cached_bytes + size <= state.limit)
        {
          state.free_blocks[size].push_back (base);
          state.cached_bytes += size;
          return;
        }
    }
  std::free (base);
}

c10::DataPtr
allocate_block (size_t n)
{
  c10::Device cpu (c10::DeviceType::CPU);
  void *base = nullptr;

  if (n == 0)
    return { nullptr, nullptr, &release_block, cpu };
  if (n >= kSmallestCached)
    {
      CacheState &state = cache_state ();
      std::lock_guard<std::mutex> guard (state.lock);
      auto it = state.free_blocks.find (n);

      if (it != state.free_blocks.end () && !it->second.empty ())
        {
          base = it->second.back ();
          it->second.pop_back ();
          state.cached_bytes -= n;
          state.n_reused++;
        }
      else
        state.n_fresh++;
    }
  if (base == nullptr && posix_memalign (&base, kAlignment, n + kHeader) != 0)
    TORCH_CHECK_WITH (OutOfMemoryError, false,
                      "Out of memory: a tensor of ", n, " bytes could not be allocated");
  *(size_t *) base = n;

  void *data = (char *) base + kHeader;
  return { data, data, &release_block, cpu };
}

/* c10::Allocator changed across libtorch releases: allocate () lost its
 * const in 2.3, which made copy_data () pure. Both forms are defined
 * here, without "override", so that whichever the headers declare is
 * implemented and the other is a plain member. */
struct CachingCpuAllocator final : c10::Allocator
{
  c10::DataPtr
  allocate (size_t n) const
  {
    return allocate_block (n);
  }

  c10::DataPtr
  allocate (size_t n)
  {
    return allocate_block (n);
  }

  void
  copy_data (void       *dest,
             const void *src,
             std::size_t count) const
  {
    std::memcpy (dest, src, count);
  }

  c10::DeleterFnPtr
  raw_deleter () const override
  {
    return &release_block;
  }
};

} /* namespace */

/* Once per process, before the first network is built. TZ_CPU_ALLOCATOR=
 * system keeps libtorch's own (for measuring what this one gains). */
void
tz_backbone_install_cpu_allocator (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      if (g_strcmp0 (g_getenv ("TZ_CPU_ALLOCATOR"), "system") != 0)
        {
          static CachingCpuAllocator *allocator = new CachingCpuAllocator;

          cache_state ().limit = default_limit ();
          /* Above the default allocator's priority (0), below what a
           * profiler or a sanitiser build may put in. */
          c10::SetCPUAllocator (allocator, 1);
        }
      g_once_init_leave (&installed, 1);
    }
}

gsize
tz_backbone_release_memory (void)
{
  CacheState &state = cache_state ();
  std::unordered_map<size_t, std::vector<void *>> blocks;
  gsize released;

  {
    std::lock_guard<std::mutex> guard (state.lock);

    blocks.swap (state.free_blocks);
    released = state.cached_bytes;
    state.cached_bytes = 0;
  }
  for (auto &bucket : blocks)
    for (void *base : bucket.second)
      std::free (base);
  return released;
}

void
tz_backbone_get_memory_stats (TzBackboneMemoryStats *stats)
{
  g_return_if_fail (stats != NULL);

  CacheState &state = cache_state ();
  std::lock_guard<std::mutex> guard (state.lock);

  stats->cached_bytes = state.cached_bytes;
  stats->n_reused = state.n_reused;
  stats->n_fresh = state.n_fresh;
}
