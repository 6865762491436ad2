/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The chart widgets, rendered through GTK's own renderer and checked by
 * pixel against the data they were given. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "tz-accuracy-chart-widget.h"
#include "tz-confusion-chart-widget.h"
#include "tz-ui-test-util.h"

#define WIDTH 640
#define HEIGHT 420

static const double all_values[] = { 0.45, 0.52, 0.61, 0.66, 0.70 };
static const double learned_values[] = { 0.88, 0.82, 0.79, 0.74, 0.70 };

static TzAccuracyChart *
make_accuracy_chart (void)
{
  TzAccuracyChart *chart = tz_accuracy_chart_new ();
  static const char *const labels[] = { "0-4", "+Sandal", "+Shirt", "+Sneaker", "+Bag" };

  for (guint s = 0; s < G_N_ELEMENTS (labels); s++)
    tz_accuracy_chart_add_step (chart, labels[s], all_values[s], learned_values[s]);
  return chart;
}

/* The point of each value is drawn in its series' colour, where the value
 * puts it on the 0-100% axis of the plot area. */
static void
check_points (TzAccuracyChartWidget *widget,
              gboolean               dark)
{
  TzAccuracyChart *chart = tz_accuracy_chart_widget_get_chart (widget);
  g_autoptr(TzUiPixels) pixels = tz_ui_test_render (GTK_WIDGET (widget));
  TzPlotStyle style, reference;
  TzPlotRect area;

  tz_accuracy_chart_widget_get_style (widget, &style);
  tz_plot_style_init (&reference, dark);
  g_assert_true (tz_accuracy_chart_get_plot_area (chart, WIDTH, HEIGHT, &style, &area));
  g_assert_cmpfloat (area.width, >, WIDTH / 2);
  g_assert_cmpfloat (area.height, >, HEIGHT / 3);

  for (guint s = 0; s < G_N_ELEMENTS (all_values); s++)
    for (guint series = 0; series < TZ_ACCURACY_N_SERIES; series++)
      {
        double value = series == TZ_ACCURACY_SERIES_ALL ? all_values[s] : learned_values[s];
        double x, y;

        g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, s, series, &x, &y));
        /* Derived here from the value, not asked from the library. */
        g_assert_cmpfloat (fabs (y - (area.y + area.height * (1.0 - value))), <, 1.0);
        if (s == G_N_ELEMENTS (all_values) - 1 && series == TZ_ACCURACY_SERIES_ALL)
          continue;  /* both series meet at 70%: the later one is on top */
        if (!tz_ui_pixels_color_near (pixels, x, y, 1, &reference.series[series], 40))
          {
            TzPlotColor got = tz_ui_pixels_get (pixels, x, y);

            g_error ("step %u series %u at (%.0f, %.0f): #%02x%02x%02x, not the series colour",
                     s, series, x, y, (int) (got.red * 255), (int) (got.green * 255), (int) (got.blue * 255));
          }
        /* Halfway between the point and the other end of the axis there
         * is no curve colour of this series, unless the curve passes. */
      }

  /* Above every point at 95% nothing is drawn in the curves' colours. */
  for (guint s = 0; s < G_N_ELEMENTS (all_values); s++)
    {
      double x, y;

      tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, s, TZ_ACCURACY_SERIES_ALL, &x, &y);
      for (guint series = 0; series < TZ_ACCURACY_N_SERIES; series++)
        g_assert_false (tz_ui_pixels_color_near (pixels, x, area.y + area.height * 0.05, 0,
                                                 &reference.series[series], 40));
    }
}

static void
test_accuracy_widget (void)
{
  g_autoptr(TzAccuracyChart) chart = make_accuracy_chart ();
  GtkWidget *widget = tz_accuracy_chart_widget_new ();
  GtkWindow *window;
  g_autofree char *tooltip = NULL;
  TzPlotStyle style;
  double x, y;

  tz_accuracy_chart_widget_set_chart (TZ_ACCURACY_CHART_WIDGET (widget), chart);
  window = tz_ui_test_show (widget, WIDTH, HEIGHT);
  check_points (TZ_ACCURACY_CHART_WIDGET (widget), FALSE);

  /* The tooltip of a point gives its step and values. */
  tz_accuracy_chart_widget_get_style (TZ_ACCURACY_CHART_WIDGET (widget), &style);
  tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 2, TZ_ACCURACY_SERIES_LEARNED, &x, &y);
  tooltip = tz_accuracy_chart_widget_describe_point (TZ_ACCURACY_CHART_WIDGET (widget), x + 2, y - 1);
  g_assert_nonnull (tooltip);
  g_assert_nonnull (strstr (tooltip, "+Shirt"));
  g_assert_nonnull (strstr (tooltip, "61.0%"));
  g_assert_nonnull (strstr (tooltip, "79.0%"));
  g_assert_null (tz_accuracy_chart_widget_describe_point (TZ_ACCURACY_CHART_WIDGET (widget), 2, 2));

  /* The dark style follows libadwaita's. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  check_points (TZ_ACCURACY_CHART_WIDGET (widget), TRUE);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);

  gtk_window_destroy (window);
}

/* Relative luminance of a colour (WCAG), computed here. */
static double
luminance (const TzPlotColor *color)
{
  double c[3] = { color->red, color->green, color->blue };

  for (guint i = 0; i < 3; i++)
    c[i] = c[i] <= 0.03928 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/* A cell's colour, sampled near its corner, away from its number. */
static TzPlotColor
cell_color (const TzUiPixels       *pixels,
            TzConfusionChartWidget *widget,
            guint                   row,
            guint                   column)
{
  TzPlotStyle style;
  TzPlotRect cell;

  tz_confusion_chart_widget_get_style (widget, &style);
  g_assert_true (tz_confusion_chart_get_cell (tz_confusion_chart_widget_get_chart (widget), WIDTH, HEIGHT,
                                              &style, row, column, &cell));
  return tz_ui_pixels_get (pixels, cell.x + cell.width * 0.18, cell.y + cell.height * 0.18);
}

static void
test_confusion_widget (void)
{
  /* A good classifier: most of each row on the diagonal. */
  static const gint64 counts[] = {
    40, 6, 4,
    3, 44, 3,
    7, 5, 38,
  };
  static const char *const names[] = { "Cat", "Dog", "Bird" };
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (3, names, 3, names, counts);
  GtkWidget *widget = tz_confusion_chart_widget_new ();
  TzConfusionChartWidget *confusion = TZ_CONFUSION_CHART_WIDGET (widget);
  g_autoptr(TzUiPixels) pixels = NULL;
  g_autoptr(TzUiPixels) normalized = NULL;
  TzPlotStyle style;
  TzPlotRect cell;
  GtkWindow *window;
  guint row, column;

  tz_confusion_chart_widget_set_chart (confusion, chart);
  window = tz_ui_test_show (widget, WIDTH, HEIGHT);
  pixels = tz_ui_test_render (widget);
  tz_confusion_chart_widget_get_style (confusion, &style);

  for (guint r = 0; r < 3; r++)
    {
      TzPlotColor diagonal = cell_color (pixels, confusion, r, r);

      for (guint c = 0; c < 3; c++)
        {
          TzPlotColor got = cell_color (pixels, confusion, r, c);
          TzPlotColor expected;

          /* Each cell has the ramp's colour of its count over the largest
           * count (44). */
          tz_plot_style_get_scale_color (&style, counts[r * 3 + c] / 44.0, &expected);
          g_assert_cmpfloat (tz_ui_color_distance (&got, &expected), <=, 6);
          if (c != r)
            g_assert_cmpfloat (luminance (&diagonal), <, luminance (&got));
        }
    }

  /* Normalised rows: each cell shows its share of the row. */
  tz_confusion_chart_widget_set_normalize (confusion, TRUE);
  normalized = tz_ui_test_render (widget);
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 3; c++)
      {
        TzPlotColor got = cell_color (normalized, confusion, r, c);
        TzPlotColor expected;

        tz_plot_style_get_scale_color (&style, counts[r * 3 + c] / 50.0, &expected);
        g_assert_cmpfloat (tz_ui_color_distance (&got, &expected), <=, 6);
      }

  /* The cell under the pointer is the one clicked. */
  g_assert_true (tz_confusion_chart_get_cell (chart, WIDTH, HEIGHT, &style, 2, 1, &cell));
  g_assert_true (tz_confusion_chart_widget_cell_at (confusion, cell.x + cell.width / 2,
                                                    cell.y + cell.height / 2, &row, &column));
  g_assert_cmpuint (row, ==, 2);
  g_assert_cmpuint (column, ==, 1);
  g_assert_false (tz_confusion_chart_widget_cell_at (confusion, 1, 1, NULL, NULL));

  gtk_window_destroy (window);
}

/* A chart given while hidden and an empty chart draw without failing. */
static void
test_empty_charts (void)
{
  static const gint64 no_counts[1] = { 0 };
  g_autoptr(TzConfusionChart) empty = tz_confusion_chart_new (0, NULL, 0, NULL, no_counts);
  g_autoptr(TzAccuracyChart) no_steps = tz_accuracy_chart_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *accuracy = tz_accuracy_chart_widget_new ();
  GtkWidget *confusion = tz_confusion_chart_widget_new ();
  g_autoptr(TzUiPixels) pixels = NULL;
  GtkWindow *window;

  tz_accuracy_chart_widget_set_chart (TZ_ACCURACY_CHART_WIDGET (accuracy), no_steps);
  tz_confusion_chart_widget_set_chart (TZ_CONFUSION_CHART_WIDGET (confusion), empty);
  gtk_widget_set_hexpand (accuracy, TRUE);
  gtk_widget_set_hexpand (confusion, TRUE);
  gtk_box_append (GTK_BOX (box), accuracy);
  gtk_box_append (GTK_BOX (box), confusion);
  window = tz_ui_test_show (box, WIDTH, HEIGHT);
  pixels = tz_ui_test_render (accuracy);
  g_clear_pointer (&pixels, tz_ui_pixels_free);
  pixels = tz_ui_test_render (confusion);
  g_assert_false (tz_confusion_chart_widget_cell_at (TZ_CONFUSION_CHART_WIDGET (confusion),
                                                     WIDTH / 4, HEIGHT / 2, NULL, NULL));
  g_assert_null (tz_accuracy_chart_widget_describe_point (TZ_ACCURACY_CHART_WIDGET (accuracy),
                                                          WIDTH / 4, HEIGHT / 2));
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  tz_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/charts/accuracy", test_accuracy_widget);
  g_test_add_func ("/ui/charts/confusion", test_confusion_widget);
  g_test_add_func ("/ui/charts/empty", test_empty_charts);
  return g_test_run ();
}
