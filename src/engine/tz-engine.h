/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-extractor.h"
#include "tz-feature-cache.h"
#include "tz-gaussian-classifier.h"
#include "tz-image-listing.h"
#include "tz-metrics.h"

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

/* Makes the engine's threads yield to the program's other threads: the
 * worker, the decoders and the threads they start (libtorch's) run at a
 * lower priority (nice + 5 on Linux, where priority is per thread), so
 * that a window's main thread gets a core when it needs one. Call it
 * before the first job. */
void          tz_engine_set_background        (TzEngine       *self);

/* The extractor and cache in use: those given to tz_engine_new() until a
 * tz_engine_set_extractor_async() or tz_engine_train_network_async() job
 * replaces them. New references; safe from any thread. */
TzExtractor    *tz_engine_dup_extractor       (TzEngine       *self);
TzFeatureCache *tz_engine_dup_cache           (TzEngine       *self);
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

/**
 * TzLearnImage:
 * @path: an image file
 * @class_name: the class it shows; a new name creates the class
 * @split: learned from (%TZ_SPLIT_TRAIN) or scored after every step
 *   (%TZ_SPLIT_EVAL)
 */
typedef struct
{
  const char *path;
  const char *class_name;
  TzSplit     split;
} TzLearnImage;

typedef struct
{
  char     *name;
  guint     n_train;
  guint     n_eval;
  gboolean  learned;
} TzSnapshotClass;

/**
 * TzSnapshotImage:
 * @path: the evaluation image
 * @class_index: its class, an index into the snapshot's classes
 * @predicted: the predicted class (an index into the snapshot's classes),
 *   or -1 when no classifier exists yet
 * @confidence: the posterior probability of @predicted
 * @min_distance: the smallest squared Mahalanobis distance to a learned class
 * @looks_new: @min_distance exceeds the novelty threshold
 */
typedef struct
{
  char     *path;
  guint     class_index;
  gint      predicted;
  double    confidence;
  double    min_distance;
  gboolean  looks_new;
} TzSnapshotImage;

typedef struct
{
  char   *label;
  double  accuracy;
  double  accuracy_learned;
} TzSnapshotStep;

/**
 * TzSnapshot:
 * @classes: every class known, learned or not, in order of creation
 * @images: the evaluation images with their predictions
 * @steps: one per learning step that could be evaluated, for the curve
 * @classifier: NULL until a class is learned or while it cannot be built
 *   (@classifier_error says why, e.g. a class of one image with per-class
 *   covariance)
 * @evaluation: the confusion matrix and accuracies over @images (rows: all
 *   classes; columns: the learned ones), or NULL
 * @novelty_threshold: DESIGN 1.3's threshold, calibrated on the evaluation
 *   images of learned classes so that 95% of them pass; NaN without any
 * @skipped: "path: reason" for the files the last step could not use
 *
 * The immutable, reference-counted state after a job: what views show.
 */
typedef struct
{
  guint                  n_classes;
  TzSnapshotClass       *classes;
  guint                  n_images;
  TzSnapshotImage       *images;
  guint                  n_steps;
  TzSnapshotStep        *steps;
  TzGaussianClassifier  *classifier;
  char                  *classifier_error;
  TzEvaluation          *evaluation;
  double                 novelty_threshold;
  GPtrArray             *skipped;
} TzSnapshot;

TzSnapshot   *tz_snapshot_ref                 (TzSnapshot *self);
void          tz_snapshot_unref               (TzSnapshot *self);
/* The index of the class called @name, or -1. */
gint          tz_snapshot_find_class          (const TzSnapshot *self,
                                               const char       *name);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzSnapshot, tz_snapshot_unref)

/* The latest snapshot (a new reference; an empty one before any job). */
TzSnapshot   *tz_engine_get_snapshot          (TzEngine            *self);

/* Chooses the feature transform of the model; only before anything is
 * learned (FALSE and TZ_ERROR_INVALID_ARGUMENT afterwards, since the
 * statistics were gathered through the old one). The default is
 * tz_transform_init_default()'s. */
gboolean      tz_engine_set_transform         (TzEngine            *self,
                                               const TzTransform   *transform,
                                               GError             **error);

/* One learning step: extracts the images' features (through the cache),
 * merges the training images into their classes (creating new ones) and
 * adds the evaluation images to the evaluation set, rebuilds the
 * classifier, scores every evaluation image, and appends a point labelled
 * @label to the history. Unusable files are skipped and listed. On error
 * or cancellation nothing changes. */
void          tz_engine_learn_async           (TzEngine            *self,
                                               const TzLearnImage  *images,
                                               guint                n_images,
                                               const char          *label,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzSnapshot   *tz_engine_learn_finish          (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Forgets a class: its statistics (exactly, as if never added) and its
 * evaluation images; re-scores and appends a history point.
 * TZ_ERROR_UNKNOWN_CLASS for a name the engine does not know. */
void          tz_engine_remove_class_async    (TzEngine            *self,
                                               const char          *class_name,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzSnapshot   *tz_engine_remove_class_finish   (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Rebuilds the classifier with other decision settings (covariance,
 * regularisation, prior) from the same statistics and re-scores; the
 * history is unchanged. */
void          tz_engine_set_settings_async    (TzEngine                   *self,
                                               const TzClassifierSettings *settings,
                                               GCancellable               *cancellable,
                                               GAsyncReadyCallback         callback,
                                               gpointer                    user_data);
TzSnapshot   *tz_engine_set_settings_finish   (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Renames a class, learned or not; its statistics, images and history stay.
 * TZ_ERROR_UNKNOWN_CLASS for an unknown @old_name, TZ_ERROR_INVALID_ARGUMENT
 * when @new_name is empty or taken by another class. */
void          tz_engine_rename_class_async    (TzEngine            *self,
                                               const char          *old_name,
                                               const char          *new_name,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzSnapshot   *tz_engine_rename_class_finish   (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Moves images the engine knows between the training and the evaluation
 * set of their class (a person marking images for evaluation): the
 * affected classes' statistics are rebuilt from their training images'
 * features (from the cache), the evaluation set re-scored, and a point
 * labelled @label appended to the history. Paths the engine does not know,
 * or already in @split, are ignored; when nothing moves, the snapshot
 * comes back without a new point. A class left without training images
 * is no longer learned. An image of an affected class that can no longer
 * be read (deleted since) is dropped and listed in the snapshot's
 * skipped. On error or cancellation nothing changes. */
void          tz_engine_set_split_async       (TzEngine            *self,
                                               const char *const   *paths,
                                               guint                n_paths,
                                               TzSplit              split,
                                               const char          *label,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzSnapshot   *tz_engine_set_split_finish      (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Changes the feature recipe (another backbone, weights, layers, size):
 * @extractor is prepared in the worker, every image learned so far
 * (training and evaluation) is re-extracted through @cache (NULL: a new
 * cache in memory), so images already seen under that recipe cost nothing,
 * and the statistics are rebuilt from scratch with the same classes,
 * transform and settings. The history keeps its points (they were true
 * for the old features) and gains one labelled @label. On error or
 * cancellation the old extractor, cache and statistics stay, untouched.
 * Images that can no longer be read are dropped and listed in the
 * snapshot's skipped. TZ_ERROR_INVALID_ARGUMENT when @cache was made for
 * another recipe. */
void          tz_engine_set_extractor_async   (TzEngine            *self,
                                               TzExtractor         *extractor,
                                               TzFeatureCache      *cache,
                                               const char          *label,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TzSnapshot   *tz_engine_set_extractor_finish  (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* The post's first step, on the classes learned so far: their training
 * images are decoded (progress "Reading 120 of 500 images"), a fresh network
 * of @network's kind is trained on them through tz_extractor_train()
 * (progress per step: "Training the network: epoch 2 of 3", n-done/n-total
 * counting images seen over all epochs), and the engine then switches to
 * the trained extractor as tz_engine_set_extractor_async() does, with a
 * cache for the new recipe in the current cache's folder (in memory when
 * the current one is), and a history point labelled @label. @network is
 * the template (e.g. a randomly initialised TzBackboneExtractor while the
 * engine still compares pixels), or NULL for the engine's current
 * extractor. Images that cannot be read are left out of training and
 * listed in the snapshot's skipped. @options->weights_path is required.
 * TZ_ERROR_UNSUPPORTED when the template cannot train,
 * TZ_ERROR_EMPTY_CLASS when fewer than two classes are learned, and
 * tz_extractor_train()'s errors. On error or cancellation (checked between
 * training steps and extraction batches) nothing changes and no weights
 * file is left. */
void          tz_engine_train_network_async   (TzEngine                      *self,
                                               TzExtractor                   *network,
                                               const TzExtractorTrainOptions *options,
                                               const char                    *label,
                                               GCancellable                  *cancellable,
                                               GAsyncReadyCallback            callback,
                                               gpointer                       user_data);
TzSnapshot   *tz_engine_train_network_finish  (TzEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
