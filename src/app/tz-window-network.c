/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window and the network: the feature recipe follows the preferences
 * (every image is extracted again in the background), and "Train the
 * Network on These Classes" base-trains an EfficientNet on the classes
 * learned so far, after which its features are used. */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include "tz-application.h"
#include "tz-error.h"
#include "tz-window-private.h"

/* A spin button changes its key at every step: the recipe follows once
 * the value rests. */
#define RECIPE_DELAY_MS 400
#define TRAIN_BATCH_SIZE 64

static const char *const recipe_keys[TZ_WINDOW_N_RECIPE_KEYS] = {
  "backbone", "weights", "device", "layers", "image-size", "trained-weights",
};

/* The recipe ----------------------------------------------------------------------- */

typedef struct
{
  TzWindow *window;
  GVariant *values[TZ_WINDOW_N_RECIPE_KEYS];  /* the settings the job applies */
} RecipeJob;

static void
recipe_job_free (RecipeJob *job)
{
  g_object_unref (job->window);
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    g_clear_pointer (&job->values[i], g_variant_unref);
  g_free (job);
}

static void
read_recipe_values (TzWindow *self,
                    GVariant *values[TZ_WINDOW_N_RECIPE_KEYS])
{
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    values[i] = g_settings_get_value (self->settings, recipe_keys[i]);
}

static void
remember_recipe_values (TzWindow *self,
                        GVariant *values[TZ_WINDOW_N_RECIPE_KEYS])
{
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    {
      g_clear_pointer (&self->recipe_values[i], g_variant_unref);
      self->recipe_values[i] = g_variant_ref (values[i]);
    }
}

static gboolean
settings_match_recipe (TzWindow *self)
{
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (self->settings, recipe_keys[i]);

      if (!g_variant_equal (value, self->recipe_values[i]))
        return FALSE;
    }
  return TRUE;
}

/* Puts the settings back to what the engine uses, so that the preferences
 * tell the truth; the change this causes finds nothing to do. */
static void
restore_recipe_settings (TzWindow *self)
{
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (self->settings, recipe_keys[i]);

      if (!g_variant_equal (value, self->recipe_values[i]))
        g_settings_set_value (self->settings, recipe_keys[i], self->recipe_values[i]);
    }
}

static void
set_extractor_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  RecipeJob *job = user_data;
  TzWindow *self = job->window;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_set_extractor_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  self->n_recipe_jobs--;
  if (self->disposed)
    {
      recipe_job_free (job);
      return;
    }
  if (snapshot != NULL)
    {
      remember_recipe_values (self, job->values);
      _tz_window_apply_snapshot (self, snapshot);
    }
  else
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tz_window_show_toast (self, _("Cancelled: the features were not changed"));
      else
        {
          g_autofree char *message = g_strdup_printf (_("The features were not changed: %s"), error->message);

          tz_window_show_toast (self, message);
        }
      /* A later change still on its way decides what the settings say. */
      if (self->n_recipe_jobs == 0)
        restore_recipe_settings (self);
    }
  _tz_window_update_train_action (self);
  _tz_window_update_main_page (self);
  _tz_window_update_progress (self);
  recipe_job_free (job);
}

static gboolean
apply_recipe (gpointer user_data)
{
  TzWindow *self = user_data;
  g_autoptr(TzExtractor) extractor = NULL;
  g_autoptr(TzExtractor) current = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *device = NULL;
  g_autofree char *old_device = NULL;
  RecipeJob *job;

  self->recipe_timeout = 0;
  if (settings_match_recipe (self))
    return G_SOURCE_REMOVE;

  extractor = tz_application_create_extractor (self->settings, &error);
  if (extractor == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The features were not changed: %s"), error->message);

      tz_window_show_toast (self, message);
      if (self->n_recipe_jobs == 0)
        restore_recipe_settings (self);
      return G_SOURCE_REMOVE;
    }

  job = g_new0 (RecipeJob, 1);
  job->window = g_object_ref (self);
  read_recipe_values (self, job->values);

  /* Another device computes the same features, and pixels have no
   * device: only a new recipe, or a network moved, needs a job. */
  current = tz_engine_dup_extractor (self->engine);
  device = g_variant_dup_string (job->values[2], NULL);
  old_device = g_variant_dup_string (self->recipe_values[2], NULL);
  if (g_strcmp0 (tz_extractor_get_recipe (current), tz_extractor_get_recipe (extractor)) == 0 &&
      (!tz_extractor_can_train (extractor) || g_strcmp0 (device, old_device) == 0))
    {
      remember_recipe_values (self, job->values);
      recipe_job_free (job);
      _tz_window_update_train_action (self);
      return G_SOURCE_REMOVE;
    }

  folder = tz_application_get_cache_folder ();
  cache = tz_application_create_cache (extractor, folder);
  self->n_pending_jobs++;
  self->n_recipe_jobs++;
  /* TRANSLATORS: a step label on the accuracy curve: the feature recipe
   * (network, weights, layers or image size) changed */
  tz_engine_set_extractor_async (self->engine, extractor, cache, _("New features"), self->cancellable,
                                 set_extractor_done, job);
  _tz_window_update_train_action (self);
  _tz_window_update_main_page (self);
  _tz_window_update_progress (self);
  return G_SOURCE_REMOVE;
}

static void
recipe_setting_changed (TzWindow *self)
{
  g_clear_handle_id (&self->recipe_timeout, g_source_remove);
  if (settings_match_recipe (self))
    {
      _tz_window_update_train_action (self);
      return;
    }
  self->recipe_timeout = g_timeout_add (RECIPE_DELAY_MS, apply_recipe, self);
}

/* Training ------------------------------------------------------------------------- */

typedef struct
{
  TzWindow                *window;
  char                    *weights_path;
  TzExtractorTrainOptions  options;
  gboolean                 from_demo;
  gint64                   start_time;
} TrainJob;

static void
train_job_free (TrainJob *job)
{
  g_object_unref (job->window);
  g_free (job->weights_path);
  g_free (job);
}

static void
train_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrainJob *job = user_data;
  TzWindow *self = job->window;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_train_network_finish (TZ_ENGINE (source), result, &error);
  g_debug ("Training job ended after %.1f s%s", (g_get_monotonic_time () - job->start_time) / 1e6,
           snapshot != NULL ? "" : ", unsuccessfully");
  self->n_pending_jobs--;
  self->training = FALSE;
  if (self->disposed)
    {
      train_job_free (job);
      return;
    }
  if (snapshot != NULL)
    {
      GVariant *values[TZ_WINDOW_N_RECIPE_KEYS];

      /* The engine uses the trained network already: the settings learn
       * of it as the recipe in use, so that the next start loads it and
       * the change asks for nothing more. */
      for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
        values[i] = g_variant_ref (self->recipe_values[i]);
      g_variant_unref (values[5]);
      values[5] = g_variant_ref_sink (g_variant_new_string (job->weights_path));
      remember_recipe_values (self, values);
      for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
        g_variant_unref (values[i]);
      g_settings_set_string (self->settings, "trained-weights", job->weights_path);
      _tz_window_apply_snapshot (self, snapshot);
      tz_window_show_toast (self, _("The network is trained; its features are in use"));
      if (job->from_demo)
        _tz_window_demo_step_done (self);
    }
  else
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tz_window_show_toast (self, _("Training cancelled: the features were not changed"));
      else
        {
          g_autofree char *message = g_strdup_printf (_("The network could not be trained: %s"),
                                                      error->message);

          tz_window_show_toast (self, message);
        }
      if (job->from_demo)
        _tz_window_stop_demo (self);
    }
  _tz_window_update_train_action (self);
  _tz_window_update_main_page (self);
  _tz_window_update_progress (self);
  train_job_free (job);
}

void
_tz_window_train_network (TzWindow *self,
                          gboolean  from_demo)
{
  g_autoptr(TzExtractor) network = NULL;
  g_autoptr(GError) error = NULL;
  TrainJob *job;

  if (self->training)
    return;
  network = tz_application_create_network_template (self->settings, &error);
  if (network == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The network could not be trained: %s"), error->message);

      tz_window_show_toast (self, message);
      if (from_demo)
        _tz_window_stop_demo (self);
      return;
    }

  job = g_new0 (TrainJob, 1);
  job->window = g_object_ref (self);
  job->from_demo = from_demo;
  job->weights_path = tz_application_new_network_path (self->settings, &error);
  if (job->weights_path == NULL)
    {
      tz_window_show_toast (self, error->message);
      if (from_demo)
        _tz_window_stop_demo (self);
      train_job_free (job);
      return;
    }
  job->options.epochs = g_settings_get_uint (self->settings, "train-epochs");
  job->options.batch_size = TRAIN_BATCH_SIZE;
  job->options.learning_rate = 0;
  job->options.seed = 0;
  job->options.weights_path = job->weights_path;

  self->training = TRUE;
  self->n_pending_jobs++;
  job->start_time = g_get_monotonic_time ();
  /* TRANSLATORS: a step label on the accuracy curve: the network was
   * trained on the classes learned so far */
  tz_engine_train_network_async (self->engine, network, &job->options, _("Network trained"),
                                 self->cancellable, train_done, job);
  _tz_window_update_train_action (self);
  _tz_window_update_progress (self);
}

/* The train button and its hint ------------------------------------------------------ */

static guint
count_learned (TzWindow *self)
{
  guint n = 0;

  if (self->snapshot == NULL)
    return 0;
  for (guint c = 0; c < self->snapshot->n_classes; c++)
    n += self->snapshot->classes[c].learned ? 1 : 0;
  return n;
}

void
_tz_window_update_train_action (TzWindow *self)
{
  gboolean can_train = tz_application_can_train (self->settings);
  gboolean trained = tz_application_uses_trained_network (self->settings);
  guint n_learned = count_learned (self);
  const char *hint;

  if (tz_application_get_recipe_locked_reason () != NULL)
    hint = _("The network backbone is not available in this build: images are compared by their pixels.");
  else if (!can_train)
    hint = _("Features come from the chosen weights file: every class is learned without training.");
  else if (self->training)
    hint = _("The network is learning features from the classes taught so far.");
  else if (trained)
    hint = _("Features come from the network trained here. Training again learns from every class taught so far.");
  else if (n_learned < 2)
    hint = _("Images are compared by their pixels until the network is trained: teach two classes or more, then train it on them.");
  else
    hint = _("Images are compared by their pixels for now: train the network on these classes to learn features from them (a minute or more on a processor).");

  gtk_label_set_label (self->train_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->train_button), can_train);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.train-network",
                                 can_train && !self->training && n_learned >= 2);
}

/* Set-up ----------------------------------------------------------------------------- */

void
_tz_window_init_network (TzWindow *self)
{
  GVariant *values[TZ_WINDOW_N_RECIPE_KEYS];

  /* The engine was made from the settings as they are now. */
  read_recipe_values (self, values);
  remember_recipe_values (self, values);
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    {
      g_autofree char *signal = g_strconcat ("changed::", recipe_keys[i], NULL);

      g_variant_unref (values[i]);
      g_signal_connect_object (self->settings, signal, G_CALLBACK (recipe_setting_changed), self,
                               G_CONNECT_SWAPPED);
    }
  _tz_window_update_train_action (self);
}

void
_tz_window_dispose_network (TzWindow *self)
{
  g_clear_handle_id (&self->recipe_timeout, g_source_remove);
  for (guint i = 0; i < TZ_WINDOW_N_RECIPE_KEYS; i++)
    g_clear_pointer (&self->recipe_values[i], g_variant_unref);
}
