/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>
#include <math.h>

#include "tz-accuracy-chart-widget.h"
#include "tz-chart-style.h"

/* How far from a point the pointer may be for its tooltip, in pixels. */
#define HOVER_RADIUS 14.0

struct _TzAccuracyChartWidget
{
  GtkWidget        parent_instance;

  TzAccuracyChart *chart;
  char            *font_family;
};

enum {
  PROP_0,
  PROP_CHART,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (TzAccuracyChartWidget, tz_accuracy_chart_widget, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
tz_accuracy_chart_widget_snapshot (GtkWidget   *widget,
                                   GtkSnapshot *snapshot)
{
  TzAccuracyChartWidget *self = TZ_ACCURACY_CHART_WIDGET (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  TzPlotStyle style;
  cairo_t *cr;

  if (width <= 0 || height <= 0 || self->chart == NULL)
    return;

  tz_accuracy_chart_widget_get_style (self, &style);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  tz_accuracy_chart_draw (self->chart, cr, width, height, &style);
  cairo_destroy (cr);
}

static gboolean
query_tooltip (GtkWidget  *widget,
               int         x,
               int         y,
               gboolean    keyboard_mode,
               GtkTooltip *tooltip)
{
  g_autofree char *text = NULL;

  text = tz_accuracy_chart_widget_describe_point (TZ_ACCURACY_CHART_WIDGET (widget), x, y);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
dark_changed (TzAccuracyChartWidget *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
tz_accuracy_chart_widget_finalize (GObject *object)
{
  TzAccuracyChartWidget *self = TZ_ACCURACY_CHART_WIDGET (object);

  g_clear_pointer (&self->chart, tz_accuracy_chart_unref);
  g_free (self->font_family);

  G_OBJECT_CLASS (tz_accuracy_chart_widget_parent_class)->finalize (object);
}

static void
tz_accuracy_chart_widget_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  TzAccuracyChartWidget *self = TZ_ACCURACY_CHART_WIDGET (object);

  switch (prop_id)
    {
    case PROP_CHART:
      g_value_set_boxed (value, self->chart);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_accuracy_chart_widget_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  TzAccuracyChartWidget *self = TZ_ACCURACY_CHART_WIDGET (object);

  switch (prop_id)
    {
    case PROP_CHART:
      tz_accuracy_chart_widget_set_chart (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_accuracy_chart_widget_class_init (TzAccuracyChartWidgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = tz_accuracy_chart_widget_finalize;
  object_class->get_property = tz_accuracy_chart_widget_get_property;
  object_class->set_property = tz_accuracy_chart_widget_set_property;
  widget_class->snapshot = tz_accuracy_chart_widget_snapshot;
  widget_class->query_tooltip = query_tooltip;

  properties[PROP_CHART] =
    g_param_spec_boxed ("chart", NULL, NULL, TZ_TYPE_ACCURACY_CHART,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "accuracychart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tz_accuracy_chart_widget_init (TzAccuracyChartWidget *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 240, 180);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed), self, G_CONNECT_SWAPPED);
}

GtkWidget *
tz_accuracy_chart_widget_new (void)
{
  return g_object_new (TZ_TYPE_ACCURACY_CHART_WIDGET, NULL);
}

TzAccuracyChart *
tz_accuracy_chart_widget_get_chart (TzAccuracyChartWidget *self)
{
  g_return_val_if_fail (TZ_IS_ACCURACY_CHART_WIDGET (self), NULL);
  return self->chart;
}

void
tz_accuracy_chart_widget_set_chart (TzAccuracyChartWidget *self,
                                    TzAccuracyChart       *chart)
{
  g_return_if_fail (TZ_IS_ACCURACY_CHART_WIDGET (self));

  if (self->chart == chart)
    return;
  if (chart != NULL)
    tz_accuracy_chart_ref (chart);
  g_clear_pointer (&self->chart, tz_accuracy_chart_unref);
  self->chart = chart;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHART]);
}

void
tz_accuracy_chart_widget_get_style (TzAccuracyChartWidget *self,
                                    TzPlotStyle           *style)
{
  g_return_if_fail (TZ_IS_ACCURACY_CHART_WIDGET (self));
  g_return_if_fail (style != NULL);

  tz_chart_style_for_widget (GTK_WIDGET (self), style, &self->font_family);
}

static char *
format_percent (double value)
{
  if (!isfinite (value))
    /* TRANSLATORS: a value that could not be measured */
    return g_strdup (_("none"));
  /* TRANSLATORS: a percentage, e.g. "78.5%" */
  return g_strdup_printf (_("%.1f%%"), value * 100.0);
}

char *
tz_accuracy_chart_widget_describe_point (TzAccuracyChartWidget *self,
                                         double                 x,
                                         double                 y)
{
  TzPlotStyle style;
  TzAccuracySeries series;
  guint step;
  g_autofree char *all = NULL;
  g_autofree char *learned = NULL;

  g_return_val_if_fail (TZ_IS_ACCURACY_CHART_WIDGET (self), NULL);

  if (self->chart == NULL)
    return NULL;
  tz_accuracy_chart_widget_get_style (self, &style);
  if (!tz_accuracy_chart_hit_test (self->chart,
                                   gtk_widget_get_width (GTK_WIDGET (self)),
                                   gtk_widget_get_height (GTK_WIDGET (self)),
                                   &style, x, y, HOVER_RADIUS, &step, &series))
    return NULL;

  all = format_percent (tz_accuracy_chart_get_value (self->chart, step, TZ_ACCURACY_SERIES_ALL));
  learned = format_percent (tz_accuracy_chart_get_value (self->chart, step, TZ_ACCURACY_SERIES_LEARNED));
  /* TRANSLATORS: the tooltip of a point of the accuracy curve: the step
   * number, what the step changed, then the two accuracies */
  return g_strdup_printf (_("Step %u: %s\nAll images: %s\nLearned classes: %s"),
                          step + 1, tz_accuracy_chart_get_step_label (self->chart, step),
                          all, learned);
}
