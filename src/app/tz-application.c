/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include "tz-application.h"
#include "tz-preferences-window.h"
#include "tz-window.h"

#ifdef TZ_HAVE_BACKBONE
#include "tz-deferred-extractor.h"
#endif
#include "tz-error.h"

/* Pixels are the features until a network exists; 24 px RGB keeps a
 * learning step (a Cholesky factorisation of 1728 x 1728) under a second
 * on two cores. */
#define PIXEL_SIDE 24

/* The post trains from scratch on small images: 32 px keeps base training
 * of a few thousand images to about a minute on two cores. */
#define SCRATCH_IMAGE_SIZE 32

#ifdef TZ_HAVE_BACKBONE
/* Layers "auto" for a network trained here: where patterns are as well as
 * what they are, which transfers best to the classes taught after
 * training (tests/bench/bench-recipes.sh); a weights file keeps the last
 * layer, what ImageNet features are known by. */
#define SCRATCH_LAYERS TZ_BACKBONE_LAYERS_SPATIAL
#endif

struct _TzApplication
{
  AdwApplication  parent_instance;

  TzEngine       *engine;
  char           *engine_warning;    /* why the settings' extractor was not used */
};

G_DEFINE_FINAL_TYPE (TzApplication, tz_application, ADW_TYPE_APPLICATION)

static GSettings *
settings_or_default (GSettings *settings)
{
  return settings != NULL ? g_object_ref (settings) : g_settings_new (APP_ID);
}

/* The trained network's file when it fits the chosen variant: training
 * names it after its variant, and another variant cannot load it. */
static char *
get_trained_weights (GSettings *settings)
{
  g_autofree char *trained = g_settings_get_string (settings, "trained-weights");
  g_autofree char *variant = g_settings_get_string (settings, "backbone");
  g_autofree char *basename = NULL;
  g_autofree char *prefix = NULL;

  if (*trained == '\0')
    return NULL;
  basename = g_path_get_basename (trained);
  prefix = g_strconcat (variant, "-", NULL);
  return g_str_has_prefix (basename, prefix) ? g_steal_pointer (&trained) : NULL;
}

gboolean
tz_application_uses_trained_network (GSettings *settings)
{
  g_autoptr(GSettings) own = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *trained = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), FALSE);

#ifdef TZ_HAVE_BACKBONE
  own = settings_or_default (settings);
  weights = g_settings_get_string (own, "weights");
  trained = get_trained_weights (own);
  return *weights == '\0' && trained != NULL;
#else
  return FALSE;
#endif
}

gboolean
tz_application_can_train (GSettings *settings)
{
  g_autoptr(GSettings) own = NULL;
  g_autofree char *weights = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), FALSE);

#ifdef TZ_HAVE_BACKBONE
  own = settings_or_default (settings);
  weights = g_settings_get_string (own, "weights");
  return *weights == '\0';
#else
  return FALSE;
#endif
}

#ifdef TZ_HAVE_BACKBONE
/* The options every network of the settings shares; @image_size 0 is
 * left to the caller. Layers "auto" are @auto_layers. */
static gboolean
network_options (GSettings                  *settings,
                 TzBackboneLayers            auto_layers,
                 TzBackboneExtractorOptions *options,
                 GError                    **error)
{
  g_autofree char *variant = g_settings_get_string (settings, "backbone");
  g_autofree char *device = g_settings_get_string (settings, "device");
  g_autofree char *layers = g_settings_get_string (settings, "layers");
  guint image_size = g_settings_get_uint (settings, "image-size");

  memset (options, 0, sizeof *options);
  if (!tz_backbone_variant_from_string (variant, &options->variant, error))
    return FALSE;
  tz_backbone_extract_options_init (&options->extract);
  if (g_strcmp0 (layers, "auto") == 0)
    options->extract.layers = auto_layers;
  else if (!tz_backbone_layers_parse (layers, &options->extract.layers, error))
    return FALSE;
  if (image_size != 0 && image_size < 8)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   _("An image size of %u pixels is too small for the network: it needs 8 at least"),
                   image_size);
      return FALSE;
    }
  options->extract.image_size = image_size;
  options->device = g_strcmp0 (device, "cuda") == 0 ? TZ_BACKBONE_DEVICE_CUDA
                    : g_strcmp0 (device, "cpu") == 0 ? TZ_BACKBONE_DEVICE_CPU
                    : TZ_BACKBONE_DEVICE_AUTO;
  /* Every core: libtorch's default here is one thread. */
  options->n_threads = 0;
  options->seed = 0;
  return TRUE;
}
#endif

TzExtractor *
tz_application_create_extractor (GSettings  *settings,
                                 GError    **error)
{
  g_autoptr(GSettings) own = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  own = settings_or_default (settings);
#ifdef TZ_HAVE_BACKBONE
  {
    g_autofree char *weights = g_settings_get_string (own, "weights");
    g_autofree char *trained = get_trained_weights (own);
    TzBackboneExtractorOptions options;

    if (*weights != '\0')
      {
        /* ImageNet weights see ImageNet-normalised images at their own
         * size (image size 0 means the variant's). */
        if (!network_options (own, TZ_BACKBONE_LAYERS_PENULTIMATE, &options, error))
          return NULL;
        options.weights = weights;
        options.extract.normalize = TRUE;
        return tz_deferred_extractor_new (&options, error);
      }
    if (trained != NULL)
      {
        /* As it was trained: raw pixels in [0, 1], small images. */
        if (!network_options (own, SCRATCH_LAYERS, &options, error))
          return NULL;
        options.weights = trained;
        options.extract.normalize = FALSE;
        if (options.extract.image_size == 0)
          options.extract.image_size = SCRATCH_IMAGE_SIZE;
        return tz_deferred_extractor_new (&options, error);
      }
  }
#endif
  return tz_pixel_extractor_new (PIXEL_SIDE, FALSE);
}

TzExtractor *
tz_application_create_network_template (GSettings  *settings,
                                        GError    **error)
{
  g_autoptr(GSettings) own = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  own = settings_or_default (settings);
  if (!tz_application_can_train (own))
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                           tz_application_get_recipe_locked_reason () != NULL
                           ? _("The network backbone is not available in this build")
                           : _("A weights file is chosen: its network is used as it is"));
      return NULL;
    }
#ifdef TZ_HAVE_BACKBONE
  {
    TzBackboneExtractorOptions options;

    if (!network_options (own, SCRATCH_LAYERS, &options, error))
      return NULL;
    options.weights = NULL;
    options.seed = 0;
    options.extract.normalize = FALSE;
    if (options.extract.image_size == 0)
      options.extract.image_size = SCRATCH_IMAGE_SIZE;
    return tz_deferred_extractor_new (&options, error);
  }
#else
  g_assert_not_reached ();
  return NULL;
#endif
}

char *
tz_application_new_network_path (GSettings  *settings,
                                 GError    **error)
{
  g_autoptr(GSettings) own = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *variant = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *name = NULL;
  char *path = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  own = settings_or_default (settings);
  variant = g_settings_get_string (own, "backbone");
  folder = g_build_filename (g_get_user_data_dir (), "tsuzuki", "networks", NULL);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("The folder %s for trained networks could not be made: %s"), folder,
                   g_strerror (saved_errno));
      return NULL;
    }
  stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  /* Two trainings within a second must not share a file. */
  for (guint k = 1; path == NULL || g_file_test (path, G_FILE_TEST_EXISTS); k++)
    {
      g_free (path);
      g_free (name);
      name = k == 1 ? g_strdup_printf ("%s-%s.safetensors", variant, stamp)
                    : g_strdup_printf ("%s-%s-%u.safetensors", variant, stamp, k);
      path = g_build_filename (folder, name, NULL);
    }
  return path;
}

char *
tz_application_get_cache_folder (void)
{
  return g_build_filename (g_get_user_cache_dir (), "tsuzuki", "features", NULL);
}

TzFeatureCache *
tz_application_create_cache (TzExtractor *extractor,
                             const char  *folder)
{
  g_autoptr(GError) error = NULL;
  TzFeatureCache *cache;

  g_return_val_if_fail (TZ_IS_EXTRACTOR (extractor), NULL);

  cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor), tz_extractor_get_dim (extractor),
                                folder, &error);
  if (cache == NULL)
    {
      /* A damaged cache file costs only time: work without it. */
      g_warning ("Features are kept in memory only: %s", error->message);
      cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                                    tz_extractor_get_dim (extractor), NULL, NULL);
    }
  return cache;
}

const char *
tz_application_get_recipe_locked_reason (void)
{
#ifdef TZ_HAVE_BACKBONE
  return NULL;
#else
  return _("The network backbone is not available in this build: images are compared by their pixels, scaled to 24 × 24.");
#endif
}

static TzEngine *
create_engine (const char  *cache_folder,
               char       **warning)
{
  g_autoptr(TzExtractor) extractor = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  guint n_processors = g_get_num_processors ();
  TzEngine *engine;

  extractor = tz_application_create_extractor (NULL, &error);
  if (extractor == NULL)
    {
      /* A weights file moved away must not keep the application from
       * starting: pixels until the preferences name another. */
      g_warning ("The network could not be used: %s", error->message);
      if (warning != NULL)
        *warning = g_strdup_printf (_("The network could not be used, images are compared by their pixels: %s"),
                                    error->message);
      extractor = tz_pixel_extractor_new (PIXEL_SIDE, FALSE);
    }
  cache = tz_application_create_cache (extractor, cache_folder);
  /* One processor stays free for the main thread (drawing frames in
   * software takes one), the worker and the decoders share the rest. */
  engine = tz_engine_new (extractor, cache, CLAMP (n_processors, 2, 5) - 1);
  /* The window's frames come first: on two cores the worker and the
   * decoders would otherwise keep the main thread waiting for a core. */
  tz_engine_set_background (engine);
  return engine;
}

TzEngine *
tz_application_create_engine (const char *cache_folder)
{
  return create_engine (cache_folder, NULL);
}

TzEngine *
tz_application_get_engine (TzApplication *self)
{
  g_return_val_if_fail (TZ_IS_APPLICATION (self), NULL);

  if (self->engine == NULL)
    {
      g_autofree char *folder = tz_application_get_cache_folder ();

      self->engine = create_engine (folder, &self->engine_warning);
    }
  return self->engine;
}

static gint64 start_time;

static void
warm_up_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TzApplication) self = user_data;
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  extraction = tz_engine_extract_files_finish (TZ_ENGINE (source), result, &error);
  g_debug ("Extractor ready %.0f ms after start", (g_get_monotonic_time () - start_time) / 1000.0);
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (extraction == NULL && TZ_IS_WINDOW (window))
    {
      g_autofree char *message = g_strdup_printf (_("The network could not be loaded: %s"), error->message);

      tz_window_show_toast (TZ_WINDOW (window), message);
    }
}

/* Once the window is drawn, the extractor (libtorch and the weights, for
 * the backbone) is prepared in the engine's worker by an empty job, so
 * that the first images do not wait for it and the window never does. */
static void
first_frame (GdkFrameClock *clock,
             TzApplication *self)
{
  g_debug ("First frame %.0f ms after start", (g_get_monotonic_time () - start_time) / 1000.0);
  g_signal_handlers_disconnect_by_func (clock, first_frame, self);
  tz_engine_extract_files_async (tz_application_get_engine (self), NULL, 0, NULL, warm_up_done,
                                 g_object_ref (self));
}

static void
window_mapped (GtkWidget     *window,
               TzApplication *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  if (clock != NULL)
    g_signal_connect_object (clock, "after-paint", G_CALLBACK (first_frame), self, 0);
}

static void
tz_application_activate (GApplication *application)
{
  TzApplication *self = TZ_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (tz_window_new (ADW_APPLICATION (self), tz_application_get_engine (self)));
      g_signal_connect_object (window, "map", G_CALLBACK (window_mapped), self, 0);
      if (self->engine_warning != NULL)
        tz_window_show_toast (TZ_WINDOW (window), self->engine_warning);
      g_clear_pointer (&self->engine_warning, g_free);
    }
  gtk_window_present (window);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (tz_preferences_window_new (parent,
                                                             tz_application_get_recipe_locked_reason ())));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { "The Tsuzuki developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-icon", APP_ID,
                        "application-name", "Tsuzuki",
                        "developer-name", "The Tsuzuki developers",
                        "version", PACKAGE_VERSION,
                        "comments", _("Teach classes by example and watch them learn. Each class is a Gaussian in a network’s feature space, so a new class is learned from its own images at once, without retraining and without forgetting."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* TRANSLATORS: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  adw_about_window_add_link (ADW_ABOUT_WINDOW (about), _("The Method (Lee et al. 2018)"),
                             "https://arxiv.org/abs/1807.03888");
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));

  /* Closing lets each window save its state and cancel its jobs. */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
}

static void
tz_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "preferences", preferences_action },
    { "about", about_action },
    { "quit", quit_action },
  };
  static const char *const quit_accels[] = { "<Control>q", NULL };
  static const char *const preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (tz_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions), application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.preferences", preferences_accels);
  gtk_window_set_default_icon_name (APP_ID);
}

static void
tz_application_dispose (GObject *object)
{
  TzApplication *self = TZ_APPLICATION (object);

  g_clear_object (&self->engine);
  g_clear_pointer (&self->engine_warning, g_free);

  G_OBJECT_CLASS (tz_application_parent_class)->dispose (object);
}

static void
tz_application_class_init (TzApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tz_application_dispose;
  application_class->activate = tz_application_activate;
  application_class->startup = tz_application_startup;
}

static void
tz_application_init (TzApplication *self)
{
  start_time = g_get_monotonic_time ();
}

TzApplication *
tz_application_new (void)
{
  return g_object_new (TZ_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/tsuzuki/Tsuzuki",
                       NULL);
}
