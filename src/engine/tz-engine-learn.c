/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The learning jobs of TzEngine: the state the worker keeps between steps
 * (statistics, classes, evaluation features, history) and the immutable
 * snapshots it hands to the main thread. */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-engine-private.h"
#include "tz-error.h"
#include "tz-gaussian-model.h"

typedef struct
{
  char  *path;
  guint  class_index;
} EvalItem;

struct _TzLearnState
{
  TzTransform           transform;
  TzClassifierSettings  settings;
  guint                 dim;
  TzGaussianModel      *model;          /* NULL until the first step */
  GPtrArray            *class_names;    /* char*, in order of creation */
  GArray               *n_train;        /* guint per class */
  GArray               *n_eval;         /* guint per class */
  GArray               *eval_items;     /* EvalItem */
  GArray               *eval_features;  /* float, dim per item */
  GArray               *history;        /* TzSnapshotStep */
};

typedef struct
{
  TzLearnImage         *images;   /* deep copies */
  guint                 n_images;
  char                 *label;
  char                 *class_name;
  TzClassifierSettings  settings;
} LearnRequest;

/* Snapshots ---------------------------------------------------------------- */

typedef struct
{
  gatomicrefcount ref_count;
  TzSnapshot      snapshot;
} SnapshotBox;

static void
snapshot_free (TzSnapshot *self)
{
  for (guint i = 0; i < self->n_classes; i++)
    g_free (self->classes[i].name);
  for (guint i = 0; i < self->n_images; i++)
    g_free (self->images[i].path);
  for (guint i = 0; i < self->n_steps; i++)
    g_free (self->steps[i].label);
  g_free (self->classes);
  g_free (self->images);
  g_free (self->steps);
  g_clear_pointer (&self->classifier, tz_gaussian_classifier_unref);
  g_free (self->classifier_error);
  g_clear_pointer (&self->evaluation, tz_evaluation_free);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  g_free (G_STRUCT_MEMBER_P (self, -G_STRUCT_OFFSET (SnapshotBox, snapshot)));
}

static TzSnapshot *
snapshot_new (void)
{
  SnapshotBox *box = g_new0 (SnapshotBox, 1);

  g_atomic_ref_count_init (&box->ref_count);
  box->snapshot.novelty_threshold = NAN;
  box->snapshot.skipped = g_ptr_array_new_with_free_func (g_free);
  return &box->snapshot;
}

TzSnapshot *
tz_snapshot_ref (TzSnapshot *self)
{
  SnapshotBox *box;

  g_return_val_if_fail (self != NULL, NULL);
  box = G_STRUCT_MEMBER_P (self, -G_STRUCT_OFFSET (SnapshotBox, snapshot));
  g_atomic_ref_count_inc (&box->ref_count);
  return self;
}

void
tz_snapshot_unref (TzSnapshot *self)
{
  SnapshotBox *box;

  if (self == NULL)
    return;
  box = G_STRUCT_MEMBER_P (self, -G_STRUCT_OFFSET (SnapshotBox, snapshot));
  if (g_atomic_ref_count_dec (&box->ref_count))
    snapshot_free (self);
}

gint
tz_snapshot_find_class (const TzSnapshot *self,
                        const char       *name)
{
  g_return_val_if_fail (self != NULL, -1);

  for (guint i = 0; i < self->n_classes; i++)
    if (g_strcmp0 (self->classes[i].name, name) == 0)
      return (gint) i;
  return -1;
}

TzSnapshot *
tz_engine_get_snapshot (TzEngine *self)
{
  TzSnapshot *snapshot;

  g_return_val_if_fail (TZ_IS_ENGINE (self), NULL);

  g_mutex_lock (&self->mutex);
  if (self->snapshot == NULL)
    self->snapshot = snapshot_new ();
  snapshot = tz_snapshot_ref (self->snapshot);
  g_mutex_unlock (&self->mutex);
  return snapshot;
}

/* The learning state -------------------------------------------------------- */

void
tz_learn_state_free (TzLearnState *state)
{
  if (state == NULL)
    return;
  g_clear_pointer (&state->model, tz_gaussian_model_free);
  g_ptr_array_unref (state->class_names);
  g_array_unref (state->n_train);
  g_array_unref (state->n_eval);
  for (guint i = 0; i < state->eval_items->len; i++)
    g_free (g_array_index (state->eval_items, EvalItem, i).path);
  g_array_unref (state->eval_items);
  g_array_unref (state->eval_features);
  for (guint i = 0; i < state->history->len; i++)
    g_free (g_array_index (state->history, TzSnapshotStep, i).label);
  g_array_unref (state->history);
  g_free (state);
}

static TzLearnState *
learn_state_new (guint dim)
{
  TzLearnState *state = g_new0 (TzLearnState, 1);

  tz_transform_init_default (&state->transform);
  tz_classifier_settings_init_default (&state->settings);
  state->dim = dim;
  state->class_names = g_ptr_array_new_with_free_func (g_free);
  state->n_train = g_array_new (FALSE, TRUE, sizeof (guint));
  state->n_eval = g_array_new (FALSE, TRUE, sizeof (guint));
  state->eval_items = g_array_new (FALSE, FALSE, sizeof (EvalItem));
  state->eval_features = g_array_new (FALSE, FALSE, sizeof (float));
  state->history = g_array_new (FALSE, FALSE, sizeof (TzSnapshotStep));
  return state;
}

/* The engine's state, made on first use in the worker. */
static TzLearnState *
get_state (TzEngine *self)
{
  if (self->learn == NULL)
    {
      self->learn = learn_state_new (tz_extractor_get_dim (self->extractor));
      g_mutex_lock (&self->mutex);
      self->learn->transform = self->requested_transform;
      g_mutex_unlock (&self->mutex);
    }
  return self->learn;
}

static gint
state_find_class (TzLearnState *state,
                  const char   *name)
{
  for (guint i = 0; i < state->class_names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (state->class_names, i), name) == 0)
      return (gint) i;
  return -1;
}

static guint
state_ensure_class (TzLearnState *state,
                    const char   *name)
{
  gint index = state_find_class (state, name);
  guint zero = 0;

  if (index >= 0)
    return (guint) index;
  g_ptr_array_add (state->class_names, g_strdup (name));
  g_array_append_val (state->n_train, zero);
  g_array_append_val (state->n_eval, zero);
  return state->class_names->len - 1;
}

/* Scores the evaluation set with the current statistics and settings into
 * a new snapshot, which also becomes the engine's latest. */
static TzSnapshot *
evaluate (TzEngine     *self,
          TzLearnState *state,
          const char   *step_label,
          GPtrArray    *skipped)
{
  TzSnapshot *snapshot = snapshot_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TzScores) scores = NULL;
  g_autofree gint *model_to_class = NULL;
  guint n_learned = state->model ? tz_gaussian_model_get_n_classes (state->model) : 0;
  guint n_images = state->eval_items->len;

  snapshot->n_classes = state->class_names->len;
  snapshot->classes = g_new0 (TzSnapshotClass, MAX (snapshot->n_classes, 1));
  for (guint c = 0; c < snapshot->n_classes; c++)
    {
      snapshot->classes[c].name = g_strdup (g_ptr_array_index (state->class_names, c));
      snapshot->classes[c].n_train = g_array_index (state->n_train, guint, c);
      snapshot->classes[c].n_eval = g_array_index (state->n_eval, guint, c);
      snapshot->classes[c].learned = snapshot->classes[c].n_train > 0;
    }
  if (skipped != NULL)
    for (guint i = 0; i < skipped->len; i++)
      g_ptr_array_add (snapshot->skipped, g_strdup (g_ptr_array_index (skipped, i)));

  snapshot->n_images = n_images;
  snapshot->images = g_new0 (TzSnapshotImage, MAX (n_images, 1));
  for (guint i = 0; i < n_images; i++)
    {
      const EvalItem *item = &g_array_index (state->eval_items, EvalItem, i);

      snapshot->images[i].path = g_strdup (item->path);
      snapshot->images[i].class_index = item->class_index;
      snapshot->images[i].predicted = -1;
      snapshot->images[i].confidence = NAN;
      snapshot->images[i].min_distance = NAN;
    }

  if (n_learned > 0)
    {
      snapshot->classifier = tz_gaussian_classifier_new (state->model, &state->settings, &error);
      if (snapshot->classifier == NULL)
        snapshot->classifier_error = g_strdup (error->message);
    }

  if (snapshot->classifier != NULL && n_images > 0)
    {
      g_autofree gint32 *truth = g_new (gint32, n_images);
      g_autofree gint32 *predicted = g_new (gint32, n_images);
      g_autofree gint32 *learned = g_new (gint32, n_learned);
      g_autofree double *calibration = g_new (double, n_images);
      gsize n_calibration = 0;

      model_to_class = g_new (gint, n_learned);
      for (guint k = 0; k < n_learned; k++)
        {
          model_to_class[k] = state_find_class (state, tz_gaussian_model_get_class_name (state->model, k));
          learned[k] = model_to_class[k];
        }

      scores = tz_gaussian_classifier_score (snapshot->classifier,
                                             (const float *) state->eval_features->data,
                                             n_images, state->dim,
                                             TZ_SCORE_POSTERIORS | TZ_SCORE_DISTANCES, &error);
      if (scores == NULL)
        {
          snapshot->classifier_error = g_strdup (error->message);
        }
      else
        {
          for (guint i = 0; i < n_images; i++)
            {
              TzSnapshotImage *image = &snapshot->images[i];
              guint k = (guint) scores->predicted[i];

              image->predicted = model_to_class[k];
              image->confidence = scores->posteriors[(gsize) i * n_learned + k];
              image->min_distance = scores->min_distances[i];
              truth[i] = (gint32) image->class_index;
              predicted[i] = image->predicted;
              if (snapshot->classes[image->class_index].learned)
                calibration[n_calibration++] = image->min_distance;
            }
          snapshot->novelty_threshold = tz_novelty_threshold (calibration, n_calibration, 0.95);
          for (guint i = 0; i < n_images; i++)
            snapshot->images[i].looks_new = snapshot->images[i].min_distance > snapshot->novelty_threshold;

          snapshot->evaluation = tz_evaluation_new (truth, predicted, n_images, snapshot->n_classes,
                                                    learned, n_learned, &error);
          g_assert_no_error (error);
        }
    }

  if (step_label != NULL && snapshot->evaluation != NULL)
    {
      TzSnapshotStep step = {
        g_strdup (step_label),
        snapshot->evaluation->accuracy,
        snapshot->evaluation->accuracy_learned,
      };

      g_array_append_val (state->history, step);
    }
  snapshot->n_steps = state->history->len;
  snapshot->steps = g_new0 (TzSnapshotStep, MAX (snapshot->n_steps, 1));
  for (guint s = 0; s < snapshot->n_steps; s++)
    {
      const TzSnapshotStep *step = &g_array_index (state->history, TzSnapshotStep, s);

      snapshot->steps[s].label = g_strdup (step->label);
      snapshot->steps[s].accuracy = step->accuracy;
      snapshot->steps[s].accuracy_learned = step->accuracy_learned;
    }

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->snapshot, tz_snapshot_unref);
  self->snapshot = tz_snapshot_ref (snapshot);
  g_mutex_unlock (&self->mutex);
  return snapshot;
}

/* Jobs ------------------------------------------------------------------------ */

static void
learn_request_free (gpointer data)
{
  LearnRequest *request = data;

  for (guint i = 0; i < request->n_images; i++)
    {
      g_free ((char *) request->images[i].path);
      g_free ((char *) request->images[i].class_name);
    }
  g_free (request->images);
  g_free (request->label);
  g_free (request->class_name);
  g_free (request);
}

/* Merges the step's training features into a model of their own first, so
 * that a failure leaves the engine's statistics untouched, then into the
 * engine's (which cannot fail once dimensions and transforms agree). */
static gboolean
apply_step (TzLearnState        *state,
            const LearnRequest  *request,
            const TzExtraction  *extraction,
            GError             **error)
{
  g_autoptr(TzGaussianModel) step_model = tz_gaussian_model_new (state->dim, &state->transform);
  g_autoptr(GHashTable) rows_of_class = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                               (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();

  for (guint i = 0; i < request->n_images; i++)
    {
      const TzLearnImage *image = &request->images[i];
      GArray *rows;

      if (!extraction->ok[i] || image->split != TZ_SPLIT_TRAIN)
        continue;
      rows = g_hash_table_lookup (rows_of_class, image->class_name);
      if (rows == NULL)
        {
          rows = g_array_new (FALSE, FALSE, sizeof (float));
          g_hash_table_insert (rows_of_class, (gpointer) image->class_name, rows);
          g_ptr_array_add (order, (gpointer) image->class_name);
        }
      g_array_append_vals (rows, extraction->features + (gsize) i * state->dim, state->dim);
    }
  for (guint k = 0; k < order->len; k++)
    {
      GArray *rows = g_hash_table_lookup (rows_of_class, g_ptr_array_index (order, k));
      gint index = tz_gaussian_model_add_class (step_model, g_ptr_array_index (order, k), error);

      if (index < 0 ||
          !tz_gaussian_model_add_samples (step_model, (guint) index, (const float *) rows->data,
                                          rows->len / state->dim, state->dim, error))
        return FALSE;
    }

  if (state->model == NULL)
    state->model = tz_gaussian_model_new (state->dim, &state->transform);
  if (!tz_gaussian_model_merge (state->model, step_model, error))
    return FALSE;

  for (guint i = 0; i < request->n_images; i++)
    {
      const TzLearnImage *image = &request->images[i];
      guint c = state_ensure_class (state, image->class_name);

      if (!extraction->ok[i])
        continue;
      if (image->split == TZ_SPLIT_TRAIN)
        g_array_index (state->n_train, guint, c)++;
      else
        {
          EvalItem item = { g_strdup (image->path), c };

          g_array_append_val (state->eval_items, item);
          g_array_append_vals (state->eval_features, extraction->features + (gsize) i * state->dim,
                               state->dim);
          g_array_index (state->n_eval, guint, c)++;
        }
    }
  return TRUE;
}

static void
run_learn (TzEngine *self,
           Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = get_state (self);
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;

  extraction = tz_engine_extract_inputs (self, job, g_task_get_cancellable (job->task), &error);
  if (extraction == NULL || !apply_step (state, request, extraction, &error))
    g_task_return_error (job->task, g_steal_pointer (&error));
  else
    {
      g_mutex_lock (&self->mutex);
      self->learned_anything = TRUE;
      g_mutex_unlock (&self->mutex);
      g_task_return_pointer (job->task, evaluate (self, state, request->label, extraction->skipped),
                             (GDestroyNotify) tz_snapshot_unref);
    }
  tz_engine_end_job (self);
}

static void
run_remove_class (TzEngine *self,
                  Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = get_state (self);
  gint c = state_find_class (state, request->class_name);
  g_autofree char *label = NULL;
  guint kept = 0;

  if (c < 0)
    {
      g_task_return_new_error (job->task, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                               "There is no class called “%s”", request->class_name);
      return;
    }

  if (state->model != NULL)
    {
      gint k = tz_gaussian_model_find_class (state->model, request->class_name);

      if (k >= 0)
        tz_gaussian_model_remove_class (state->model, (guint) k, NULL);
    }

  /* Drop the class's evaluation images and renumber the later classes. */
  for (guint i = 0; i < state->eval_items->len; i++)
    {
      EvalItem item = g_array_index (state->eval_items, EvalItem, i);

      if (item.class_index == (guint) c)
        {
          g_free (item.path);
          continue;
        }
      if (item.class_index > (guint) c)
        item.class_index--;
      g_array_index (state->eval_items, EvalItem, kept) = item;
      memmove ((float *) state->eval_features->data + (gsize) kept * state->dim,
               (float *) state->eval_features->data + (gsize) i * state->dim,
               sizeof (float) * state->dim);
      kept++;
    }
  g_array_set_size (state->eval_items, kept);
  g_array_set_size (state->eval_features, kept * state->dim);
  g_ptr_array_remove_index (state->class_names, (guint) c);
  g_array_remove_index (state->n_train, (guint) c);
  g_array_remove_index (state->n_eval, (guint) c);

  label = g_strdup_printf ("−%s", request->class_name);
  g_task_return_pointer (job->task, evaluate (self, state, label, NULL),
                         (GDestroyNotify) tz_snapshot_unref);
}

static void
run_set_settings (TzEngine *self,
                  Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = get_state (self);

  state->settings = request->settings;
  g_task_return_pointer (job->task, evaluate (self, state, NULL, NULL),
                         (GDestroyNotify) tz_snapshot_unref);
}

/* Public API ------------------------------------------------------------------ */

gboolean
tz_engine_set_transform (TzEngine           *self,
                         const TzTransform  *transform,
                         GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (TZ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (transform != NULL, FALSE);

  g_mutex_lock (&self->mutex);
  ok = !self->learned_anything;
  if (ok)
    self->requested_transform = *transform;
  g_mutex_unlock (&self->mutex);
  if (!ok)
    g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                         "The feature transform cannot change once classes are learned");
  return ok;
}

/* Queues a job whose result is a snapshot, tagged with @source_tag. */
static void
push_job (TzEngine            *self,
          JobFunc              run,
          LearnRequest        *request,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Job *job;

  g_task_set_source_tag (task, source_tag);
  job = tz_engine_job_new (run, task);

  job->data = request;
  job->data_free = learn_request_free;
  if (run == run_learn)
    {
      job->paths = g_new0 (char *, request->n_images + 1);
      for (guint i = 0; i < request->n_images; i++)
        job->paths[i] = g_strdup (request->images[i].path);
      job->n_inputs = request->n_images;
    }
  tz_engine_push_job (self, job);
}

static TzSnapshot *
finish_snapshot (TzEngine      *self,
                 GAsyncResult  *result,
                 gpointer       source_tag,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tz_engine_learn_async (TzEngine            *self,
                       const TzLearnImage  *images,
                       guint                n_images,
                       const char          *label,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  LearnRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (images != NULL || n_images == 0);

  request = g_new0 (LearnRequest, 1);
  request->images = g_new0 (TzLearnImage, MAX (n_images, 1));
  request->n_images = n_images;
  for (guint i = 0; i < n_images; i++)
    {
      g_return_if_fail (images[i].path != NULL && images[i].class_name != NULL &&
                        *images[i].class_name != '\0');
      request->images[i].path = g_strdup (images[i].path);
      request->images[i].class_name = g_strdup (images[i].class_name);
      request->images[i].split = images[i].split;
    }
  request->label = g_strdup (label ? label : "");
  push_job (self, run_learn, request, tz_engine_learn_async, cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_learn_finish (TzEngine      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return finish_snapshot (self, result, tz_engine_learn_async, error);
}

void
tz_engine_remove_class_async (TzEngine            *self,
                              const char          *class_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  LearnRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (class_name != NULL);

  request = g_new0 (LearnRequest, 1);
  request->class_name = g_strdup (class_name);
  push_job (self, run_remove_class, request, tz_engine_remove_class_async,
            cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_remove_class_finish (TzEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return finish_snapshot (self, result, tz_engine_remove_class_async, error);
}

void
tz_engine_set_settings_async (TzEngine                   *self,
                              const TzClassifierSettings *settings,
                              GCancellable               *cancellable,
                              GAsyncReadyCallback         callback,
                              gpointer                    user_data)
{
  LearnRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (settings != NULL);

  request = g_new0 (LearnRequest, 1);
  request->settings = *settings;
  push_job (self, run_set_settings, request, tz_engine_set_settings_async,
            cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_set_settings_finish (TzEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return finish_snapshot (self, result, tz_engine_set_settings_async, error);
}
