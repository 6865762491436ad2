/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-image.h"

G_BEGIN_DECLS

#define TZ_TYPE_EXTRACTOR (tz_extractor_get_type ())

G_DECLARE_INTERFACE (TzExtractor, tz_extractor, TZ, EXTRACTOR, GObject)

/**
 * TzExtractorTrainOptions:
 * @epochs: passes over the images (0: the extractor's default)
 * @batch_size: images per step (0: the extractor's default)
 * @learning_rate: the optimiser's step size (0: the extractor's default)
 * @seed: initialisation, shuffling and augmentation draw from it
 * @weights_path: where the trained weights are written (atomically), so
 *   that the new extractor can be made again in a later run
 *
 * How tz_extractor_train() trains; whatever is not named here (the recipe:
 * augmentation, schedule, image size, normalisation) is the extractor's own.
 */
typedef struct
{
  guint       epochs;
  guint       batch_size;
  double      learning_rate;
  guint64     seed;
  const char *weights_path;
} TzExtractorTrainOptions;

/**
 * TzExtractorTrainProgress:
 * @epoch: the current epoch, from 0
 * @n_epochs: epochs in all
 * @step: the step just taken within the epoch, from 0
 * @n_steps: steps per epoch
 * @epoch_loss: the mean training loss over the epoch so far
 * @images_per_second: throughput of the epoch so far
 */
typedef struct
{
  guint  epoch;
  guint  n_epochs;
  guint  step;
  guint  n_steps;
  double epoch_loss;
  double images_per_second;
} TzExtractorTrainProgress;

/* Called in the training thread after every step. */
typedef void (*TzExtractorTrainProgressFunc) (const TzExtractorTrainProgress *progress,
                                              gpointer                        user_data);

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
 * @train: optional; learns new features from labelled images and returns
 *   a new extractor that computes them (see tz_extractor_train())
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
  TzExtractor *(*train)          (TzExtractor                   *self,
                                  const TzImage *const          *images,
                                  const guint                   *labels,
                                  guint                          n_images,
                                  guint                          n_classes,
                                  const TzExtractorTrainOptions *options,
                                  TzExtractorTrainProgressFunc   progress,
                                  gpointer                       user_data,
                                  GCancellable                  *cancellable,
                                  GError                       **error);
  void         (*release_memory) (TzExtractor          *self);
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
/* Gives back to the system the memory the extractor keeps from one batch
 * to the next (a network's activations); the engine calls it when no job
 * is waiting. Worker thread only. */
void         tz_extractor_release_memory (TzExtractor          *self);
/* Whether tz_extractor_train() can work (a network; not plain pixels). */
gboolean     tz_extractor_can_train      (TzExtractor          *self);
/* The post's first step: trains a fresh network of the same kind from
 * scratch on @n_images images labelled 0 .. @n_classes - 1, writes its
 * weights to @options->weights_path and returns a new, unprepared
 * extractor computing its features (same layers, size, normalisation and
 * device; a new recipe). @self is left as it was. Worker thread only.
 * TZ_ERROR_UNSUPPORTED when the extractor cannot train,
 * TZ_ERROR_INVALID_ARGUMENT for fewer than 2 classes or images or a label
 * out of range, G_IO_ERROR_CANCELLED between steps (no file is written),
 * TZ_ERROR_NUMERICAL when training diverges, and the weights file's write
 * errors naming it. */
TzExtractor *tz_extractor_train          (TzExtractor                   *self,
                                          const TzImage *const          *images,
                                          const guint                   *labels,
                                          guint                          n_images,
                                          guint                          n_classes,
                                          const TzExtractorTrainOptions *options,
                                          TzExtractorTrainProgressFunc   progress,
                                          gpointer                       user_data,
                                          GCancellable                  *cancellable,
                                          GError                       **error);

#define TZ_TYPE_PIXEL_EXTRACTOR (tz_pixel_extractor_get_type ())

G_DECLARE_FINAL_TYPE (TzPixelExtractor, tz_pixel_extractor, TZ, PIXEL_EXTRACTOR, GObject)

/* Features that are the image itself: resized by area averaging to @side x
 * @side, grey (ITU-R BT.601 luma) or RGB, scaled to [0, 1]. The demo's
 * features before a network is trained, and a fast extractor for tests. */
TzExtractor *tz_pixel_extractor_new (guint    side,
                                     gboolean grey);

G_END_DECLS
