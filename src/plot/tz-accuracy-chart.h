/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib-object.h>

#include "tz-plot.h"

G_BEGIN_DECLS

/**
 * TzAccuracySeries:
 * @TZ_ACCURACY_SERIES_ALL: accuracy over all evaluation images, those of
 *   classes not yet learned included (the post's figure)
 * @TZ_ACCURACY_SERIES_LEARNED: accuracy over the images of learned classes
 *
 * The two curves of the accuracy chart (DESIGN 1.4).
 */
typedef enum
{
  TZ_ACCURACY_SERIES_ALL,
  TZ_ACCURACY_SERIES_LEARNED,
} TzAccuracySeries;

#define TZ_ACCURACY_N_SERIES 2

#define TZ_TYPE_ACCURACY_CHART (tz_accuracy_chart_get_type ())

/**
 * TzAccuracyChart:
 *
 * The data of the accuracy curve: one step per learning step, each with a
 * short label saying what changed ("0-4", "+5 Sandal") and a value per
 * series in [0, 1] (NaN for a missing value: no point is drawn and the
 * curve breaks there). The y axis always runs from 0 to 100%; values
 * outside [0, 1] are drawn at the nearer end, and infinities count as
 * missing. Reference-counted (a boxed type, so a widget can hold it as a
 * property); build it, then share it without changing it.
 *
 * Texts are the caller's, already translated; the defaults are English:
 * series "All images" and "Learned classes", empty state "No learning
 * steps yet", no title. Labels that are not valid UTF-8 are repaired and
 * control characters become spaces.
 */
typedef struct _TzAccuracyChart TzAccuracyChart;

GType             tz_accuracy_chart_get_type         (void) G_GNUC_CONST;
TzAccuracyChart  *tz_accuracy_chart_new              (void);
TzAccuracyChart  *tz_accuracy_chart_ref              (TzAccuracyChart        *self);
void              tz_accuracy_chart_unref            (TzAccuracyChart        *self);

/* @title may be NULL for none. */
void              tz_accuracy_chart_set_title        (TzAccuracyChart        *self,
                                                      const char             *title);
const char       *tz_accuracy_chart_get_title        (const TzAccuracyChart  *self);
void              tz_accuracy_chart_set_series_label (TzAccuracyChart        *self,
                                                      TzAccuracySeries        series,
                                                      const char             *label);
const char       *tz_accuracy_chart_get_series_label (const TzAccuracyChart  *self,
                                                      TzAccuracySeries        series);
void              tz_accuracy_chart_set_empty_text   (TzAccuracyChart        *self,
                                                      const char             *text);

/* Appends a step; returns its index. */
guint             tz_accuracy_chart_add_step         (TzAccuracyChart        *self,
                                                      const char             *label,
                                                      double                  accuracy_all,
                                                      double                  accuracy_learned);
guint             tz_accuracy_chart_get_n_steps      (const TzAccuracyChart  *self);
const char       *tz_accuracy_chart_get_step_label   (const TzAccuracyChart  *self,
                                                      guint                   step);
/* The value as added (NaN when missing). */
double            tz_accuracy_chart_get_value        (const TzAccuracyChart  *self,
                                                      guint                   step,
                                                      TzAccuracySeries        series);

/* Draws the chart into the rectangle (0, 0, @width, @height) of @cr's user
 * space: title, legend, a 0-100% axis with a light grid, one label per
 * step (rotated, shortened with an ellipsis and thinned out when they do
 * not fit), the two curves with a mark on each point. Without steps it
 * draws the empty-state text instead. @style may be NULL for the light
 * style. The same for any surface, so the layout functions below match
 * what is drawn at the same size and style. */
void              tz_accuracy_chart_draw             (const TzAccuracyChart  *self,
                                                      cairo_t                *cr,
                                                      double                  width,
                                                      double                  height,
                                                      const TzPlotStyle      *style);

/* The rectangle holding the curves (0% at its bottom edge, 100% at its
 * top). FALSE when nothing is plotted: no steps, or a size too small for
 * the plot. */
gboolean          tz_accuracy_chart_get_plot_area    (const TzAccuracyChart  *self,
                                                      double                  width,
                                                      double                  height,
                                                      const TzPlotStyle      *style,
                                                      TzPlotRect             *area);
/* Where the point of @step in @series is drawn (its centre). FALSE when
 * the value is missing or nothing is plotted. */
gboolean          tz_accuracy_chart_get_point        (const TzAccuracyChart  *self,
                                                      double                  width,
                                                      double                  height,
                                                      const TzPlotStyle      *style,
                                                      guint                   step,
                                                      TzAccuracySeries        series,
                                                      double                 *x,
                                                      double                 *y);
/* The point nearest to (@x, @y) no farther than @radius: its step and
 * series (either out-argument may be NULL). FALSE when there is none. */
gboolean          tz_accuracy_chart_hit_test         (const TzAccuracyChart  *self,
                                                      double                  width,
                                                      double                  height,
                                                      const TzPlotStyle      *style,
                                                      double                  x,
                                                      double                  y,
                                                      double                  radius,
                                                      guint                  *step,
                                                      TzAccuracySeries       *series);

/* Writes the chart to @path as PNG, SVG or PDF, chosen by the extension,
 * @width x @height units (points in SVG and PDF; pixels times @scale in
 * PNG, so 2 gives a sharp picture for a high-density screen). The file is
 * replaced atomically. An SVG carries the title, series and step labels
 * and values as text in <title> and <desc>. Errors name the file:
 * TZ_ERROR_INVALID_ARGUMENT for another extension, a size below 1 or over
 * 16384 pixels a side, or a @scale outside (0, 16]; G_FILE_ERROR when the
 * file cannot be written (a missing or read-only folder, a full disk);
 * G_IO_ERROR_FAILED when cairo fails (out of memory). */
gboolean          tz_accuracy_chart_save             (const TzAccuracyChart  *self,
                                                      const char             *path,
                                                      double                  width,
                                                      double                  height,
                                                      double                  scale,
                                                      const TzPlotStyle      *style,
                                                      GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzAccuracyChart, tz_accuracy_chart_unref)

G_END_DECLS
