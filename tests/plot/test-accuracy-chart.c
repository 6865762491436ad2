/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>

#include "tz-accuracy-chart.h"
#include "tz-plot-test-util.h"

#define WIDTH 720
#define HEIGHT 420

/* Antialiasing at the edge of a mark, not in its middle: the pixel holding
 * a point's centre is covered by the mark and has the series colour. */
#define MARK_TOLERANCE 8
/* A two-pixel line crossing a pixel at an angle may cover it only partly. */
#define LINE_TOLERANCE 40

static void
draw_accuracy (gconstpointer      chart,
               cairo_t           *cr,
               double             width,
               double             height,
               const TzPlotStyle *style)
{
  tz_accuracy_chart_draw (chart, cr, width, height, style);
}

static TzAccuracyChart *
post_chart (void)
{
  /* The post's experiment: classes 0-4 first, then one class per step. */
  static const char *const labels[] = { "0-4", "+5 Sandal", "+6 Shirt", "+7 Sneaker", "+8 Bag", "+9 Ankle boot" };
  static const double all[] = { 0.4273, 0.45, 0.47, 0.48, 0.49, 0.4974 };
  static const double learned[] = { 0.85, 0.80, 0.72, 0.66, 0.60, 0.58 };
  TzAccuracyChart *chart = tz_accuracy_chart_new ();

  tz_accuracy_chart_set_title (chart, "Accuracy after each step");
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    g_assert_cmpuint (tz_accuracy_chart_add_step (chart, labels[i], all[i], learned[i]), ==, i);

  return chart;
}

/* Each point sits where the value says (0% at the bottom of the plot
 * area, 100% at its top, steps evenly spaced), and is drawn there in its
 * series' colour; the curve runs between consecutive points. */
static void
check_points (TzAccuracyChart   *chart,
              int                width,
              int                height,
              const TzPlotStyle *style)
{
  cairo_surface_t *surface = tz_test_render (draw_accuracy, chart, width, height, style);
  guint n = tz_accuracy_chart_get_n_steps (chart);
  TzPlotRect area;

  g_assert_true (tz_accuracy_chart_get_plot_area (chart, width, height, style, &area));
  g_assert_cmpfloat (area.x, >, 0);
  g_assert_cmpfloat (area.y, >, 0);
  g_assert_cmpfloat (area.x + area.width, <=, width);
  g_assert_cmpfloat (area.y + area.height, <=, height);

  for (guint s = 0; s < TZ_ACCURACY_N_SERIES; s++)
    {
      double last_x = NAN, last_y = NAN;

      for (guint i = 0; i < n; i++)
        {
          double value = tz_accuracy_chart_get_value (chart, i, s);
          double x, y;

          if (!tz_accuracy_chart_get_point (chart, width, height, style, i, s, &x, &y))
            {
              g_assert_false (isfinite (value));
              last_x = NAN;
              continue;
            }

          g_assert_cmpfloat_with_epsilon (x, area.x + (i + 0.5) * area.width / n, 1e-9);
          g_assert_cmpfloat_with_epsilon (y, area.y + (1 - value) * area.height, 1e-9);
          tz_test_assert_color (surface, x, y, &style->series[s], MARK_TOLERANCE);

          if (!isnan (last_x))
            for (double t = 0.25; t < 1; t += 0.25)
              g_assert_true (tz_test_color_near (surface,
                                                 last_x + t * (x - last_x),
                                                 last_y + t * (y - last_y),
                                                 1, &style->series[s], LINE_TOLERANCE));
          last_x = x;
          last_y = y;
        }
    }

  cairo_surface_destroy (surface);
}

static void
test_points (void)
{
  g_autoptr(TzAccuracyChart) chart = post_chart ();
  TzPlotStyle light, dark;

  tz_plot_style_init (&light, FALSE);
  tz_plot_style_init (&dark, TRUE);
  check_points (chart, WIDTH, HEIGHT, &light);
  check_points (chart, WIDTH, HEIGHT, &dark);
  check_points (chart, 400, 300, &light);
}

/* The grid lies where the axis says: 0% on the bottom edge of the plot
 * area (the axis line) and 50% halfway up, both visibly drawn; and a
 * higher accuracy is drawn higher. */
static void
test_axis (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotRect area;
  TzPlotColor pixel;
  double x0, y0, x1, y1, x2, y2;

  tz_plot_style_init (&style, FALSE);
  tz_accuracy_chart_add_step (chart, "0-4", 0.0, 1.0);
  tz_accuracy_chart_add_step (chart, "+5", 0.25, 0.75);
  tz_accuracy_chart_add_step (chart, "+6", 0.5, 0.6);
  surface = tz_test_render (draw_accuracy, chart, WIDTH, HEIGHT, &style);
  g_assert_true (tz_accuracy_chart_get_plot_area (chart, WIDTH, HEIGHT, &style, &area));

  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 0, TZ_ACCURACY_SERIES_ALL, &x0, &y0));
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 0, TZ_ACCURACY_SERIES_LEARNED, &x1, &y1));
  g_assert_cmpfloat_with_epsilon (y0, area.y + area.height, 1e-9);
  g_assert_cmpfloat_with_epsilon (y1, area.y, 1e-9);
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 1, TZ_ACCURACY_SERIES_ALL, &x2, &y2));
  g_assert_cmpfloat (y2, <, y0);
  g_assert_cmpfloat (x2, >, x0);

  /* Near the left end of the area, away from the curves. */
  pixel = tz_test_pixel (surface, area.x + 3, area.y + area.height);
  g_assert_cmpfloat (tz_test_color_distance (&pixel, &style.background), >, 60);
  pixel = tz_test_pixel (surface, area.x + 3, area.y + area.height / 2);
  g_assert_cmpfloat (tz_test_color_distance (&pixel, &style.background), >, 8);
  g_assert_cmpfloat (tz_test_color_distance (&pixel, &style.background), <, 60);
  pixel = tz_test_pixel (surface, area.x + 3, area.y + area.height * 0.45);
  g_assert_cmpfloat (tz_test_color_distance (&pixel, &style.background), <, 1);

  /* Tick labels sit left of the plot area. */
  g_assert_cmpuint (tz_test_count_unlike (surface,
                                          &(TzPlotRect) { 0, area.y - 8, area.x - 2, 16 },
                                          &style.background, 30), >, 10);

  cairo_surface_destroy (surface);
}

/* A missing value has no point and breaks its curve; the other curve is
 * untouched. */
static void
test_missing_values (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  TzPlotStyle style;
  cairo_surface_t *surface;
  double xa, ya, xb, yb, x, y;
  TzPlotRect column;

  tz_plot_style_init (&style, FALSE);
  tz_accuracy_chart_add_step (chart, "0-4", 0.2, 0.9);
  tz_accuracy_chart_add_step (chart, "+5", NAN, 0.85);
  tz_accuracy_chart_add_step (chart, "+6", 0.3, 0.8);
  tz_accuracy_chart_add_step (chart, "+7", INFINITY, NAN);
  g_assert_true (isnan (tz_accuracy_chart_get_value (chart, 1, TZ_ACCURACY_SERIES_ALL)));
  surface = tz_test_render (draw_accuracy, chart, WIDTH, HEIGHT, &style);

  g_assert_false (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 1, TZ_ACCURACY_SERIES_ALL, &x, &y));
  g_assert_false (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 3, TZ_ACCURACY_SERIES_ALL, &x, &y));
  g_assert_false (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 3, TZ_ACCURACY_SERIES_LEARNED, &x, &y));
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 0, TZ_ACCURACY_SERIES_ALL, &xa, &ya));
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 2, TZ_ACCURACY_SERIES_ALL, &xb, &yb));

  /* No blue between the two measured points, but the orange curve goes
   * on across step 1. */
  column = (TzPlotRect) { xa + 12, MIN (ya, yb) - 20, xb - xa - 24, fabs (yb - ya) + 40 };
  for (double py = column.y; py < column.y + column.height; py++)
    for (double px = column.x; px < column.x + column.width; px++)
      {
        TzPlotColor pixel = tz_test_pixel (surface, px, py);

        g_assert_cmpfloat (tz_test_color_distance (&pixel, &style.series[TZ_ACCURACY_SERIES_ALL]), >, 60);
      }
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 1, TZ_ACCURACY_SERIES_LEARNED, &x, &y));
  tz_test_assert_color (surface, x, y, &style.series[TZ_ACCURACY_SERIES_LEARNED], MARK_TOLERANCE);

  cairo_surface_destroy (surface);
  check_points (chart, WIDTH, HEIGHT, &style);
}

static void
test_hit_test (void)
{
  g_autoptr(TzAccuracyChart) chart = post_chart ();
  TzPlotStyle style;

  tz_plot_style_init (&style, FALSE);

  for (guint i = 0; i < tz_accuracy_chart_get_n_steps (chart); i++)
    for (guint s = 0; s < TZ_ACCURACY_N_SERIES; s++)
      {
        TzAccuracySeries series = 99;
        guint step = 99;
        double x, y;

        g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, i, s, &x, &y));
        g_assert_true (tz_accuracy_chart_hit_test (chart, WIDTH, HEIGHT, &style, x + 3, y - 2, 6,
                                                   &step, &series));
        g_assert_cmpuint (step, ==, i);
        g_assert_cmpint (series, ==, s);
        /* Outside the radius: nothing. */
        g_assert_false (tz_accuracy_chart_hit_test (chart, WIDTH, HEIGHT, &style, x + 7, y, 6,
                                                    &step, &series));
      }

  /* Far from every point. */
  g_assert_false (tz_accuracy_chart_hit_test (chart, WIDTH, HEIGHT, &style, 2, 2, 20, NULL, NULL));
}

static void
test_one_step (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  g_autoptr(TzAccuracyChart) tie = tz_accuracy_chart_new ();
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotRect area;
  double x, y;

  tz_plot_style_init (&style, FALSE);
  tz_accuracy_chart_add_step (chart, "0-9", 0.4, 0.8);
  g_assert_true (tz_accuracy_chart_get_plot_area (chart, WIDTH, HEIGHT, &style, &area));
  g_assert_true (tz_accuracy_chart_get_point (chart, WIDTH, HEIGHT, &style, 0, TZ_ACCURACY_SERIES_LEARNED, &x, &y));
  g_assert_cmpfloat_with_epsilon (x, area.x + area.width / 2, 1e-9);
  check_points (chart, WIDTH, HEIGHT, &style);

  /* Equal values: the series drawn last, "learned", is on top, and the
   * hit test names it. */
  tz_accuracy_chart_add_step (tie, "0-9", 0.66, 0.66);
  surface = tz_test_render (draw_accuracy, tie, WIDTH, HEIGHT, &style);
  g_assert_true (tz_accuracy_chart_get_point (tie, WIDTH, HEIGHT, &style, 0, TZ_ACCURACY_SERIES_ALL, &x, &y));
  tz_test_assert_color (surface, x, y, &style.series[TZ_ACCURACY_SERIES_LEARNED], MARK_TOLERANCE);
  {
    TzAccuracySeries series = TZ_ACCURACY_SERIES_ALL;

    g_assert_true (tz_accuracy_chart_hit_test (tie, WIDTH, HEIGHT, &style, x, y, 1, NULL, &series));
    g_assert_cmpint (series, ==, TZ_ACCURACY_SERIES_LEARNED);
  }
  cairo_surface_destroy (surface);
}

/* 100 steps: every point still lands on its mark, and the crowded labels
 * stay inside the picture. */
static void
test_hundred_steps (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  TzPlotStyle style;
  cairo_surface_t *surface;

  tz_plot_style_init (&style, FALSE);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *label = g_strdup_printf ("+%u a class with a long name", i);

      /* Two bands keep the curves apart, so each mark is uncovered. */
      tz_accuracy_chart_add_step (chart, label, g_rand_double_range (rand, 0.1, 0.4),
                                  g_rand_double_range (rand, 0.6, 0.9));
    }

  check_points (chart, WIDTH, HEIGHT, &style);
  check_points (chart, 1600, 500, &style);

  surface = tz_test_render (draw_accuracy, chart, WIDTH, HEIGHT, &style);
  /* The first label, turned and shortened, ends inside the left edge. */
  g_assert_cmpuint (tz_test_count_unlike (surface, &(TzPlotRect) { 0, 0, 3, HEIGHT },
                                          &style.background, 1), ==, 0);
  cairo_surface_destroy (surface);
}

static void
test_empty (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotRect middle = { WIDTH * 0.25, HEIGHT * 0.4, WIDTH * 0.5, HEIGHT * 0.2 };
  TzPlotRect everything = { 0, 0, WIDTH, HEIGHT };

  tz_plot_style_init (&style, FALSE);
  g_assert_false (tz_accuracy_chart_get_plot_area (chart, WIDTH, HEIGHT, &style, NULL));
  g_assert_false (tz_accuracy_chart_hit_test (chart, WIDTH, HEIGHT, &style, WIDTH / 2, HEIGHT / 2, 1000, NULL, NULL));

  surface = tz_test_render (draw_accuracy, chart, WIDTH, HEIGHT, &style);
  /* The empty-state text is in the middle, and nothing else is drawn. */
  g_assert_cmpuint (tz_test_count_unlike (surface, &middle, &style.background, 30), >, 50);
  g_assert_cmpuint (tz_test_count_unlike (surface, &everything, &style.background, 1), ==,
                    tz_test_count_unlike (surface, &middle, &style.background, 1));
  cairo_surface_destroy (surface);

  /* With a title there is still the message. */
  tz_accuracy_chart_set_title (chart, "Accuracy");
  tz_accuracy_chart_set_empty_text (chart, "Nothing learned");
  surface = tz_test_render (draw_accuracy, chart, WIDTH, HEIGHT, &style);
  g_assert_cmpuint (tz_test_count_unlike (surface, &middle, &style.background, 30), >, 50);
  cairo_surface_destroy (surface);
}

/* Sizes from nothing to tiny neither crash nor draw outside themselves. */
static void
test_small_sizes (void)
{
  g_autoptr(TzAccuracyChart) chart = post_chart ();
  static const int sizes[][2] = { { 1, 1 }, { 10, 10 }, { 60, 40 }, { 200, 30 }, { 30, 300 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      cairo_surface_t *surface = tz_test_render (draw_accuracy, chart, sizes[i][0], sizes[i][1], NULL);
      TzPlotRect area;

      if (tz_accuracy_chart_get_plot_area (chart, sizes[i][0], sizes[i][1], NULL, &area))
        {
          g_assert_cmpfloat (area.width, >, 0);
          g_assert_cmpfloat (area.height, >, 0);
        }
      cairo_surface_destroy (surface);
    }

  /* A zero or negative size draws nothing, and says so. */
  g_assert_false (tz_accuracy_chart_get_plot_area (chart, 0, 100, NULL, NULL));
  g_assert_false (tz_accuracy_chart_get_plot_area (chart, 100, -5, NULL, NULL));
  g_assert_false (tz_accuracy_chart_get_plot_area (chart, NAN, 100, NULL, NULL));
}

/* Labels from users: Japanese, invalid UTF-8, line breaks. */
static void
test_labels (void)
{
  g_autoptr(TzAccuracyChart) chart = tz_accuracy_chart_new ();
  TzPlotStyle style;

  tz_plot_style_init (&style, FALSE);
  tz_accuracy_chart_add_step (chart, "+5 サンダル", 0.4, 0.8);
  tz_accuracy_chart_add_step (chart, "two\nlines", 0.5, 0.7);
  tz_accuracy_chart_add_step (chart, "bad \xff byte", 0.6, 0.65);
  tz_accuracy_chart_set_series_label (chart, TZ_ACCURACY_SERIES_ALL, "すべての画像");
  tz_accuracy_chart_set_title (chart, "正解率\tafter each step");

  g_assert_cmpstr (tz_accuracy_chart_get_step_label (chart, 0), ==, "+5 サンダル");
  g_assert_cmpstr (tz_accuracy_chart_get_step_label (chart, 1), ==, "two lines");
  g_assert_true (g_utf8_validate (tz_accuracy_chart_get_step_label (chart, 2), -1, NULL));
  g_assert_cmpstr (tz_accuracy_chart_get_title (chart), ==, "正解率 after each step");
  g_assert_cmpstr (tz_accuracy_chart_get_series_label (chart, TZ_ACCURACY_SERIES_ALL), ==, "すべての画像");
  g_assert_cmpstr (tz_accuracy_chart_get_series_label (chart, TZ_ACCURACY_SERIES_LEARNED), ==, "Learned classes");

  check_points (chart, WIDTH, HEIGHT, &style);
}

static void
test_boxed_type (void)
{
  g_autoptr(TzAccuracyChart) chart = post_chart ();
  TzAccuracyChart *copy;

  g_assert_true (G_TYPE_IS_BOXED (TZ_TYPE_ACCURACY_CHART));
  copy = g_boxed_copy (TZ_TYPE_ACCURACY_CHART, chart);
  g_assert_true (copy == chart);
  g_boxed_free (TZ_TYPE_ACCURACY_CHART, copy);
  g_assert_cmpuint (tz_accuracy_chart_get_n_steps (chart), ==, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plot/accuracy/points", test_points);
  g_test_add_func ("/plot/accuracy/axis", test_axis);
  g_test_add_func ("/plot/accuracy/missing-values", test_missing_values);
  g_test_add_func ("/plot/accuracy/hit-test", test_hit_test);
  g_test_add_func ("/plot/accuracy/one-step", test_one_step);
  g_test_add_func ("/plot/accuracy/hundred-steps", test_hundred_steps);
  g_test_add_func ("/plot/accuracy/empty", test_empty);
  g_test_add_func ("/plot/accuracy/small-sizes", test_small_sizes);
  g_test_add_func ("/plot/accuracy/labels", test_labels);
  g_test_add_func ("/plot/accuracy/boxed-type", test_boxed_type);

  return g_test_run ();
}
