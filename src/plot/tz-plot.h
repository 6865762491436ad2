/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Components in [0, 1], not premultiplied (as GdkRGBA, so that the app can
 * copy one into the other field by field). */
typedef struct
{
  double red;
  double green;
  double blue;
  double alpha;
} TzPlotColor;

/* A rectangle in the drawing's user units (pixels on screen, points in
 * SVG and PDF). */
typedef struct
{
  double x;
  double y;
  double width;
  double height;
} TzPlotRect;

#define TZ_PLOT_N_SCALE_STOPS 3

/**
 * TzPlotStyle:
 * @background: painted behind the chart unless its alpha is 0 (a widget
 *   on a themed window leaves it transparent, but still sets it to the
 *   window's colour: point rings and cell gaps are drawn in it)
 * @foreground: text and axes; secondary text uses it with less alpha
 * @grid: the horizontal grid lines of the accuracy chart
 * @series: the two curves of the accuracy chart, indexed by
 *   #TzAccuracySeries
 * @scale: the heat map's colour ramp from 0 to the maximum, interpolated
 *   in OKLab so that its lightness changes evenly; the stops must be
 *   ordered in lightness (light to dark on a light background, dark to
 *   light on a dark one) for the colours to read as more and less
 * @font_family: a Pango family list such as "Cantarell, Noto Sans CJK JP"
 *   (borrowed: it must outlive the drawing)
 * @font_size: in points at 96 dots per inch (as GNOME's "Cantarell 11")
 *
 * How the charts look. The charts scale with @font_size: margins, marks
 * and line widths are multiples of it, so a bigger font gives a denser
 * picture with the same proportions.
 */
typedef struct
{
  TzPlotColor  background;
  TzPlotColor  foreground;
  TzPlotColor  grid;
  TzPlotColor  series[2];
  TzPlotColor  scale[TZ_PLOT_N_SCALE_STOPS];
  const char  *font_family;
  double       font_size;
} TzPlotStyle;

/* Fills @style with GNOME's light or dark palette (libadwaita's view
 * colours, blue and orange curves, a blue heat map), the font "Sans"
 * at 10 points. */
void      tz_plot_style_init            (TzPlotStyle        *style,
                                         gboolean            dark);
/* The heat map colour of @t in [0, 1] (clamped; NaN gives the colour of
 * 0). */
void      tz_plot_style_get_scale_color (const TzPlotStyle  *style,
                                         double              t,
                                         TzPlotColor        *color);

/* The format a chart is saved in, from a file name's extension. */
typedef enum
{
  TZ_PLOT_FORMAT_PNG,
  TZ_PLOT_FORMAT_SVG,
  TZ_PLOT_FORMAT_PDF,
} TzPlotFormat;

/* Recognises ".png", ".svg" and ".pdf" in any case; otherwise fails
 * with TZ_ERROR_INVALID_ARGUMENT naming the file. */
gboolean  tz_plot_format_from_path      (const char         *path,
                                         TzPlotFormat       *format,
                                         GError            **error);

G_END_DECLS
