/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include "tz-application.h"
#include "tz-preferences-window.h"
#include "tz-window.h"

/* Pixels are the features until the backbone exists; 24 px RGB keeps a
 * learning step (a Cholesky factorisation of 1728 x 1728) under a second
 * on two cores. */
#define PIXEL_SIDE 24

struct _TzApplication
{
  AdwApplication  parent_instance;

  TzEngine       *engine;
};

G_DEFINE_FINAL_TYPE (TzApplication, tz_application, ADW_TYPE_APPLICATION)

TzExtractor *
tz_application_create_extractor (void)
{
  return tz_pixel_extractor_new (PIXEL_SIDE, FALSE);
}

const char *
tz_application_get_recipe_locked_reason (void)
{
  return _("The network backbone is not available in this build: images are compared by their pixels, scaled to 24 × 24.");
}

TzEngine *
tz_application_create_engine (const char *cache_folder)
{
  g_autoptr(TzExtractor) extractor = tz_application_create_extractor ();
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  guint n_processors = g_get_num_processors ();

  cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor), tz_extractor_get_dim (extractor),
                                cache_folder, &error);
  if (cache == NULL)
    {
      /* A damaged cache file costs only time: work without it. */
      g_warning ("Features are kept in memory only: %s", error->message);
      cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                                    tz_extractor_get_dim (extractor), NULL, NULL);
    }
  /* One processor stays free for the main thread (drawing frames in
   * software takes one), the worker and the decoders share the rest. */
  return tz_engine_new (extractor, cache, CLAMP (n_processors, 2, 5) - 1);
}

TzEngine *
tz_application_get_engine (TzApplication *self)
{
  g_return_val_if_fail (TZ_IS_APPLICATION (self), NULL);

  if (self->engine == NULL)
    {
      g_autofree char *folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "features", NULL);

      self->engine = tz_application_create_engine (folder);
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
