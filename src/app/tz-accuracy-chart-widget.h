/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-accuracy-chart.h"

G_BEGIN_DECLS

#define TZ_TYPE_ACCURACY_CHART_WIDGET (tz_accuracy_chart_widget_get_type ())

G_DECLARE_FINAL_TYPE (TzAccuracyChartWidget, tz_accuracy_chart_widget, TZ, ACCURACY_CHART_WIDGET, GtkWidget)

/**
 * TzAccuracyChartWidget:
 *
 * Shows a #TzAccuracyChart drawn by src/plot, in the light or dark style
 * as AdwStyleManager says, with the widget's font. Hovering a point shows
 * its step and values in a tooltip.
 */
GtkWidget       *tz_accuracy_chart_widget_new        (void);
TzAccuracyChart *tz_accuracy_chart_widget_get_chart  (TzAccuracyChartWidget *self);
/* Takes a reference; @chart may be NULL for the empty state. */
void             tz_accuracy_chart_widget_set_chart  (TzAccuracyChartWidget *self,
                                                      TzAccuracyChart       *chart);
/* The style the widget draws with now (its font family string belongs to
 * the widget), so that callers can lay out the chart as it is shown. */
void             tz_accuracy_chart_widget_get_style  (TzAccuracyChartWidget *self,
                                                      TzPlotStyle           *style);
/* The tooltip text for the point under (@x, @y) in widget coordinates,
 * or NULL when no point is near. */
char            *tz_accuracy_chart_widget_describe_point (TzAccuracyChartWidget *self,
                                                          double                 x,
                                                          double                 y);

G_END_DECLS
