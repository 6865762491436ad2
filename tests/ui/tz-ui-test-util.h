/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-plot.h"

G_BEGIN_DECLS

/* Helpers shared by the ui tests. */

/* Sets up GTK for a test under Xvfb: gtk_test_init(), libadwaita's styles,
 * the application's resources, and a forced light colour scheme. */
void        tz_ui_test_init          (int           *argc,
                                      char        ***argv);
/* Iterates the default main context until @done (user_data) returns TRUE,
 * failing the test after @timeout_s seconds with @what. */
void        tz_ui_test_wait_until    (gboolean     (*done) (gpointer),
                                      gpointer       user_data,
                                      double         timeout_s,
                                      const char    *what);
/* Waits until the window of @widget has drawn a frame. */
void        tz_ui_test_wait_frame    (GtkWidget     *widget);
/* Shows @widget alone in a window of @width x @height and waits until it
 * is allocated that size; returns the window (owned by GTK's toplevel
 * list; destroy it with gtk_window_destroy()). */
GtkWindow  *tz_ui_test_show          (GtkWidget     *widget,
                                      int            width,
                                      int            height);

/* Renders @widget's snapshot vfunc (its own drawing, without CSS
 * background or children) with the window's renderer. */
typedef struct
{
  int     width;
  int     height;
  guint8 *data;    /* cairo ARGB32 layout: B G R A per pixel */
} TzUiPixels;

TzUiPixels *tz_ui_test_render        (GtkWidget     *widget);
void        tz_ui_pixels_free        (TzUiPixels    *pixels);
/* The colour at (@x, @y), un-premultiplied, alpha included. */
TzPlotColor tz_ui_pixels_get         (const TzUiPixels *pixels,
                                      double         x,
                                      double         y);
/* The largest channel difference in 0..255 steps (alpha ignored). */
double      tz_ui_color_distance     (const TzPlotColor *a,
                                      const TzPlotColor *b);
/* TRUE when a pixel within @radius (a square) of (@x, @y) is opaque and
 * within @tolerance of @color. */
gboolean    tz_ui_pixels_color_near  (const TzUiPixels  *pixels,
                                      double             x,
                                      double             y,
                                      int                radius,
                                      const TzPlotColor *color,
                                      double             tolerance);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzUiPixels, tz_ui_pixels_free)

G_END_DECLS
