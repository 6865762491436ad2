/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TZ_FEATURE_CACHE_KEY_SIZE 32

/**
 * TzFeatureCache:
 *
 * Feature vectors keyed by the SHA-256 digest of an image's content, for
 * one feature recipe (backbone, weights digest, layers, image size,
 * normalisation: whatever changes the features). No image need pass
 * through the network twice for the same recipe.
 *
 * Held in memory and, when given a folder, also appended to one file per
 * recipe there (`<folder>/<first 16 hex digits of SHA-256(recipe)>.tzfc`),
 * so the next run starts warm. The file holds a header (magic "TZFC", a
 * version, the dimension and the recipe text) then fixed-size records
 * (key, dim float32). A trailing partial record, as a crash leaves it, is
 * dropped on opening; any other damage is an error naming the file, and a
 * file made for another recipe is never read as this one.
 *
 * Thread-safe: the engine's decode pool and worker share one cache.
 * Memory: (32 + 4 dim) bytes per image plus hash-table overhead.
 */
typedef struct _TzFeatureCache TzFeatureCache;

/* @folder may be NULL for a cache in memory only; it is created when
 * missing. G_FILE_ERROR / G_IO_ERROR when the file cannot be opened or
 * read, TZ_ERROR_CORRUPT when it is not a cache file or belongs to another
 * recipe or dimension. */
TzFeatureCache *tz_feature_cache_new          (const char     *recipe,
                                               guint           dim,
                                               const char     *folder,
                                               GError        **error);
TzFeatureCache *tz_feature_cache_ref          (TzFeatureCache *self);
void            tz_feature_cache_unref        (TzFeatureCache *self);

const char     *tz_feature_cache_get_recipe   (TzFeatureCache *self);
guint           tz_feature_cache_get_dim      (TzFeatureCache *self);
/* The file backing the cache, or NULL in memory only. */
const char     *tz_feature_cache_get_path     (TzFeatureCache *self);
guint           tz_feature_cache_get_n_entries (TzFeatureCache *self);
/* Lookups that found / did not find their key since creation. */
guint64         tz_feature_cache_get_n_hits   (TzFeatureCache *self);
guint64         tz_feature_cache_get_n_misses (TzFeatureCache *self);

/* Copies the features of @key to @out (dim floats) and returns TRUE, or
 * returns FALSE when the key is absent. */
gboolean        tz_feature_cache_lookup       (TzFeatureCache *self,
                                               const guint8   *key,
                                               float          *out);
/* Stores @features under @key (replacing nothing: a key present already
 * keeps its first value, since the same content gives the same features).
 * With a folder, the record is appended and flushed; a write failure (a
 * full disk) is G_IO_ERROR naming the file, and the entry stays in memory
 * so nothing computed is lost for this run. */
gboolean        tz_feature_cache_insert       (TzFeatureCache *self,
                                               const guint8   *key,
                                               const float    *features,
                                               GError        **error);

/* SHA-256 of @size bytes into @key (TZ_FEATURE_CACHE_KEY_SIZE bytes). */
void            tz_feature_cache_key_for_data (gconstpointer   data,
                                               gsize           size,
                                               guint8         *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzFeatureCache, tz_feature_cache_unref)

G_END_DECLS
