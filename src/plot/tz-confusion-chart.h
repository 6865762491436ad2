/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib-object.h>

#include "tz-plot.h"

G_BEGIN_DECLS

#define TZ_TYPE_CONFUSION_CHART (tz_confusion_chart_get_type ())

/**
 * TzConfusionChart:
 *
 * The data of the confusion heat map: one row per true class (all classes
 * of the evaluation set), one column per predicted class (the learned
 * ones), and the count of images in each cell, row-major. With
 * normalisation on, each cell shows its share of the row, so that a small
 * class reads as clearly as a large one; a row without images then has no
 * value (its cells are drawn in the colour of 0, without a number).
 * Reference-counted (a boxed type); build it, then share it without
 * changing it.
 *
 * Texts are the caller's, already translated; the defaults are English:
 * "True class" and "Predicted class" on the axes, "No classes learned
 * yet" when there are no rows or no columns, no title. Labels that are not
 * valid UTF-8 are repaired and control characters become spaces.
 */
typedef struct _TzConfusionChart TzConfusionChart;

GType              tz_confusion_chart_get_type         (void) G_GNUC_CONST;
/* Copies the labels (@n_rows and @n_columns strings) and @counts
 * (@n_rows x @n_columns, none negative). Either count may be 0; the
 * chart then draws its empty state. */
TzConfusionChart  *tz_confusion_chart_new              (guint                    n_rows,
                                                        const char *const       *row_labels,
                                                        guint                    n_columns,
                                                        const char *const       *column_labels,
                                                        const gint64            *counts);
TzConfusionChart  *tz_confusion_chart_ref              (TzConfusionChart        *self);
void               tz_confusion_chart_unref            (TzConfusionChart        *self);

void               tz_confusion_chart_set_normalize    (TzConfusionChart        *self,
                                                        gboolean                 normalize);
gboolean           tz_confusion_chart_get_normalize    (const TzConfusionChart  *self);
/* @title may be NULL for none. */
void               tz_confusion_chart_set_title        (TzConfusionChart        *self,
                                                        const char              *title);
const char        *tz_confusion_chart_get_title        (const TzConfusionChart  *self);
void               tz_confusion_chart_set_axis_titles  (TzConfusionChart        *self,
                                                        const char              *rows_title,
                                                        const char              *columns_title);
void               tz_confusion_chart_set_empty_text   (TzConfusionChart        *self,
                                                        const char              *text);

guint              tz_confusion_chart_get_n_rows       (const TzConfusionChart  *self);
guint              tz_confusion_chart_get_n_columns    (const TzConfusionChart  *self);
const char        *tz_confusion_chart_get_row_label    (const TzConfusionChart  *self,
                                                        guint                    row);
const char        *tz_confusion_chart_get_column_label (const TzConfusionChart  *self,
                                                        guint                    column);
gint64             tz_confusion_chart_get_count        (const TzConfusionChart  *self,
                                                        guint                    row,
                                                        guint                    column);
/* What the cell's colour shows, in [0, 1]: its count over the largest
 * count of the matrix, or with normalisation its share of the row (NaN for
 * a row without images). An all-zero matrix is 0 everywhere. */
double             tz_confusion_chart_get_value        (const TzConfusionChart  *self,
                                                        guint                    row,
                                                        guint                    column);

/* Draws the heat map into (0, 0, @width, @height) of @cr's user space:
 * square cells coloured by tz_plot_style_get_scale_color() of their
 * value, the count (or percentage) in each cell when it fits, in black or
 * white, whichever contrasts more with the cell; class names on both axes
 * (shortened with an ellipsis, column names turned upright and thinned
 * out when crowded), axis titles, and a colour bar. @style may be NULL for
 * the light style. */
void               tz_confusion_chart_draw             (const TzConfusionChart  *self,
                                                        cairo_t                 *cr,
                                                        double                   width,
                                                        double                   height,
                                                        const TzPlotStyle       *style);

/* The rectangle of the cells. FALSE when nothing is plotted: no rows, no
 * columns, or a size too small. */
gboolean           tz_confusion_chart_get_matrix_area  (const TzConfusionChart  *self,
                                                        double                   width,
                                                        double                   height,
                                                        const TzPlotStyle       *style,
                                                        TzPlotRect              *area);
/* The rectangle of one cell (its centre is where its number is drawn). */
gboolean           tz_confusion_chart_get_cell         (const TzConfusionChart  *self,
                                                        double                   width,
                                                        double                   height,
                                                        const TzPlotStyle       *style,
                                                        guint                    row,
                                                        guint                    column,
                                                        TzPlotRect              *cell);
/* The cell under (@x, @y); FALSE outside the cells. */
gboolean           tz_confusion_chart_hit_test         (const TzConfusionChart  *self,
                                                        double                   width,
                                                        double                   height,
                                                        const TzPlotStyle       *style,
                                                        double                   x,
                                                        double                   y,
                                                        guint                   *row,
                                                        guint                   *column);

/* As tz_accuracy_chart_save(): PNG, SVG or PDF by the extension, the same
 * errors. An SVG carries the title, the class names and the counts as
 * text in <title> and <desc>. */
gboolean           tz_confusion_chart_save             (const TzConfusionChart  *self,
                                                        const char              *path,
                                                        double                   width,
                                                        double                   height,
                                                        double                   scale,
                                                        const TzPlotStyle       *style,
                                                        GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzConfusionChart, tz_confusion_chart_unref)

G_END_DECLS
