/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include "tz-plot.h"

G_BEGIN_DECLS

/* Shared by the charts of src/plot; not part of the public API. */

/* A text measuring context independent of the target surface: metrics are
 * never hinted, so a chart lays out identically on screen, in a PNG and in
 * a PDF, and the hit-testing functions (which have no cairo_t) agree with
 * what was drawn. */
PangoContext *tz_plot_pango_context_new  (void);

/* The font size in user units (pixels at 96 dpi). */
double        tz_plot_style_font_px      (const TzPlotStyle  *style);

/* A one-line layout of @text in the style's font at @size_factor times
 * its size; ellipsized at the end beyond @max_width when that is > 0. */
PangoLayout  *tz_plot_text_new           (PangoContext       *context,
                                          const TzPlotStyle  *style,
                                          const char         *text,
                                          double              size_factor,
                                          gboolean            bold,
                                          double              max_width);
void          tz_plot_text_get_size      (PangoLayout        *layout,
                                          double             *width,
                                          double             *height);
/* Draws @layout rotated by @angle (radians) about (@x, @y), the point
 * that falls at (@anchor_x, @anchor_y) of the text's box (0 = left/top,
 * 1 = right/bottom). */
void          tz_plot_text_draw          (cairo_t            *cr,
                                          PangoLayout        *layout,
                                          double              x,
                                          double              y,
                                          double              anchor_x,
                                          double              anchor_y,
                                          double              angle,
                                          const TzPlotColor  *color);

void          tz_plot_set_color          (cairo_t            *cr,
                                          const TzPlotColor  *color,
                                          double              alpha_factor);
/* WCAG relative luminance of an opaque colour. */
double        tz_plot_color_luminance    (const TzPlotColor  *color);

/* Starts drawing a chart: returns FALSE (drawing nothing) for a size that
 * is not finite and positive; otherwise saves @cr, clips it to the chart
 * and paints the background. *@style is replaced by @storage, filled with
 * the light style, when it is NULL. Pair with cairo_restore(). */
gboolean      tz_plot_begin              (cairo_t             *cr,
                                          double               width,
                                          double               height,
                                          const TzPlotStyle  **style,
                                          TzPlotStyle         *storage);
/* The dimmed, centred message of a chart with nothing to show, below
 * @top. */
void          tz_plot_draw_empty_text    (cairo_t             *cr,
                                          PangoContext        *context,
                                          const TzPlotStyle   *style,
                                          const char          *text,
                                          double               width,
                                          double               height,
                                          double               top,
                                          double               pad);
/* A UTF-8 copy of @text that draws on one line: invalid bytes become
 * U+FFFD and control characters spaces. NULL stays NULL. */
char         *tz_plot_sanitize_label     (const char         *text);

typedef void (*TzPlotDrawFunc) (gconstpointer       chart,
                                cairo_t            *cr,
                                double              width,
                                double              height,
                                const TzPlotStyle  *style);

/* Draws with @draw onto a surface of the format of @path's extension and
 * writes it atomically. SVG files get @title and @description as <title>
 * and <desc> (the drawing itself holds glyph outlines, not text), PDF
 * files @title as their metadata. */
gboolean      tz_plot_save_drawing       (const char         *path,
                                          double              width,
                                          double              height,
                                          double              scale,
                                          TzPlotDrawFunc      draw,
                                          gconstpointer       chart,
                                          const TzPlotStyle  *style,
                                          const char         *title,
                                          const char         *description,
                                          GError            **error);

G_END_DECLS
