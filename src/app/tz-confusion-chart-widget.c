/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>
#include <math.h>

#include "tz-chart-style.h"
#include "tz-confusion-chart-widget.h"

struct _TzConfusionChartWidget
{
  GtkWidget         parent_instance;

  TzConfusionChart *chart;
  char             *font_family;
  gboolean          normalize;
};

enum {
  PROP_0,
  PROP_CHART,
  PROP_NORMALIZE,
  N_PROPS
};

enum {
  CELL_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (TzConfusionChartWidget, tz_confusion_chart_widget, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
tz_confusion_chart_widget_snapshot (GtkWidget   *widget,
                                    GtkSnapshot *snapshot)
{
  TzConfusionChartWidget *self = TZ_CONFUSION_CHART_WIDGET (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  TzPlotStyle style;
  cairo_t *cr;

  if (width <= 0 || height <= 0 || self->chart == NULL)
    return;

  tz_confusion_chart_widget_get_style (self, &style);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  tz_confusion_chart_draw (self->chart, cr, width, height, &style);
  cairo_destroy (cr);
}

static gboolean
query_tooltip (GtkWidget  *widget,
               int         x,
               int         y,
               gboolean    keyboard_mode,
               GtkTooltip *tooltip)
{
  TzConfusionChartWidget *self = TZ_CONFUSION_CHART_WIDGET (widget);
  g_autofree char *text = NULL;
  guint row, column;
  gint64 count, total = 0;

  if (!tz_confusion_chart_widget_cell_at (self, x, y, &row, &column))
    return FALSE;
  count = tz_confusion_chart_get_count (self->chart, row, column);
  for (guint c = 0; c < tz_confusion_chart_get_n_columns (self->chart); c++)
    total += tz_confusion_chart_get_count (self->chart, row, c);
  /* TRANSLATORS: the tooltip of a confusion matrix cell: the true class,
   * the predicted class, then how many of the true class's images were
   * predicted so, and their share */
  text = g_strdup_printf (ngettext ("True class: %s\nPredicted: %s\n%lu image (%.1f%% of its class)",
                                    "True class: %s\nPredicted: %s\n%lu images (%.1f%% of its class)",
                                    (gulong) count),
                          tz_confusion_chart_get_row_label (self->chart, row),
                          tz_confusion_chart_get_column_label (self->chart, column),
                          (gulong) count, total > 0 ? 100.0 * count / total : 0.0);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
pressed (GtkGestureClick        *gesture,
         int                     n_press,
         double                  x,
         double                  y,
         TzConfusionChartWidget *self)
{
  guint row, column;

  if (tz_confusion_chart_widget_cell_at (self, x, y, &row, &column))
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
      g_signal_emit (self, signals[CELL_ACTIVATED], 0, row, column);
    }
}

static void
motion (GtkEventControllerMotion *controller,
        double                    x,
        double                    y,
        TzConfusionChartWidget   *self)
{
  gboolean over = tz_confusion_chart_widget_cell_at (self, x, y, NULL, NULL);

  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), over ? "pointer" : NULL);
}

static void
dark_changed (TzConfusionChartWidget *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
tz_confusion_chart_widget_finalize (GObject *object)
{
  TzConfusionChartWidget *self = TZ_CONFUSION_CHART_WIDGET (object);

  g_clear_pointer (&self->chart, tz_confusion_chart_unref);
  g_free (self->font_family);

  G_OBJECT_CLASS (tz_confusion_chart_widget_parent_class)->finalize (object);
}

static void
tz_confusion_chart_widget_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  TzConfusionChartWidget *self = TZ_CONFUSION_CHART_WIDGET (object);

  switch (prop_id)
    {
    case PROP_CHART:
      g_value_set_boxed (value, self->chart);
      break;
    case PROP_NORMALIZE:
      g_value_set_boolean (value, self->normalize);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_confusion_chart_widget_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  TzConfusionChartWidget *self = TZ_CONFUSION_CHART_WIDGET (object);

  switch (prop_id)
    {
    case PROP_CHART:
      tz_confusion_chart_widget_set_chart (self, g_value_get_boxed (value));
      break;
    case PROP_NORMALIZE:
      tz_confusion_chart_widget_set_normalize (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_confusion_chart_widget_class_init (TzConfusionChartWidgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = tz_confusion_chart_widget_finalize;
  object_class->get_property = tz_confusion_chart_widget_get_property;
  object_class->set_property = tz_confusion_chart_widget_set_property;
  widget_class->snapshot = tz_confusion_chart_widget_snapshot;
  widget_class->query_tooltip = query_tooltip;

  properties[PROP_CHART] =
    g_param_spec_boxed ("chart", NULL, NULL, TZ_TYPE_CONFUSION_CHART,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NORMALIZE] =
    g_param_spec_boolean ("normalize", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TzConfusionChartWidget::cell-activated:
   * @row: the true class's row
   * @column: the predicted class's column
   *
   * A cell was clicked.
   */
  signals[CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "confusionchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tz_confusion_chart_widget_init (TzConfusionChartWidget *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *hover = gtk_event_controller_motion_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (hover, "motion", G_CALLBACK (motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), hover);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 240, 240);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed), self, G_CONNECT_SWAPPED);
}

GtkWidget *
tz_confusion_chart_widget_new (void)
{
  return g_object_new (TZ_TYPE_CONFUSION_CHART_WIDGET, NULL);
}

TzConfusionChart *
tz_confusion_chart_widget_get_chart (TzConfusionChartWidget *self)
{
  g_return_val_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self), NULL);
  return self->chart;
}

void
tz_confusion_chart_widget_set_chart (TzConfusionChartWidget *self,
                                     TzConfusionChart       *chart)
{
  g_return_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self));

  if (self->chart == chart)
    return;
  if (chart != NULL)
    {
      tz_confusion_chart_ref (chart);
      tz_confusion_chart_set_normalize (chart, self->normalize);
    }
  g_clear_pointer (&self->chart, tz_confusion_chart_unref);
  self->chart = chart;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHART]);
}

gboolean
tz_confusion_chart_widget_get_normalize (TzConfusionChartWidget *self)
{
  g_return_val_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self), FALSE);
  return self->normalize;
}

void
tz_confusion_chart_widget_set_normalize (TzConfusionChartWidget *self,
                                         gboolean                normalize)
{
  g_return_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self));

  normalize = !!normalize;
  if (self->normalize == normalize)
    return;
  self->normalize = normalize;
  if (self->chart != NULL)
    tz_confusion_chart_set_normalize (self->chart, normalize);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NORMALIZE]);
}

void
tz_confusion_chart_widget_get_style (TzConfusionChartWidget *self,
                                     TzPlotStyle            *style)
{
  g_return_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self));
  g_return_if_fail (style != NULL);

  tz_chart_style_for_widget (GTK_WIDGET (self), style, &self->font_family);
}

gboolean
tz_confusion_chart_widget_cell_at (TzConfusionChartWidget *self,
                                   double                  x,
                                   double                  y,
                                   guint                  *row,
                                   guint                  *column)
{
  TzPlotStyle style;
  guint r, c;

  g_return_val_if_fail (TZ_IS_CONFUSION_CHART_WIDGET (self), FALSE);

  if (self->chart == NULL)
    return FALSE;
  tz_confusion_chart_widget_get_style (self, &style);
  if (!tz_confusion_chart_hit_test (self->chart,
                                    gtk_widget_get_width (GTK_WIDGET (self)),
                                    gtk_widget_get_height (GTK_WIDGET (self)),
                                    &style, x, y, &r, &c))
    return FALSE;
  if (row != NULL)
    *row = r;
  if (column != NULL)
    *column = c;
  return TRUE;
}
