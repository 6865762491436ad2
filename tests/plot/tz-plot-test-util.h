/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "tz-plot.h"

G_BEGIN_DECLS

/* Pixel reading for the chart tests: charts are drawn into an ARGB32
 * image surface at one pixel per unit, and sampled back. */

typedef void (*TzTestDrawFunc) (gconstpointer       chart,
                                cairo_t            *cr,
                                double              width,
                                double              height,
                                const TzPlotStyle  *style);

cairo_surface_t *tz_test_render          (TzTestDrawFunc      draw,
                                          gconstpointer       chart,
                                          int                 width,
                                          int                 height,
                                          const TzPlotStyle  *style);
/* The colour of the pixel holding the point (@x, @y), un-premultiplied. */
TzPlotColor      tz_test_pixel           (cairo_surface_t    *surface,
                                          double              x,
                                          double              y);
/* The largest difference of the three channels, in 0..255 steps. */
double           tz_test_color_distance  (const TzPlotColor  *a,
                                          const TzPlotColor  *b);
/* WCAG relative luminance, computed here (not by the library). */
double           tz_test_luminance       (const TzPlotColor  *color);
/* TRUE when a pixel within @radius pixels (a square) of (@x, @y) is
 * within @tolerance of @color. */
gboolean         tz_test_color_near      (cairo_surface_t    *surface,
                                          double              x,
                                          double              y,
                                          int                 radius,
                                          const TzPlotColor  *color,
                                          double              tolerance);
/* Pixels of the rectangle farther than @tolerance from @color. */
guint            tz_test_count_unlike    (cairo_surface_t    *surface,
                                          const TzPlotRect   *rect,
                                          const TzPlotColor  *color,
                                          double              tolerance);

#define tz_test_assert_color(surface, x, y, color, tolerance)                    \
  G_STMT_START {                                                                 \
    TzPlotColor tz_test_got_ = tz_test_pixel ((surface), (x), (y));              \
    double tz_test_d_ = tz_test_color_distance (&tz_test_got_, (color));         \
    if (tz_test_d_ > (tolerance))                                                \
      g_error ("pixel at (%.1f, %.1f) is #%02x%02x%02x, expected #%02x%02x%02x",  \
               (double) (x), (double) (y),                                       \
               (int) round (tz_test_got_.red * 255),                             \
               (int) round (tz_test_got_.green * 255),                           \
               (int) round (tz_test_got_.blue * 255),                            \
               (int) round ((color)->red * 255),                                 \
               (int) round ((color)->green * 255),                               \
               (int) round ((color)->blue * 255));                               \
  } G_STMT_END

G_END_DECLS
