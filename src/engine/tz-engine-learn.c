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

/* An image the state knows, by path only: features come back from the
 * cache when a job needs them again. */
typedef struct
{
  char  *path;
  guint  class_index;
} ImageItem;

struct _TzLearnState
{
  TzTransform           transform;
  TzClassifierSettings  settings;
  guint                 dim;
  TzGaussianModel      *model;          /* NULL until the first step */
  GPtrArray            *class_names;    /* char*, in order of creation */
  GArray               *n_train;        /* guint per class */
  GArray               *n_eval;         /* guint per class */
  GArray               *train_items;    /* ImageItem */
  GArray               *eval_items;     /* ImageItem */
  GArray               *eval_features;  /* float, dim per item */
  GArray               *history;        /* TzSnapshotStep */
};

typedef struct
{
  TzLearnImage         *images;   /* deep copies */
  guint                 n_images;
  char                 *label;
  char                 *class_name;
  char                 *new_name;
  TzClassifierSettings  settings;
  GHashTable           *paths;    /* set of paths to move */
  TzSplit               split;
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
  for (guint i = 0; i < state->train_items->len; i++)
    g_free (g_array_index (state->train_items, ImageItem, i).path);
  g_array_unref (state->train_items);
  for (guint i = 0; i < state->eval_items->len; i++)
    g_free (g_array_index (state->eval_items, ImageItem, i).path);
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
  state->train_items = g_array_new (FALSE, FALSE, sizeof (ImageItem));
  state->eval_items = g_array_new (FALSE, FALSE, sizeof (ImageItem));
  state->eval_features = g_array_new (FALSE, FALSE, sizeof (float));
  state->history = g_array_new (FALSE, FALSE, sizeof (TzSnapshotStep));
  return state;
}

/* The engine's state, made on first use in the worker. Until statistics
 * exist, the transform follows tz_engine_set_transform(), even when a job
 * that learns nothing (settings, another extractor) made the state. */
TzLearnState *
tz_engine_get_learn_state (TzEngine *self)
{
  if (self->learn == NULL)
    self->learn = learn_state_new (tz_extractor_get_dim (self->extractor));
  if (self->learn->model == NULL)
    {
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
TzSnapshot *
tz_engine_evaluate (TzEngine     *self,
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
      const ImageItem *item = &g_array_index (state->eval_items, ImageItem, i);

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

/* The state for other jobs ---------------------------------------------------- */

guint
tz_learn_state_get_n_classes (TzLearnState *state)
{
  return state->class_names->len;
}

const char *
tz_learn_state_get_class_name (TzLearnState *state,
                               guint         class_index)
{
  g_assert (class_index < state->class_names->len);
  return g_ptr_array_index (state->class_names, class_index);
}

guint
tz_learn_state_get_n_train (TzLearnState *state,
                            guint         class_index)
{
  g_assert (class_index < state->n_train->len);
  return g_array_index (state->n_train, guint, class_index);
}

TzLearnImage *
tz_learn_state_list_images (TzLearnState *state,
                            guint        *n_images)
{
  guint n_train = state->train_items->len;
  guint n = n_train + state->eval_items->len;
  TzLearnImage *images = g_new0 (TzLearnImage, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      const ImageItem *item = i < n_train
        ? &g_array_index (state->train_items, ImageItem, i)
        : &g_array_index (state->eval_items, ImageItem, i - n_train);

      images[i].path = item->path;
      images[i].class_name = g_ptr_array_index (state->class_names, item->class_index);
      images[i].split = i < n_train ? TZ_SPLIT_TRAIN : TZ_SPLIT_EVAL;
    }
  *n_images = n;
  return images;
}

TzLearnState *
tz_learn_state_new_like (TzLearnState *state,
                         guint         dim)
{
  TzLearnState *like = learn_state_new (dim);

  like->transform = state->transform;
  like->settings = state->settings;
  for (guint c = 0; c < state->class_names->len; c++)
    state_ensure_class (like, g_ptr_array_index (state->class_names, c));
  for (guint s = 0; s < state->history->len; s++)
    {
      TzSnapshotStep step = g_array_index (state->history, TzSnapshotStep, s);

      step.label = g_strdup (step.label);
      g_array_append_val (like->history, step);
    }
  return like;
}

void
tz_engine_set_learn_state (TzEngine     *self,
                           TzLearnState *state)
{
  g_clear_pointer (&self->learn, tz_learn_state_free);
  self->learn = state;
}

/* Merges the training features into a model of their own first, so that a
 * failure leaves the engine's statistics untouched, then into the engine's
 * (which cannot fail once dimensions and transforms agree). */
gboolean
tz_learn_state_add_images (TzLearnState        *state,
                           const TzLearnImage  *images,
                           guint                n_images,
                           const TzExtraction  *extraction,
                           GError             **error)
{
  g_autoptr(TzGaussianModel) step_model = tz_gaussian_model_new (state->dim, &state->transform);
  g_autoptr(GHashTable) rows_of_class = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                               (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();

  g_assert (extraction->dim == state->dim);

  for (guint i = 0; i < n_images; i++)
    {
      const TzLearnImage *image = &images[i];
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

  for (guint i = 0; i < n_images; i++)
    {
      const TzLearnImage *image = &images[i];
      guint c = state_ensure_class (state, image->class_name);
      ImageItem item = { NULL, c };

      if (!extraction->ok[i])
        continue;
      item.path = g_strdup (image->path);
      if (image->split == TZ_SPLIT_TRAIN)
        {
          g_array_append_val (state->train_items, item);
          g_array_index (state->n_train, guint, c)++;
        }
      else
        {
          g_array_append_val (state->eval_items, item);
          g_array_append_vals (state->eval_features, extraction->features + (gsize) i * state->dim,
                               state->dim);
          g_array_index (state->n_eval, guint, c)++;
        }
    }
  return TRUE;
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
  g_free (request->new_name);
  g_clear_pointer (&request->paths, g_hash_table_unref);
  g_free (request);
}

static void
run_learn (TzEngine *self,
           Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = tz_engine_get_learn_state (self);
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;

  extraction = tz_engine_extract_inputs (self, job, NULL, NULL, g_task_get_cancellable (job->task),
                                         &error);
  if (extraction == NULL ||
      !tz_learn_state_add_images (state, request->images, request->n_images, extraction, &error))
    g_task_return_error (job->task, g_steal_pointer (&error));
  else
    {
      g_mutex_lock (&self->mutex);
      self->learned_anything = TRUE;
      g_mutex_unlock (&self->mutex);
      g_task_return_pointer (job->task,
                             tz_engine_evaluate (self, state, request->label, extraction->skipped),
                             (GDestroyNotify) tz_snapshot_unref);
    }
  tz_engine_end_job (self);
}

/* Drops the items of class @c and renumbers those of later classes;
 * @features (dim floats per item) follow their items when given. */
static void
remove_class_items (GArray *items,
                    GArray *features,
                    guint   dim,
                    guint   c)
{
  guint kept = 0;

  for (guint i = 0; i < items->len; i++)
    {
      ImageItem item = g_array_index (items, ImageItem, i);

      if (item.class_index == c)
        {
          g_free (item.path);
          continue;
        }
      if (item.class_index > c)
        item.class_index--;
      g_array_index (items, ImageItem, kept) = item;
      if (features != NULL)
        memmove ((float *) features->data + (gsize) kept * dim,
                 (float *) features->data + (gsize) i * dim, sizeof (float) * dim);
      kept++;
    }
  g_array_set_size (items, kept);
  if (features != NULL)
    g_array_set_size (features, (gsize) kept * dim);
}

static void
run_remove_class (TzEngine *self,
                  Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = tz_engine_get_learn_state (self);
  gint c = state_find_class (state, request->class_name);
  g_autofree char *label = NULL;

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

  remove_class_items (state->train_items, NULL, state->dim, (guint) c);
  remove_class_items (state->eval_items, state->eval_features, state->dim, (guint) c);
  g_ptr_array_remove_index (state->class_names, (guint) c);
  g_array_remove_index (state->n_train, (guint) c);
  g_array_remove_index (state->n_eval, (guint) c);

  label = g_strdup_printf ("−%s", request->class_name);
  g_task_return_pointer (job->task, tz_engine_evaluate (self, state, label, NULL),
                         (GDestroyNotify) tz_snapshot_unref);
}

static void
run_set_settings (TzEngine *self,
                  Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = tz_engine_get_learn_state (self);

  state->settings = request->settings;
  g_task_return_pointer (job->task, tz_engine_evaluate (self, state, NULL, NULL),
                         (GDestroyNotify) tz_snapshot_unref);
}

static void
run_rename_class (TzEngine *self,
                  Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = tz_engine_get_learn_state (self);
  gint c = state_find_class (state, request->class_name);
  gint taken = state_find_class (state, request->new_name);
  g_autoptr(GError) error = NULL;

  if (c < 0)
    {
      g_task_return_new_error (job->task, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                               "There is no class called “%s”", request->class_name);
      return;
    }
  if (*request->new_name == '\0')
    {
      g_task_return_new_error (job->task, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                               "“%s” cannot be renamed to an empty name", request->class_name);
      return;
    }
  if (taken >= 0 && taken != c)
    {
      g_task_return_new_error (job->task, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                               "“%s” cannot be renamed: there is already a class called “%s”",
                               request->class_name, request->new_name);
      return;
    }

  /* The model first: the one step that can refuse. */
  if (state->model != NULL)
    {
      gint k = tz_gaussian_model_find_class (state->model, request->class_name);

      if (k >= 0 && !tz_gaussian_model_rename_class (state->model, (guint) k, request->new_name,
                                                     &error))
        {
          g_task_return_error (job->task, g_steal_pointer (&error));
          return;
        }
    }
  g_free (g_ptr_array_index (state->class_names, (guint) c));
  g_ptr_array_index (state->class_names, (guint) c) = g_strdup (request->new_name);

  g_task_return_pointer (job->task, tz_engine_evaluate (self, state, NULL, NULL),
                         (GDestroyNotify) tz_snapshot_unref);
}

/* Moves images between the splits of their classes. The classes that lose
 * or gain training images are refitted from all their training images'
 * features, which come back from the cache by content; images that cannot
 * be read any more are dropped and listed. */
static void
run_set_split (TzEngine *self,
               Job      *job)
{
  LearnRequest *request = job->data;
  TzLearnState *state = tz_engine_get_learn_state (self);
  guint n_classes = state->class_names->len;
  guint n_train = state->train_items->len;
  guint n_eval = state->eval_items->len;
  guint dim = state->dim;
  g_autofree gboolean *affected = g_new0 (gboolean, MAX (n_classes, 1));
  g_autofree gboolean *moves_train = g_new0 (gboolean, MAX (n_train, 1));
  g_autofree gboolean *moves_eval = g_new0 (gboolean, MAX (n_eval, 1));
  /* What is extracted: (item index, from the training list?, new split). */
  g_autoptr(GArray) inputs = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) input_item = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(TzGaussianModel) refit = NULL;
  g_autoptr(GArray) train_items = NULL;
  g_autoptr(GArray) eval_items = NULL;
  g_autoptr(GArray) eval_features = NULL;
  g_autoptr(GError) error = NULL;
  gboolean any = FALSE;

  for (guint i = 0; i < n_train; i++)
    {
      const ImageItem *item = &g_array_index (state->train_items, ImageItem, i);

      moves_train[i] = request->split == TZ_SPLIT_EVAL &&
                       g_hash_table_contains (request->paths, item->path);
      affected[item->class_index] |= moves_train[i];
      any |= moves_train[i];
    }
  for (guint i = 0; i < n_eval; i++)
    {
      const ImageItem *item = &g_array_index (state->eval_items, ImageItem, i);

      moves_eval[i] = request->split == TZ_SPLIT_TRAIN &&
                      g_hash_table_contains (request->paths, item->path);
      affected[item->class_index] |= moves_eval[i];
      any |= moves_eval[i];
    }
  if (!any)
    {
      g_task_return_pointer (job->task, tz_engine_evaluate (self, state, NULL, NULL),
                             (GDestroyNotify) tz_snapshot_unref);
      return;
    }

  /* The affected classes' training images as they will be, then the
   * images that become evaluation images. Item indices of the evaluation
   * list are offset by n_train. */
  for (guint i = 0; i < n_train; i++)
    {
      const ImageItem *item = &g_array_index (state->train_items, ImageItem, i);
      TzLearnImage image = { item->path, g_ptr_array_index (state->class_names, item->class_index),
                             moves_train[i] ? TZ_SPLIT_EVAL : TZ_SPLIT_TRAIN };

      if (affected[item->class_index])
        {
          g_array_append_val (inputs, image);
          g_array_append_val (input_item, i);
        }
    }
  for (guint i = 0; i < n_eval; i++)
    {
      const ImageItem *item = &g_array_index (state->eval_items, ImageItem, i);
      TzLearnImage image = { item->path, g_ptr_array_index (state->class_names, item->class_index),
                             TZ_SPLIT_TRAIN };
      guint index = n_train + i;

      if (moves_eval[i])
        {
          g_array_append_val (inputs, image);
          g_array_append_val (input_item, index);
        }
    }

  job->n_inputs = inputs->len;
  job->paths = g_new0 (char *, inputs->len + 1);
  for (guint k = 0; k < inputs->len; k++)
    job->paths[k] = g_strdup (g_array_index (inputs, TzLearnImage, k).path);
  extraction = tz_engine_extract_inputs (self, job, NULL, NULL, g_task_get_cancellable (job->task),
                                         &error);
  if (extraction == NULL)
    goto fail;

  /* The refitted classes, in a model of their own: nothing has changed
   * yet if this fails. */
  refit = tz_gaussian_model_new (dim, &state->transform);
  for (guint c = 0; c < n_classes; c++)
    {
      g_autoptr(GArray) rows = NULL;
      gint index;

      if (!affected[c])
        continue;
      rows = g_array_new (FALSE, FALSE, sizeof (float));
      for (guint k = 0; k < inputs->len; k++)
        {
          const TzLearnImage *image = &g_array_index (inputs, TzLearnImage, k);
          guint item = g_array_index (input_item, guint, k);
          guint item_class = item < n_train
            ? g_array_index (state->train_items, ImageItem, item).class_index
            : g_array_index (state->eval_items, ImageItem, item - n_train).class_index;

          if (item_class == c && image->split == TZ_SPLIT_TRAIN && extraction->ok[k])
            g_array_append_vals (rows, extraction->features + (gsize) k * dim, dim);
        }
      if (rows->len == 0)
        continue;
      index = tz_gaussian_model_add_class (refit, g_ptr_array_index (state->class_names, c), &error);
      if (index < 0 ||
          !tz_gaussian_model_add_samples (refit, (guint) index, (const float *) rows->data,
                                          rows->len / dim, dim, &error))
        goto fail;
    }

  /* Commit: the model, then the image lists. */
  for (guint c = 0; c < n_classes; c++)
    {
      gint k;

      if (!affected[c] || state->model == NULL)
        continue;
      k = tz_gaussian_model_find_class (state->model, g_ptr_array_index (state->class_names, c));
      if (k >= 0)
        tz_gaussian_model_remove_class (state->model, (guint) k, NULL);
    }
  if (state->model == NULL)
    state->model = tz_gaussian_model_new (dim, &state->transform);
  if (!tz_gaussian_model_merge (state->model, refit, &error))
    g_error ("Refitted statistics do not fit their own model: %s", error->message);

  train_items = g_array_new (FALSE, FALSE, sizeof (ImageItem));
  eval_items = g_array_new (FALSE, FALSE, sizeof (ImageItem));
  eval_features = g_array_new (FALSE, FALSE, sizeof (float));
  for (guint i = 0; i < n_train; i++)
    {
      ImageItem *item = &g_array_index (state->train_items, ImageItem, i);

      if (!affected[item->class_index])
        {
          g_array_append_val (train_items, *item);
          item->path = NULL;
        }
    }
  for (guint i = 0; i < n_eval; i++)
    {
      ImageItem *item = &g_array_index (state->eval_items, ImageItem, i);

      if (!moves_eval[i])
        {
          g_array_append_val (eval_items, *item);
          g_array_append_vals (eval_features, (float *) state->eval_features->data + (gsize) i * dim,
                               dim);
          item->path = NULL;
        }
    }
  for (guint k = 0; k < inputs->len; k++)
    {
      const TzLearnImage *image = &g_array_index (inputs, TzLearnImage, k);
      guint index = g_array_index (input_item, guint, k);
      ImageItem *item = index < n_train
        ? &g_array_index (state->train_items, ImageItem, index)
        : &g_array_index (state->eval_items, ImageItem, index - n_train);

      if (!extraction->ok[k])
        continue;
      if (image->split == TZ_SPLIT_TRAIN)
        g_array_append_val (train_items, *item);
      else
        {
          g_array_append_val (eval_items, *item);
          g_array_append_vals (eval_features, extraction->features + (gsize) k * dim, dim);
        }
      item->path = NULL;
    }

  /* What is left in the old lists are the paths of dropped images. */
  for (guint i = 0; i < n_train; i++)
    g_free (g_array_index (state->train_items, ImageItem, i).path);
  for (guint i = 0; i < n_eval; i++)
    g_free (g_array_index (state->eval_items, ImageItem, i).path);
  g_array_unref (state->train_items);
  g_array_unref (state->eval_items);
  g_array_unref (state->eval_features);
  state->train_items = g_steal_pointer (&train_items);
  state->eval_items = g_steal_pointer (&eval_items);
  state->eval_features = g_steal_pointer (&eval_features);

  memset (state->n_train->data, 0, sizeof (guint) * n_classes);
  memset (state->n_eval->data, 0, sizeof (guint) * n_classes);
  for (guint i = 0; i < state->train_items->len; i++)
    g_array_index (state->n_train, guint,
                   g_array_index (state->train_items, ImageItem, i).class_index)++;
  for (guint i = 0; i < state->eval_items->len; i++)
    g_array_index (state->n_eval, guint,
                   g_array_index (state->eval_items, ImageItem, i).class_index)++;

  g_task_return_pointer (job->task,
                         tz_engine_evaluate (self, state, request->label, extraction->skipped),
                         (GDestroyNotify) tz_snapshot_unref);
  tz_engine_end_job (self);
  return;

fail:
  g_task_return_error (job->task, g_steal_pointer (&error));
  tz_engine_end_job (self);
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

TzSnapshot *
tz_engine_finish_snapshot (TzEngine      *self,
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
  return tz_engine_finish_snapshot (self, result, tz_engine_learn_async, error);
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
  return tz_engine_finish_snapshot (self, result, tz_engine_remove_class_async, error);
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
  return tz_engine_finish_snapshot (self, result, tz_engine_set_settings_async, error);
}

void
tz_engine_rename_class_async (TzEngine            *self,
                              const char          *old_name,
                              const char          *new_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  LearnRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (old_name != NULL);
  g_return_if_fail (new_name != NULL);

  request = g_new0 (LearnRequest, 1);
  request->class_name = g_strdup (old_name);
  request->new_name = g_strdup (new_name);
  push_job (self, run_rename_class, request, tz_engine_rename_class_async,
            cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_rename_class_finish (TzEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return tz_engine_finish_snapshot (self, result, tz_engine_rename_class_async, error);
}

void
tz_engine_set_split_async (TzEngine            *self,
                           const char *const   *paths,
                           guint                n_paths,
                           TzSplit              split,
                           const char          *label,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  LearnRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (paths != NULL || n_paths == 0);
  g_return_if_fail (split == TZ_SPLIT_TRAIN || split == TZ_SPLIT_EVAL);
  for (guint i = 0; i < n_paths; i++)
    g_return_if_fail (paths[i] != NULL);

  request = g_new0 (LearnRequest, 1);
  request->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n_paths; i++)
    g_hash_table_add (request->paths, g_strdup (paths[i]));
  request->split = split;
  request->label = g_strdup (label ? label : "");
  push_job (self, run_set_split, request, tz_engine_set_split_async,
            cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_set_split_finish (TzEngine      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return tz_engine_finish_snapshot (self, result, tz_engine_set_split_async, error);
}
