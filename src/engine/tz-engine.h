/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-extractor.h"
#include "tz-feature-cache.h"

G_BEGIN_DECLS

/**
 * TzExtraction:
 * @n_inputs: the inputs asked for, in order
 * @dim: features per input
 * @features: @n_inputs rows of @dim floats; rows of skipped inputs are zero
 * @ok: per input, whether its row holds features
 * @skipped: a "path: reason" line per input that could not be used
 *   (unreadable, not an image, damaged, too large), in input order
 * @n_decoded: images decoded for this job
 * @n_extracted: images passed through the extractor for this job
 * @n_cache_hits: inputs whose features came from the cache
 * @seconds: wall time of the job
 *
 * The immutable result of an extraction job.
 */
typedef struct
{
  guint      n_inputs;
  guint      dim;
  float     *features;
  gboolean  *ok;
  GPtrArray *skipped;
  guint      n_decoded;
  guint      n_extracted;
  guint      n_cache_hits;
  double     seconds;
} TzExtraction;

void tz_extraction_free (TzExtraction *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzExtraction, tz_extraction_free)

#define TZ_TYPE_ENGINE (tz_engine_get_type ())

G_DECLARE_FINAL_TYPE (TzEngine, tz_engine, TZ, ENGINE, GObject)

/**
 * TzEngine:
 *
 * Owns one worker thread, the only one that touches the extractor (the
 * backbone), and a small pool of decode threads that feed it. Jobs run one
 * after the other in the order they were asked for; their results come
 * back through the GAsyncReadyCallback in the thread-default main context
 * of the caller, and progress is published as properties ("busy",
 * "fraction", "n-done", "n-total", "images-per-second", "message")
 * notified from that same context (the context the engine was created
 * in), at most every 50 ms, so the main thread never waits on the worker.
 *
 * @cache may be NULL for a cache in memory only. The extractor is prepared
 * (tz_extractor_prepare()) in the worker before the first job, never in the
 * caller's thread.
 */
TzEngine     *tz_engine_new                   (TzExtractor    *extractor,
                                               TzFeatureCache *cache,
                                               guint           n_decode_threads);

TzExtractor    *tz_engine_get_extractor       (TzEngine       *self);
TzFeatureCache *tz_engine_get_cache           (TzEngine       *self);
gboolean        tz_engine_get_busy            (TzEngine       *self);
double          tz_engine_get_fraction        (TzEngine       *self);
guint           tz_engine_get_n_done          (TzEngine       *self);
guint           tz_engine_get_n_total         (TzEngine       *self);
double          tz_engine_get_images_per_second (TzEngine     *self);
const char     *tz_engine_get_message         (TzEngine       *self);

/* Features for image files: each file is read, digested and looked up in
 * the cache; only misses are decoded (in the pool) and extracted (in the
 * worker, in batches of the extractor's size), and their features stored
 * in the cache. Identical files are extracted once. A file that cannot be
 * used is skipped with its reason; the job goes on. Cancellation takes
 * effect within one batch: G_IO_ERROR_CANCELLED, and the cache keeps what
 * was extracted before. An extractor failure fails the job. */
void          tz_engine_extract_files_async  (TzEngine            *self,
                                              const char *const   *paths,
                                              guint                n_paths,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
TzExtraction *tz_engine_extract_files_finish (TzEngine            *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* The same for images already decoded (IDX, CIFAR-10), keyed by their
 * pixels; the engine keeps a reference to @images until the job ends. */
void          tz_engine_extract_images_async  (TzEngine            *self,
                                               GPtrArray           *images,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzExtraction *tz_engine_extract_images_finish (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
