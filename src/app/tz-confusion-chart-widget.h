/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-confusion-chart.h"

G_BEGIN_DECLS

#define TZ_TYPE_CONFUSION_CHART_WIDGET (tz_confusion_chart_widget_get_type ())

G_DECLARE_FINAL_TYPE (TzConfusionChartWidget, tz_confusion_chart_widget, TZ, CONFUSION_CHART_WIDGET, GtkWidget)

/**
 * TzConfusionChartWidget:
 *
 * Shows a #TzConfusionChart heat map in the light or dark style as
 * AdwStyleManager says. Hovering a cell shows its classes and count;
 * clicking it emits #TzConfusionChartWidget::cell-activated with its row
 * (true class) and column (predicted class).
 */
GtkWidget        *tz_confusion_chart_widget_new            (void);
TzConfusionChart *tz_confusion_chart_widget_get_chart      (TzConfusionChartWidget *self);
/* Takes a reference and owns the chart's normalisation from then on (it
 * is set from #TzConfusionChartWidget:normalize); NULL for the empty
 * state. */
void              tz_confusion_chart_widget_set_chart      (TzConfusionChartWidget *self,
                                                            TzConfusionChart       *chart);
gboolean          tz_confusion_chart_widget_get_normalize  (TzConfusionChartWidget *self);
void              tz_confusion_chart_widget_set_normalize  (TzConfusionChartWidget *self,
                                                            gboolean                normalize);
/* The style the widget draws with now (see tz_chart_style_for_widget()). */
void              tz_confusion_chart_widget_get_style      (TzConfusionChartWidget *self,
                                                            TzPlotStyle            *style);
/* The cell under (@x, @y) in widget coordinates; FALSE outside. */
gboolean          tz_confusion_chart_widget_cell_at        (TzConfusionChartWidget *self,
                                                            double                  x,
                                                            double                  y,
                                                            guint                  *row,
                                                            guint                  *column);

G_END_DECLS
