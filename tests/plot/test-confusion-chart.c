/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>

#include "tz-confusion-chart.h"
#include "tz-plot-test-util.h"

#define WIDTH 720
#define HEIGHT 640

static const char *const fashion[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static void
draw_confusion (gconstpointer      chart,
                cairo_t           *cr,
                double             width,
                double             height,
                const TzPlotStyle *style)
{
  tz_confusion_chart_draw (chart, cr, width, height, style);
}

/* The colour of a cell, sampled near its top-left corner: inside the
 * cell, clear of the gap between cells and of the number in its middle.
 * The cell is found from the matrix area, which the cells tile in reading
 * order (checked by test_hit_test). */
static TzPlotColor
cell_color (TzConfusionChart  *chart,
            cairo_surface_t   *surface,
            int                width,
            int                height,
            const TzPlotStyle *style,
            guint              row,
            guint              column)
{
  TzPlotRect matrix;
  double w, h;

  g_assert_true (tz_confusion_chart_get_matrix_area (chart, width, height, style, &matrix));
  w = matrix.width / tz_confusion_chart_get_n_columns (chart);
  h = matrix.height / tz_confusion_chart_get_n_rows (chart);
  return tz_test_pixel (surface, matrix.x + column * w + MAX (0.15 * w, 1.5),
                        matrix.y + row * h + MAX (0.15 * h, 1.5));
}

/* A good classifier, as a matrix with most images on the diagonal. */
static gint64 *
good_classifier (guint n)
{
  gint64 *counts = g_new (gint64, n * n);

  for (guint r = 0; r < n; r++)
    for (guint c = 0; c < n; c++)
      counts[r * n + c] = r == c ? 80 + (r * 7) % 20 : (r * 13 + c * 5) % 9;

  return counts;
}

static void
check_diagonal_darkest (guint              n,
                        const char *const *labels,
                        int                width,
                        int                height)
{
  g_autofree gint64 *counts = good_classifier (n);
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (n, labels, n, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;
  double brightest_diagonal = 0;
  double darkest_other = 1;
  TzPlotRect matrix;

  tz_plot_style_init (&style, FALSE);
  surface = tz_test_render (draw_confusion, chart, width, height, &style);

  g_assert_true (tz_confusion_chart_get_matrix_area (chart, width, height, &style, &matrix));
  for (guint r = 0; r < n; r++)
    for (guint c = 0; c < n; c++)
      {
        double w = matrix.width / n;
        TzPlotColor color = tz_test_pixel (surface, matrix.x + c * w + MAX (0.15 * w, 1.5),
                                           matrix.y + r * w + MAX (0.15 * w, 1.5));
        double l = tz_test_luminance (&color);

        if (r == c)
          brightest_diagonal = MAX (brightest_diagonal, l);
        else
          darkest_other = MIN (darkest_other, l);
      }

  g_test_message ("%u classes: diagonal luminance at most %.3f, others at least %.3f",
                  n, brightest_diagonal, darkest_other);
  g_assert_cmpfloat (brightest_diagonal, <, darkest_other);
  cairo_surface_destroy (surface);
}

static void
test_diagonal_darkest (void)
{
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_free);

  check_diagonal_darkest (10, fashion, WIDTH, HEIGHT);
  check_diagonal_darkest (10, fashion, 300, 260);

  for (guint i = 0; i < 100; i++)
    g_ptr_array_add (many, g_strdup_printf ("class number %u", i));
  check_diagonal_darkest (100, (const char *const *) many->pdata, WIDTH, HEIGHT);
}

/* More images, a darker cell (a lighter one on the dark style); the ends
 * of the scale are the style's first and last stops. */
static void
check_monotonic (gboolean dark)
{
  static const gint64 counts[] = { 0, 3, 7, 12, 20, 33, 50, 80, 120, 200 };
  static const guint order[] = { 6, 2, 9, 0, 4, 8, 1, 5, 3, 7 };
  const char *labels[G_N_ELEMENTS (counts)];
  gint64 shuffled[G_N_ELEMENTS (counts)];
  g_autoptr(TzConfusionChart) chart = NULL;
  TzPlotStyle style;
  cairo_surface_t *surface;
  double previous = dark ? -1 : 2;

  tz_plot_style_init (&style, dark);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      shuffled[i] = counts[order[i]];
      labels[i] = fashion[i];
    }
  chart = tz_confusion_chart_new (1, labels, G_N_ELEMENTS (counts), labels, shuffled);
  surface = tz_test_render (draw_confusion, chart, WIDTH, 300, &style);

  for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
    {
      guint column = 0;
      TzPlotColor color;
      double l;

      while (order[column] != k)
        column++;
      color = cell_color (chart, surface, WIDTH, 300, &style, 0, column);
      l = tz_test_luminance (&color);
      if (dark)
        g_assert_cmpfloat (l, >, previous);
      else
        g_assert_cmpfloat (l, <, previous);
      previous = l;

      if (k == 0 || k == G_N_ELEMENTS (counts) - 1)
        {
          const TzPlotColor *stop = &style.scale[k == 0 ? 0 : TZ_PLOT_N_SCALE_STOPS - 1];

          g_assert_cmpfloat (tz_test_color_distance (&color, stop), <=, 1.0);
        }
    }

  cairo_surface_destroy (surface);
}

static void
test_monotonic (void)
{
  check_monotonic (FALSE);
  check_monotonic (TRUE);
}

/* An unbalanced matrix: class 0 has 1000 images, half right; class 1 has
 * 10, 9 right. In counts, cell (0, 0) is the darker diagonal cell;
 * normalised by row, (1, 1) is. */
static void
test_normalize (void)
{
  static const char *const labels[] = { "big", "small" };
  static const gint64 counts[] = { 500, 500, 1, 9 };
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (2, labels, 2, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotColor big, small;

  tz_plot_style_init (&style, FALSE);
  g_assert_false (tz_confusion_chart_get_normalize (chart));
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 0, 0), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 1, 1), 9.0 / 500, 1e-12);

  surface = tz_test_render (draw_confusion, chart, 400, 400, &style);
  big = cell_color (chart, surface, 400, 400, &style, 0, 0);
  small = cell_color (chart, surface, 400, 400, &style, 1, 1);
  g_assert_cmpfloat (tz_test_luminance (&big), <, tz_test_luminance (&small));
  cairo_surface_destroy (surface);

  tz_confusion_chart_set_normalize (chart, TRUE);
  g_assert_true (tz_confusion_chart_get_normalize (chart));
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 0, 0), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 1, 1), 0.9, 1e-12);
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 1, 0), 0.1, 1e-12);

  surface = tz_test_render (draw_confusion, chart, 400, 400, &style);
  big = cell_color (chart, surface, 400, 400, &style, 0, 0);
  small = cell_color (chart, surface, 400, 400, &style, 1, 1);
  g_assert_cmpfloat (tz_test_luminance (&big), >, tz_test_luminance (&small));
  /* Both halves of row 0 hold half the row: the same colour. */
  {
    TzPlotColor other = cell_color (chart, surface, 400, 400, &style, 0, 1);

    g_assert_cmpfloat (tz_test_color_distance (&big, &other), <=, 1.0);
  }
  cairo_surface_destroy (surface);
}

/* A class without evaluation images has no share to show: no division by
 * zero, its cells drawn as 0. */
static void
test_empty_row (void)
{
  static const char *const labels[] = { "seen", "unseen", "other" };
  static const gint64 counts[] = { 4, 1, 0, 0, 2, 6 };
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (3, labels, 2, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;

  tz_plot_style_init (&style, FALSE);
  tz_confusion_chart_set_normalize (chart, TRUE);
  g_assert_true (isnan (tz_confusion_chart_get_value (chart, 1, 0)));
  g_assert_true (isnan (tz_confusion_chart_get_value (chart, 1, 1)));
  g_assert_cmpfloat_with_epsilon (tz_confusion_chart_get_value (chart, 2, 1), 0.75, 1e-12);

  surface = tz_test_render (draw_confusion, chart, 400, 400, &style);
  for (guint c = 0; c < 2; c++)
    {
      TzPlotColor color = cell_color (chart, surface, 400, 400, &style, 1, c);

      g_assert_cmpfloat (tz_test_color_distance (&color, &style.scale[0]), <=, 1.0);
    }
  cairo_surface_destroy (surface);
}

/* Numbers are drawn in each cell, light on dark cells and dark on light
 * ones. */
static void
test_text_contrast (void)
{
  static const char *const labels[] = { "a", "b" };
  static const gint64 counts[] = { 900, 400, 88, 0 };
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (2, labels, 2, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;

  tz_plot_style_init (&style, FALSE);
  surface = tz_test_render (draw_confusion, chart, 400, 400, &style);

  for (guint r = 0; r < 2; r++)
    for (guint c = 0; c < 2; c++)
      {
        TzPlotColor background = cell_color (chart, surface, 400, 400, &style, r, c);
        double cell_l = tz_test_luminance (&background);
        TzPlotRect cell, middle;
        double extreme = cell_l;

        g_assert_true (tz_confusion_chart_get_cell (chart, 400, 400, &style, r, c, &cell));
        middle = (TzPlotRect) { cell.x + cell.width * 0.25, cell.y + cell.height * 0.3,
                                cell.width * 0.5, cell.height * 0.4 };
        for (double y = middle.y; y < middle.y + middle.height; y++)
          for (double x = middle.x; x < middle.x + middle.width; x++)
            {
              TzPlotColor pixel = tz_test_pixel (surface, x, y);
              double l = tz_test_luminance (&pixel);

              extreme = cell_l < 0.18 ? MAX (extreme, l) : MIN (extreme, l);
            }

        /* WCAG: at least 4.5:1 between the text and its cell. */
        g_test_message ("cell (%u, %u): luminance %.3f, text %.3f", r, c, cell_l, extreme);
        g_assert_cmpfloat ((MAX (cell_l, extreme) + 0.05) / (MIN (cell_l, extreme) + 0.05), >=, 4.5);
      }

  cairo_surface_destroy (surface);
}

static void
test_hit_test (void)
{
  g_autofree gint64 *counts = good_classifier (10);
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (10, fashion, 5, fashion, counts);
  TzPlotStyle style;
  TzPlotRect matrix;

  tz_plot_style_init (&style, FALSE);
  g_assert_true (tz_confusion_chart_get_matrix_area (chart, WIDTH, HEIGHT, &style, &matrix));

  for (guint r = 0; r < 10; r++)
    for (guint c = 0; c < 5; c++)
      {
        TzPlotRect cell;
        guint row = 99, column = 99;

        g_assert_true (tz_confusion_chart_get_cell (chart, WIDTH, HEIGHT, &style, r, c, &cell));
        g_assert_true (tz_confusion_chart_hit_test (chart, WIDTH, HEIGHT, &style,
                                                    cell.x + cell.width / 2, cell.y + cell.height / 2,
                                                    &row, &column));
        g_assert_cmpuint (row, ==, r);
        g_assert_cmpuint (column, ==, c);
        /* Cells tile the matrix in reading order. */
        g_assert_cmpfloat_with_epsilon (cell.x, matrix.x + c * matrix.width / 5, 1e-9);
        g_assert_cmpfloat_with_epsilon (cell.y, matrix.y + r * matrix.height / 10, 1e-9);
      }

  g_assert_false (tz_confusion_chart_hit_test (chart, WIDTH, HEIGHT, &style, matrix.x - 1, matrix.y + 1, NULL, NULL));
  g_assert_false (tz_confusion_chart_hit_test (chart, WIDTH, HEIGHT, &style, matrix.x + 1,
                                               matrix.y + matrix.height + 1, NULL, NULL));
  g_assert_false (tz_confusion_chart_hit_test (chart, WIDTH, HEIGHT, &style, matrix.x + matrix.width,
                                               matrix.y + 1, NULL, NULL));
}

static void
test_one_class (void)
{
  static const char *const labels[] = { "only" };
  static const gint64 counts[] = { 42 };
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (1, labels, 1, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotColor color;
  guint row = 9, column = 9;
  TzPlotRect cell;

  tz_plot_style_init (&style, FALSE);
  surface = tz_test_render (draw_confusion, chart, 400, 300, &style);
  color = cell_color (chart, surface, 400, 300, &style, 0, 0);
  g_assert_cmpfloat (tz_test_color_distance (&color, &style.scale[TZ_PLOT_N_SCALE_STOPS - 1]), <=, 1.0);
  g_assert_true (tz_confusion_chart_get_cell (chart, 400, 300, &style, 0, 0, &cell));
  g_assert_true (tz_confusion_chart_hit_test (chart, 400, 300, &style, cell.x + 1, cell.y + 1, &row, &column));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (column, ==, 0);
  cairo_surface_destroy (surface);
}

static void
check_empty (guint n_rows,
             guint n_columns)
{
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (n_rows, fashion, n_columns, fashion,
                                                              (gint64[20]) { 0 });
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotRect middle = { WIDTH * 0.2, HEIGHT * 0.4, WIDTH * 0.6, HEIGHT * 0.2 };
  TzPlotRect everything = { 0, 0, WIDTH, HEIGHT };

  tz_plot_style_init (&style, FALSE);
  g_assert_false (tz_confusion_chart_get_matrix_area (chart, WIDTH, HEIGHT, &style, NULL));
  g_assert_false (tz_confusion_chart_hit_test (chart, WIDTH, HEIGHT, &style, WIDTH / 2, HEIGHT / 2, NULL, NULL));
  surface = tz_test_render (draw_confusion, chart, WIDTH, HEIGHT, &style);
  g_assert_cmpuint (tz_test_count_unlike (surface, &middle, &style.background, 30), >, 50);
  g_assert_cmpuint (tz_test_count_unlike (surface, &everything, &style.background, 1), ==,
                    tz_test_count_unlike (surface, &middle, &style.background, 1));
  cairo_surface_destroy (surface);
}

static void
test_empty (void)
{
  check_empty (0, 0);
  check_empty (10, 0);
  check_empty (0, 5);

  /* Before anything is learned the app has no labels or counts at all. */
  {
    g_autoptr(TzConfusionChart) none = tz_confusion_chart_new (0, NULL, 0, NULL, NULL);

    g_assert_false (tz_confusion_chart_get_matrix_area (none, WIDTH, HEIGHT, NULL, NULL));
  }
}

/* All zeros (nothing scored yet): no division by zero, all cells at the
 * bottom of the scale. */
static void
test_all_zero (void)
{
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (3, fashion, 3, fashion, (gint64[9]) { 0 });
  TzPlotStyle style;
  cairo_surface_t *surface;

  tz_plot_style_init (&style, FALSE);
  g_assert_cmpfloat (tz_confusion_chart_get_value (chart, 1, 1), ==, 0.0);
  surface = tz_test_render (draw_confusion, chart, 400, 400, &style);
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 3; c++)
      {
        TzPlotColor color = cell_color (chart, surface, 400, 400, &style, r, c);

        g_assert_cmpfloat (tz_test_color_distance (&color, &style.scale[0]), <=, 1.0);
      }
  cairo_surface_destroy (surface);
}

/* Long names are shortened: nothing is drawn in the left margin, and the
 * cells keep a sensible size. */
static void
test_long_names (void)
{
  const char *labels[4] = {
    "a class whose name goes on and on and on and never seems to end at all",
    "短い",
    "another extremely long class name that would push the matrix off the picture",
    "x",
  };
  g_autofree gint64 *counts = good_classifier (4);
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (4, labels, 4, labels, counts);
  TzPlotStyle style;
  cairo_surface_t *surface;
  TzPlotRect matrix;

  tz_plot_style_init (&style, FALSE);
  surface = tz_test_render (draw_confusion, chart, 500, 500, &style);
  g_assert_true (tz_confusion_chart_get_matrix_area (chart, 500, 500, &style, &matrix));
  g_assert_cmpfloat (matrix.width, >, 150);
  g_assert_cmpuint (tz_test_count_unlike (surface, &(TzPlotRect) { 0, 0, 4, 500 },
                                          &style.background, 1), ==, 0);
  g_assert_cmpuint (tz_test_count_unlike (surface, &(TzPlotRect) { 0, 496, 500, 4 },
                                          &style.background, 1), ==, 0);
  cairo_surface_destroy (surface);
}

static void
test_small_sizes (void)
{
  g_autofree gint64 *counts = good_classifier (10);
  g_autoptr(TzConfusionChart) chart = tz_confusion_chart_new (10, fashion, 10, fashion, counts);
  static const int sizes[][2] = { { 1, 1 }, { 10, 10 }, { 60, 40 }, { 200, 30 }, { 30, 300 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      cairo_surface_t *surface = tz_test_render (draw_confusion, chart, sizes[i][0], sizes[i][1], NULL);
      TzPlotRect matrix;

      if (tz_confusion_chart_get_matrix_area (chart, sizes[i][0], sizes[i][1], NULL, &matrix))
        {
          g_assert_cmpfloat (matrix.x, >=, 0);
          g_assert_cmpfloat (matrix.x + matrix.width, <=, sizes[i][0]);
        }
      cairo_surface_destroy (surface);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plot/confusion/diagonal-darkest", test_diagonal_darkest);
  g_test_add_func ("/plot/confusion/monotonic", test_monotonic);
  g_test_add_func ("/plot/confusion/normalize", test_normalize);
  g_test_add_func ("/plot/confusion/empty-row", test_empty_row);
  g_test_add_func ("/plot/confusion/text-contrast", test_text_contrast);
  g_test_add_func ("/plot/confusion/hit-test", test_hit_test);
  g_test_add_func ("/plot/confusion/one-class", test_one_class);
  g_test_add_func ("/plot/confusion/empty", test_empty);
  g_test_add_func ("/plot/confusion/all-zero", test_all_zero);
  g_test_add_func ("/plot/confusion/long-names", test_long_names);
  g_test_add_func ("/plot/confusion/small-sizes", test_small_sizes);

  return g_test_run ();
}
