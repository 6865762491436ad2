/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Screenshots of each view for the README: runs the application's window
 * under the caller's display (Xvfb), replays the demo for a number of
 * steps, and saves the window as PNG files. Not a test.
 *
 *   tz-screenshot OUTPUT_DIR [STEPS] [--dark]
 */
#define G_LOG_DOMAIN "tsuzuki-screenshot"

#include "config.h"

#include <adwaita.h>
#include <stdlib.h>

#include "tz-application.h"
#include "tz-window.h"

static const char *output_dir;
static guint wanted_steps = 6;
static gboolean dark;

static void
wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
}

static void
save_window (GtkWidget  *window,
             const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (output_dir, name, NULL);
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  wait_ms (900);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("Cannot write %s", path);
  g_print ("%s\n", path);
}

static void
run (GApplication *application)
{
  GtkWidget *window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (application)));
  TzWindow *tz_window = TZ_WINDOW (window);
  g_autofree char *demo_image = NULL;
  g_autoptr(GFile) file = NULL;
  TzSnapshot *snapshot;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  wait_ms (600);
  save_window (window, dark ? "empty-dark.png" : "empty.png");

  gtk_widget_activate_action (window, "win.try-demo", NULL);
  for (;;)
    {
      g_main_context_iteration (NULL, TRUE);
      snapshot = tz_window_get_snapshot (tz_window);
      if (snapshot != NULL && snapshot->n_steps >= wanted_steps &&
          tz_window_get_n_pending_jobs (tz_window) == 0)
        break;
    }
  gtk_widget_activate_action (window, "win.cancel", NULL);
  /* Let the demo's closing toast time out. */
  wait_ms (6500);

  gtk_widget_activate_action (window, "win.show-view", "s", "accuracy");
  save_window (window, dark ? "accuracy-dark.png" : "accuracy.png");
  gtk_widget_activate_action (window, "win.show-view", "s", "confusion");
  save_window (window, dark ? "confusion-dark.png" : "confusion.png");
  /* The images behind the Shirt row's T-shirt/top column. */
  gtk_widget_activate_action (window, "win.show-confusion-cell", "(uu)", 6, 0);
  save_window (window, dark ? "images-dark.png" : "images.png");

  demo_image = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "demo", "8-Bag", "test", "0003.png", NULL);
  file = g_file_new_for_path (demo_image);
  tz_window_try_file (tz_window, file);
  while (tz_try_view_get_state (tz_window_get_try_view (tz_window)) == TZ_TRY_STATE_BUSY)
    g_main_context_iteration (NULL, TRUE);
  save_window (window, dark ? "try-dark.png" : "try.png");

  g_application_quit (application);
}

static void
activated (GApplication *application)
{
  /* After the window is shown and the first frames are drawn. */
  g_timeout_add_once (300, (GSourceOnceFunc) run, application);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TzApplication) application = NULL;

  if (argc < 2)
    {
      g_printerr ("usage: tz-screenshot OUTPUT_DIR [STEPS] [--dark]\n");
      return EXIT_FAILURE;
    }
  output_dir = argv[1];
  for (int i = 2; i < argc; i++)
    {
      if (g_strcmp0 (argv[i], "--dark") == 0)
        dark = TRUE;
      else
        wanted_steps = (guint) g_ascii_strtoull (argv[i], NULL, 10);
    }
  g_mkdir_with_parents (output_dir, 0755);

  application = tz_application_new ();
  g_application_set_flags (G_APPLICATION (application), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (application, "activate", G_CALLBACK (activated), NULL);
  return g_application_run (G_APPLICATION (application), 1, argv);
}
