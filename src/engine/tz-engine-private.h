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

  /* Owned references. */
  TzExtractor     *extractor;
  TzFeatureCache  *cache;
  GMainContext    *context;
  GThread         *worker;
  GAsyncQueue     *jobs;
  GThreadPool     *decoders;

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

Job          *tz_engine_job_new          (JobFunc        run,
                                          GTask         *task);
void          tz_engine_job_free         (Job           *job);
TzExtraction *tz_engine_extract_inputs   (TzEngine      *self,
                                          Job           *job,
                                          GCancellable  *cancellable,
                                          GError       **error);
void          tz_engine_publish_progress (TzEngine      *self,
                                          gboolean       busy,
                                          guint          n_done,
                                          guint          n_total,
                                          double         images_per_second,
                                          const char    *message,
                                          gboolean       force);
void          tz_engine_end_job          (TzEngine      *self);
void          tz_engine_push_job         (TzEngine      *self,
                                          Job           *job);

void          tz_learn_state_free        (TzLearnState  *state);

G_END_DECLS
