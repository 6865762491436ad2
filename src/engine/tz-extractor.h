/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-image.h"

G_BEGIN_DECLS

#define TZ_TYPE_EXTRACTOR (tz_extractor_get_type ())

G_DECLARE_INTERFACE (TzExtractor, tz_extractor, TZ, EXTRACTOR, GObject)

/**
 * TzExtractorInterface:
 * @get_dim: the length of a feature vector
 * @get_recipe: text naming everything that changes the features (the cache
 *   key's second half); stable across runs
 * @get_batch_size: images per call that keep the device busy
 * @prepare: heavy set-up (loading libtorch and weights), run once in the
 *   engine's worker thread before the first extraction, so that the caller's
 *   thread never waits for it
 * @extract: writes one feature vector per image, row after row
 *
 * What turns decoded images into feature vectors: the backbone, or plain
 * pixels. The engine calls every method but get_recipe and get_dim from its
 * worker thread only.
 */
struct _TzExtractorInterface
{
  GTypeInterface parent_iface;

  guint        (*get_dim)        (TzExtractor          *self);
  const char  *(*get_recipe)     (TzExtractor          *self);
  guint        (*get_batch_size) (TzExtractor          *self);
  gboolean     (*prepare)        (TzExtractor          *self,
                                  GCancellable         *cancellable,
                                  GError              **error);
  gboolean     (*extract)        (TzExtractor          *self,
                                  const TzImage *const *images,
                                  guint                 n_images,
                                  float                *features,
                                  GCancellable         *cancellable,
                                  GError              **error);
};

guint        tz_extractor_get_dim        (TzExtractor          *self);
const char  *tz_extractor_get_recipe     (TzExtractor          *self);
guint        tz_extractor_get_batch_size (TzExtractor          *self);
gboolean     tz_extractor_prepare        (TzExtractor          *self,
                                          GCancellable         *cancellable,
                                          GError              **error);
gboolean     tz_extractor_extract        (TzExtractor          *self,
                                          const TzImage *const *images,
                                          guint                 n_images,
                                          float                *features,
                                          GCancellable         *cancellable,
                                          GError              **error);

#define TZ_TYPE_PIXEL_EXTRACTOR (tz_pixel_extractor_get_type ())

G_DECLARE_FINAL_TYPE (TzPixelExtractor, tz_pixel_extractor, TZ, PIXEL_EXTRACTOR, GObject)

/* Features that are the image itself: resized by area averaging to @side x
 * @side, grey (ITU-R BT.601 luma) or RGB, scaled to [0, 1]. The demo's
 * features before a network is trained, and a fast extractor for tests. */
TzExtractor *tz_pixel_extractor_new (guint    side,
                                     gboolean grey);

G_END_DECLS
