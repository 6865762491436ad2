/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tz-engine.h"

G_BEGIN_DECLS

/* The learning state the worker keeps (tz-engine-learn.c). */
typedef struct _TzLearnState TzLearnState;

typedef struct _Job Job;
typedef void (*JobFunc) (TzEngine *self, Job *job);

typedef enum
{
  SLOT_PENDING,
  SLOT_READY,
} SlotState;

typedef struct
{
  SlotState  state;
  gboolean   hit;
  gboolean   decoded;     /* @image is owned and still held */
  gboolean   was_decoded;
  guint8     key[TZ_FEATURE_CACHE_KEY_SIZE];
  TzImage   *image;       /* owned when decoded here, borrowed otherwise */
  char      *skip_reason;
} Slot;

struct _Job
{
  JobFunc       run;
  GTask        *task;     /* NULL for the quit job */

  /* Extraction inputs: paths, or borrowed images. */
  char        **paths;
  GPtrArray    *images;
  guint         n_inputs;
  /* Decode every path, without digests or lookups (training needs the
   * pixels of every image). */
  gboolean      decode_only;

  /* The extractor and cache of the extraction running (borrowed): the
   * engine's, or those a job is switching to. */
  TzExtractor    *extractor;
  TzFeatureCache *cache;

  /* Shared with the decode pool. */
  GMutex        mutex;
  GCond         cond;
  Slot         *slots;
  gboolean      stopping;
  TzExtraction *result;

  /* What else the job needs (a learning step's classes and splits). */
  gpointer        data;
  GDestroyNotify  data_free;
};

struct _TzEngine
{
  GObject          parent_instance;

  /* Owned references, replaced only by the worker and only under the
   * mutex, so the worker reads them freely and other threads under it. */
  TzExtractor     *extractor;
  TzFeatureCache  *cache;

  /* Owned references. */
  GMainContext    *context;
  GThread         *worker;
  GAsyncQueue     *jobs;
  GThreadPool     *decoders;

  /* Set once, before work: the worker and decoders lower their own
   * scheduling priority (see tz_engine_set_background()). */
  int              background;
  /* Worker only. */
  gboolean         prepared;
  TzLearnState    *learn;

  /* Progress, written by the worker and read anywhere under the mutex. */
  GMutex           mutex;
  gboolean         busy;
  guint            n_done;
  guint            n_total;
  double           images_per_second;
  char            *message;
  gboolean         notify_pending;
  gint64           last_publish;
  TzSnapshot      *snapshot;     /* the latest, read in any thread */
  TzTransform      requested_transform;
  gboolean         learned_anything;
};

Job          *tz_engine_job_new          (JobFunc          run,
                                          GTask           *task);
void          tz_engine_job_free         (Job             *job);
/* @extractor and @cache NULL: the engine's own (prepared on first use);
 * otherwise the caller has prepared @extractor. */
TzExtraction *tz_engine_extract_inputs   (TzEngine        *self,
                                          Job             *job,
                                          TzExtractor     *extractor,
                                          TzFeatureCache  *cache,
                                          GCancellable    *cancellable,
                                          GError         **error);
/* Decodes @paths in the decode pool, publishing "Reading 3 of 9 images".
 * Returns the images (NULL for the unreadable ones, each with its
 * "path: reason" line added to @skipped), or NULL with
 * G_IO_ERROR_CANCELLED. */
GPtrArray    *tz_engine_decode_paths     (TzEngine           *self,
                                          const char *const  *paths,
                                          guint               n_paths,
                                          GPtrArray          *skipped,
                                          GCancellable       *cancellable,
                                          GError            **error);
char         *tz_engine_training_message (guint            epoch,
                                          guint            n_epochs);
void          tz_engine_publish_progress (TzEngine        *self,
                                          gboolean         busy,
                                          guint            n_done,
                                          guint            n_total,
                                          double           images_per_second,
                                          const char      *message,
                                          gboolean         force);
void          tz_engine_end_job          (TzEngine        *self);
void          tz_engine_push_job         (TzEngine        *self,
                                          Job             *job);
/* Replaces the extractor and cache (worker only; @extractor prepared). */
void          tz_engine_swap_extractor   (TzEngine        *self,
                                          TzExtractor     *extractor,
                                          TzFeatureCache  *cache);
TzSnapshot   *tz_engine_finish_snapshot  (TzEngine        *self,
                                          GAsyncResult    *result,
                                          gpointer         source_tag,
                                          GError         **error);

/* The learning state (tz-engine-learn.c), for the jobs that change the
 * features (tz-engine-recipe.c). Worker only. */
TzLearnState *tz_engine_get_learn_state  (TzEngine        *self);
/* Every image the state learned from or evaluates, training images first,
 * in the order they came; the strings belong to @state. */
TzLearnImage *tz_learn_state_list_images    (TzLearnState *state,
                                             guint        *n_images);
guint         tz_learn_state_get_n_classes  (TzLearnState *state);
const char   *tz_learn_state_get_class_name (TzLearnState *state,
                                             guint         class_index);
guint         tz_learn_state_get_n_train    (TzLearnState *state,
                                             guint         class_index);
/* A state over features of @dim values with @state's classes (in order,
 * without images), transform, settings and history. */
TzLearnState *tz_learn_state_new_like    (TzLearnState    *state,
                                          guint            dim);
/* Adds @images, whose features are @extraction's rows, as a learning step
 * does (no history point). On error @state is unchanged. */
gboolean      tz_learn_state_add_images  (TzLearnState        *state,
                                          const TzLearnImage  *images,
                                          guint                n_images,
                                          const TzExtraction  *extraction,
                                          GError             **error);
/* Replaces the engine's state by @state (taking it). */
void          tz_engine_set_learn_state  (TzEngine        *self,
                                          TzLearnState    *state);
/* Scores the evaluation set into a new snapshot, the engine's latest,
 * appending a history point labelled @label when there is one to score. */
TzSnapshot   *tz_engine_evaluate         (TzEngine        *self,
                                          TzLearnState    *state,
                                          const char      *label,
                                          GPtrArray       *skipped);
void          tz_learn_state_free        (TzLearnState    *state);

G_END_DECLS
