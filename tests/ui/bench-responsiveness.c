/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A responsiveness probe, not a timed test: while the window imports and
 * learns a folder of 2,000 images (with the application's own engine, and
 * the grid showing thumbnails), it measures the gaps between frames (a
 * tick callback keeps the frame clock running) and between runs of a
 * 5 ms high-priority timeout (how long the main loop went without getting
 * back to its sources: the stall), and prints the worst ones. The main
 * loop should never stall longer than 50 ms.
 *
 *   bench-responsiveness [N_IMAGES [VIEW]]
 *
 * VIEW is the view shown meanwhile: images (the default), accuracy,
 * confusion or try.
 */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <adwaita.h>
#include <stdlib.h>

#include "tz-application.h"
#include "tz-window.h"
#include "tz-ui-test-util.h"

#define N_CLASSES 4
#define SIDE 32

typedef struct
{
  gint64  last;
  gint64  worst;
  GArray *gaps;    /* gint64 microseconds */
} GapMeter;

static void
meter_tick (GapMeter *meter)
{
  gint64 now = g_get_monotonic_time ();

  if (meter->last != 0)
    {
      gint64 gap = now - meter->last;

      meter->worst = MAX (meter->worst, gap);
      g_array_append_val (meter->gaps, gap);
    }
  meter->last = now;
}

static gboolean
frame_tick (GtkWidget     *widget,
            GdkFrameClock *clock,
            gpointer       user_data)
{
  meter_tick (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_tick (gpointer user_data)
{
  meter_tick (user_data);
  return G_SOURCE_CONTINUE;
}

static int
compare_gaps (gconstpointer a,
              gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
report (const char *name,
        GapMeter   *meter)
{
  g_array_sort (meter->gaps, compare_gaps);
  if (meter->gaps->len == 0)
    return;
  g_print ("%-6s gaps: %u, median %.1f ms, 99th percentile %.1f ms, worst %.1f ms\n", name,
           meter->gaps->len,
           g_array_index (meter->gaps, gint64, meter->gaps->len / 2) / 1000.0,
           g_array_index (meter->gaps, gint64, meter->gaps->len * 99 / 100) / 1000.0,
           meter->worst / 1000.0);
}

static void
write_dataset (const char *folder,
               guint       n_images)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < n_images; i++)
    {
      guint c = i % N_CLASSES;
      g_autofree char *class_folder = g_strdup_printf ("%s/class%u", folder, c);
      g_autofree char *path = g_strdup_printf ("%s/%05u.png", class_folder, i);
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);

      g_mkdir_with_parents (class_folder, 0755);
      for (guint y = 0; y < SIDE; y++)
        for (guint x = 0; x < SIDE; x++)
          for (guint k = 0; k < 3; k++)
            pixels[y * stride + x * 3 + k] = (guint8) ((k == c % 3 ? 160 : 60) + g_rand_int_range (rand, 0, 80));
      if (!gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL))
        g_error ("Cannot write %s", path);
    }
}

static gboolean
all_learned (gpointer user_data)
{
  TzWindow *window = user_data;
  TzSnapshot *snapshot = tz_window_get_snapshot (window);

  return snapshot != NULL && snapshot->n_classes == N_CLASSES && snapshot->n_steps >= 1 &&
         tz_window_get_n_pending_jobs (window) == 0;
}

int
main (int   argc,
      char *argv[])
{
  guint n_images = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  const char *view = argc > 2 ? argv[2] : "images";
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *command = NULL;
  GapMeter frames = { 0, 0, g_array_new (FALSE, FALSE, sizeof (gint64)) };
  GapMeter timer = { 0, 0, g_array_new (FALSE, FALSE, sizeof (gint64)) };
  TzWindow *window;
  gint64 start;
  guint timer_id;

  tz_ui_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("tsuzuki-bench-XXXXXX", &error);
  g_assert_no_error (error);
  write_dataset (tmpdir, n_images);

  /* The application's engine with a cache in memory: every image is
   * decoded and extracted. */
  engine = tz_application_create_engine (NULL);
  window = tz_window_new (NULL, engine);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  tz_ui_test_wait_frame (GTK_WIDGET (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", view);

  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_tick, &frames, NULL);
  timer_id = g_timeout_add_full (G_PRIORITY_HIGH, 5, timer_tick, &timer, NULL);
  start = g_get_monotonic_time ();
  folder = g_file_new_for_path (tmpdir);
  tz_window_open_folder (window, folder);
  tz_ui_test_wait_until (all_learned, window, 600, "the folder to be learned");
  g_source_remove (timer_id);

  g_print ("%u images in %u classes imported and learned in %.2f s (%.0f images per second)\n",
           n_images, N_CLASSES, (g_get_monotonic_time () - start) / 1e6,
           n_images / ((g_get_monotonic_time () - start) / 1e6));
  report ("frame", &frames);
  report ("timer", &timer);
  g_print ("worst main-loop stall: %.1f ms, worst frame gap %.1f ms (goal: under 50 ms)\n",
           timer.worst / 1000.0, frames.worst / 1000.0);

  gtk_window_destroy (GTK_WINDOW (window));
  command = g_strdup_printf ("rm -rf '%s'", tmpdir);
  (void) !system (command);
  return EXIT_SUCCESS;
}
