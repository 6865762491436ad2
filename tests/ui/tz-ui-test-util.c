/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "tz-ui-test-util.h"

void
tz_ui_test_init (int    *argc,
                 char ***argv)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_test_init (argc, argv, NULL);
  adw_init ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_css_provider_load_from_resource (provider, "/io/github/tsuzuki/Tsuzuki/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

void
tz_ui_test_wait_until (gboolean   (*done) (gpointer),
                       gpointer     user_data,
                       double       timeout_s,
                       const char  *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!done (user_data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out after %.0f s waiting for %s", timeout_s, what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
painted (GdkFrameClock *clock,
         gboolean      *done)
{
  *done = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

void
tz_ui_test_wait_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean done = FALSE;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (painted), &done);
  gtk_widget_queue_draw (widget);
  tz_ui_test_wait_until (flag_set, &done, 10, "a frame to be drawn");
  g_signal_handler_disconnect (clock, handler);
}

typedef struct
{
  GtkWidget *widget;
  int        width;
  int        height;
} ShowWait;

static gboolean
allocated (gpointer user_data)
{
  ShowWait *wait = user_data;

  return gtk_widget_get_mapped (wait->widget) &&
         gtk_widget_get_width (wait->widget) == wait->width &&
         gtk_widget_get_height (wait->widget) == wait->height;
}

GtkWindow *
tz_ui_test_show (GtkWidget *widget,
                 int        width,
                 int        height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  ShowWait wait = { widget, width, height };

  gtk_window_set_decorated (window, FALSE);
  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, widget);
  gtk_window_present (window);
  tz_ui_test_wait_until (allocated, &wait, 10, "the widget to be shown at its size");
  tz_ui_test_wait_frame (GTK_WIDGET (window));
  return window;
}

TzUiPixels *
tz_ui_test_render (GtkWidget *widget)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  TzUiPixels *pixels = g_new0 (TzUiPixels, 1);

  pixels->width = gtk_widget_get_width (widget);
  pixels->height = gtk_widget_get_height (widget);
  pixels->data = g_malloc0 ((gsize) pixels->width * pixels->height * 4);

  /* The widget's own snapshot vfunc, as GTK calls it for a frame, turned
   * into pixels by the window's renderer. */
  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return pixels;
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, pixels->width, pixels->height));
  g_assert_cmpint (gdk_texture_get_width (texture), ==, pixels->width);
  gdk_texture_download (texture, pixels->data, (gsize) pixels->width * 4);
  return pixels;
}

void
tz_ui_pixels_free (TzUiPixels *pixels)
{
  if (pixels == NULL)
    return;
  g_free (pixels->data);
  g_free (pixels);
}

TzPlotColor
tz_ui_pixels_get (const TzUiPixels *pixels,
                  double            x,
                  double            y)
{
  int px = CLAMP ((int) floor (x), 0, pixels->width - 1);
  int py = CLAMP ((int) floor (y), 0, pixels->height - 1);
  const guint8 *p = pixels->data + ((gsize) py * pixels->width + px) * 4;
  double alpha = p[3] / 255.0;
  TzPlotColor color = { 0, 0, 0, alpha };

  /* gdk_texture_download() gives cairo's premultiplied ARGB32. */
  if (alpha > 0)
    {
      color.red = p[2] / 255.0 / alpha;
      color.green = p[1] / 255.0 / alpha;
      color.blue = p[0] / 255.0 / alpha;
    }
  return color;
}

double
tz_ui_color_distance (const TzPlotColor *a,
                      const TzPlotColor *b)
{
  return 255.0 * MAX (fabs (a->red - b->red), MAX (fabs (a->green - b->green), fabs (a->blue - b->blue)));
}

gboolean
tz_ui_pixels_color_near (const TzUiPixels  *pixels,
                         double             x,
                         double             y,
                         int                radius,
                         const TzPlotColor *color,
                         double             tolerance)
{
  for (int dy = -radius; dy <= radius; dy++)
    for (int dx = -radius; dx <= radius; dx++)
      {
        TzPlotColor got = tz_ui_pixels_get (pixels, x + dx, y + dy);

        if (got.alpha > 0.95 && tz_ui_color_distance (&got, color) <= tolerance)
          return TRUE;
      }
  return FALSE;
}
