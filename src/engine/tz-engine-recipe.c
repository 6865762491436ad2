/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The jobs of TzEngine that change the features: another extractor, or a
 * network trained on the images learned so far. Both re-extract every
 * image the engine knows and rebuild the statistics beside the old ones,
 * which stay until the new ones are complete. */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tz-engine-private.h"
#include "tz-error.h"

typedef struct
{
  TzExtractor             *extractor;     /* the new one, or the template to train */
  TzFeatureCache          *cache;
  char                    *label;
  TzExtractorTrainOptions  options;
  char                    *weights_path;  /* @options.weights_path points here */
} RecipeRequest;

static void
recipe_request_free (gpointer data)
{
  RecipeRequest *request = data;

  g_clear_object (&request->extractor);
  g_clear_pointer (&request->cache, tz_feature_cache_unref);
  g_free (request->label);
  g_free (request->weights_path);
  g_free (request);
}

static void
push_recipe_job (TzEngine            *self,
                 JobFunc              run,
                 RecipeRequest       *request,
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
  job->data_free = recipe_request_free;
  tz_engine_push_job (self, job);
}

/* Prepares @extractor, re-extracts every image the engine knows through
 * @cache and fits a new state on those features: the same classes,
 * transform, settings and history. Only when all of that worked are the
 * extractor, cache and state replaced; the result is the snapshot with a
 * point labelled @label. Images that cannot be read any more are dropped
 * and listed after @skipped's lines. */
static TzSnapshot *
switch_extractor (TzEngine        *self,
                  Job             *job,
                  TzExtractor     *extractor,
                  TzFeatureCache  *cache,
                  const char      *label,
                  GPtrArray       *skipped,
                  GCancellable    *cancellable,
                  GError         **error)
{
  TzLearnState *state = tz_engine_get_learn_state (self);
  g_autoptr(TzExtraction) extraction = NULL;
  g_autofree TzLearnImage *images = NULL;
  TzLearnState *new_state;
  guint n_images;

  if (tz_feature_cache_get_dim (cache) != tz_extractor_get_dim (extractor) ||
      strcmp (tz_feature_cache_get_recipe (cache), tz_extractor_get_recipe (extractor)) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "The feature cache %s holds features “%s”, not “%s”",
                   tz_feature_cache_get_path (cache) ? tz_feature_cache_get_path (cache) : "in memory",
                   tz_feature_cache_get_recipe (cache), tz_extractor_get_recipe (extractor));
      return NULL;
    }
  if (!tz_extractor_prepare (extractor, cancellable, error))
    return NULL;

  images = tz_learn_state_list_images (state, &n_images);
  job->n_inputs = n_images;
  job->paths = g_new0 (char *, n_images + 1);
  for (guint i = 0; i < n_images; i++)
    job->paths[i] = g_strdup (images[i].path);
  extraction = tz_engine_extract_inputs (self, job, extractor, cache, cancellable, error);
  if (extraction == NULL)
    return NULL;

  new_state = tz_learn_state_new_like (state, tz_extractor_get_dim (extractor));
  if (!tz_learn_state_add_images (new_state, images, n_images, extraction, error))
    {
      tz_learn_state_free (new_state);
      return NULL;
    }

  /* @images borrows from the old state, which goes now. */
  g_clear_pointer (&images, g_free);
  tz_engine_swap_extractor (self, extractor, cache);
  tz_engine_set_learn_state (self, new_state);
  for (guint i = 0; i < extraction->skipped->len; i++)
    g_ptr_array_add (skipped, g_strdup (g_ptr_array_index (extraction->skipped, i)));
  return tz_engine_evaluate (self, new_state, label, skipped);
}

static void
run_set_extractor (TzEngine *self,
                   Job      *job)
{
  RecipeRequest *request = job->data;
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  TzSnapshot *snapshot;

  snapshot = switch_extractor (self, job, request->extractor, request->cache, request->label,
                               skipped, g_task_get_cancellable (job->task), &error);
  if (snapshot == NULL)
    g_task_return_error (job->task, g_steal_pointer (&error));
  else
    g_task_return_pointer (job->task, snapshot, (GDestroyNotify) tz_snapshot_unref);
  tz_engine_end_job (self);
}

typedef struct
{
  TzEngine *engine;
  guint     n_images;
} TrainProgress;

/* Training progress in images seen over all epochs, as extraction counts
 * images: a step's share of its epoch, since the extractor's batch size is
 * its own. */
static void
on_train_progress (const TzExtractorTrainProgress *progress,
                   gpointer                        user_data)
{
  TrainProgress *data = user_data;
  guint n_steps = MAX (progress->n_steps, 1);
  guint64 n = data->n_images;
  guint n_done = (guint) (progress->epoch * n + (progress->step + 1) * n / n_steps);
  gboolean last = progress->epoch + 1 == progress->n_epochs && progress->step + 1 == n_steps;
  g_autofree char *message = tz_engine_training_message (progress->epoch + 1, progress->n_epochs);

  tz_engine_publish_progress (data->engine, TRUE, n_done, (guint) (progress->n_epochs * n),
                              progress->images_per_second, message, last);
}

static void
run_train_network (TzEngine *self,
                   Job      *job)
{
  RecipeRequest *request = job->data;
  GCancellable *cancellable = g_task_get_cancellable (job->task);
  TzExtractor *network = request->extractor != NULL ? request->extractor : self->extractor;
  TzLearnState *state = tz_engine_get_learn_state (self);
  g_autoptr(GHashTable) label_of_class = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GArray) path_labels = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) decoded = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new ();
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(TzExtractor) trained = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autofree TzLearnImage *known = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  TrainProgress progress = { self, 0 };
  TzSnapshot *snapshot;
  guint n_classes = tz_learn_state_get_n_classes (state);
  guint n_learned = 0;
  guint n_known;

  if (!tz_extractor_can_train (network))
    {
      g_set_error (&error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "The features “%s” come from no network that can be trained",
                   tz_extractor_get_recipe (network));
      goto fail;
    }

  /* Labels 0 .. k-1 for the learned classes, in the classes' order. */
  for (guint c = 0; c < n_classes; c++)
    if (tz_learn_state_get_n_train (state, c) > 0)
      g_hash_table_insert (label_of_class, (gpointer) tz_learn_state_get_class_name (state, c),
                           GUINT_TO_POINTER (++n_learned));
  if (n_learned < 2)
    {
      g_set_error (&error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                   "Training a network needs at least two learned classes; %u %s learned",
                   n_learned, n_learned == 1 ? "is" : "are");
      goto fail;
    }

  known = tz_learn_state_list_images (state, &n_known);
  for (guint i = 0; i < n_known && known[i].split == TZ_SPLIT_TRAIN; i++)
    {
      guint label = GPOINTER_TO_UINT (g_hash_table_lookup (label_of_class, known[i].class_name)) - 1;

      g_ptr_array_add (paths, (gpointer) known[i].path);
      g_array_append_val (path_labels, label);
    }

  decoded = tz_engine_decode_paths (self, (const char *const *) paths->pdata, paths->len, skipped,
                                    cancellable, &error);
  if (decoded == NULL)
    goto fail;
  for (guint i = 0; i < decoded->len; i++)
    if (g_ptr_array_index (decoded, i) != NULL)
      {
        g_ptr_array_add (images, g_ptr_array_index (decoded, i));
        g_array_append_val (labels, g_array_index (path_labels, guint, i));
      }

  progress.n_images = images->len;
  /* With the extractor's default epochs, the first step tells how many. */
  if (request->options.epochs > 0)
    {
      message = tz_engine_training_message (1, request->options.epochs);
      tz_engine_publish_progress (self, TRUE, 0, request->options.epochs * images->len, 0.0,
                                  message, TRUE);
    }
  trained = tz_extractor_train (network, (const TzImage *const *) images->pdata,
                                (const guint *) labels->data, images->len, n_learned,
                                &request->options, on_train_progress, &progress,
                                cancellable, &error);
  /* The pixels are not needed any more; re-extraction reads the files. */
  g_clear_pointer (&images, g_ptr_array_unref);
  g_clear_pointer (&decoded, g_ptr_array_unref);
  if (trained == NULL)
    goto fail;

  if (tz_feature_cache_get_path (self->cache) != NULL)
    folder = g_path_get_dirname (tz_feature_cache_get_path (self->cache));
  cache = tz_feature_cache_new (tz_extractor_get_recipe (trained), tz_extractor_get_dim (trained),
                                folder, &error);
  if (cache != NULL)
    {
      snapshot = switch_extractor (self, job, trained, cache, request->label, skipped,
                                   cancellable, &error);
      if (snapshot != NULL)
        {
          g_task_return_pointer (job->task, snapshot, (GDestroyNotify) tz_snapshot_unref);
          tz_engine_end_job (self);
          return;
        }
    }
  /* Nothing changed: the trained weights must not stay behind either. */
  if (g_unlink (request->weights_path) != 0 && errno != ENOENT)
    g_warning ("Could not remove %s: %s", request->weights_path, g_strerror (errno));

fail:
  g_task_return_error (job->task, g_steal_pointer (&error));
  tz_engine_end_job (self);
}

/* Public API ------------------------------------------------------------------ */

void
tz_engine_set_extractor_async (TzEngine            *self,
                               TzExtractor         *extractor,
                               TzFeatureCache      *cache,
                               const char          *label,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  RecipeRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (TZ_IS_EXTRACTOR (extractor));
  g_return_if_fail (cache == NULL ||
                    tz_feature_cache_get_dim (cache) == tz_extractor_get_dim (extractor));

  request = g_new0 (RecipeRequest, 1);
  request->extractor = g_object_ref (extractor);
  request->cache = cache != NULL
    ? tz_feature_cache_ref (cache)
    : tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                            tz_extractor_get_dim (extractor), NULL, NULL);
  request->label = g_strdup (label ? label : "");
  push_recipe_job (self, run_set_extractor, request, tz_engine_set_extractor_async,
                   cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_set_extractor_finish (TzEngine      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return tz_engine_finish_snapshot (self, result, tz_engine_set_extractor_async, error);
}

void
tz_engine_train_network_async (TzEngine                      *self,
                               TzExtractor                   *network,
                               const TzExtractorTrainOptions *options,
                               const char                    *label,
                               GCancellable                  *cancellable,
                               GAsyncReadyCallback            callback,
                               gpointer                       user_data)
{
  RecipeRequest *request;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (network == NULL || TZ_IS_EXTRACTOR (network));
  g_return_if_fail (options != NULL);
  g_return_if_fail (options->weights_path != NULL);

  request = g_new0 (RecipeRequest, 1);
  request->extractor = network != NULL ? g_object_ref (network) : NULL;
  request->options = *options;
  request->weights_path = g_strdup (options->weights_path);
  request->options.weights_path = request->weights_path;
  request->label = g_strdup (label ? label : "");
  push_recipe_job (self, run_train_network, request, tz_engine_train_network_async,
                   cancellable, callback, user_data);
}

TzSnapshot *
tz_engine_train_network_finish (TzEngine      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return tz_engine_finish_snapshot (self, result, tz_engine_train_network_async, error);
}
