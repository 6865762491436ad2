/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "tz-accuracy-chart.h"
#include "tz-confusion-chart.h"
#include "tz-error.h"
#include "tz-plot-test-util.h"

static const char *const names[] = {
  "airplane", "automobile", "bird & <cat>", "飛行機", "deer",
};

static TzAccuracyChart *
accuracy_chart (void)
{
  TzAccuracyChart *chart = tz_accuracy_chart_new ();

  tz_accuracy_chart_set_title (chart, "Accuracy");
  tz_accuracy_chart_add_step (chart, "0-2", 0.31, 0.62);
  tz_accuracy_chart_add_step (chart, "+3 飛行機", 0.42, 0.56);
  tz_accuracy_chart_add_step (chart, "+4 deer", 0.5, 0.7);
  return chart;
}

static TzConfusionChart *
confusion_chart (void)
{
  static const gint64 counts[] = {
    50, 3, 1, 0, 2,
    4, 40, 2, 1, 0,
    0, 1, 45, 3, 3,
    2, 0, 5, 30, 1,
    1, 2, 0, 0, 47,
  };
  TzConfusionChart *chart = tz_confusion_chart_new (5, names, 5, names, counts);

  tz_confusion_chart_set_title (chart, "Confusion");
  return chart;
}

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("tsuzuki-plot-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

static void
remove_tmpdir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static guint
count_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* The PNG holds the picture at @scale pixels per unit: the points are
 * where the layout says, scaled. */
static void
test_png (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "accuracy.png", NULL);
  g_autoptr(TzAccuracyChart) chart = accuracy_chart ();
  g_autoptr(GError) error = NULL;
  TzPlotStyle style;
  cairo_surface_t *png;

  tz_plot_style_init (&style, FALSE);
  g_assert_true (tz_accuracy_chart_save (chart, path, 640, 400, 2, &style, &error));
  g_assert_no_error (error);

  png = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (png), ==, 1280);
  g_assert_cmpint (cairo_image_surface_get_height (png), ==, 800);

  for (guint i = 0; i < 3; i++)
    for (guint s = 0; s < TZ_ACCURACY_N_SERIES; s++)
      {
        double x, y;

        g_assert_true (tz_accuracy_chart_get_point (chart, 640, 400, &style, i, s, &x, &y));
        tz_test_assert_color (png, 2 * x, 2 * y, &style.series[s], 8);
      }
  cairo_surface_destroy (png);

  /* Saving again replaces the file, leaving nothing else behind. */
  g_assert_true (tz_accuracy_chart_save (chart, path, 320, 200, 1, NULL, &error));
  g_assert_no_error (error);
  png = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_image_surface_get_width (png), ==, 320);
  cairo_surface_destroy (png);
  g_assert_cmpuint (count_files (tmp), ==, 1);

  remove_tmpdir (tmp);
}

typedef struct
{
  guint depth;
  gboolean in_desc;
  GString *desc;
  gboolean saw_svg;
} SvgParse;

static void
svg_start (GMarkupParseContext  *context,
           const char           *element,
           const char          **attribute_names,
           const char          **attribute_values,
           gpointer              user_data,
           GError              **error)
{
  SvgParse *parse = user_data;

  if (parse->depth == 0)
    parse->saw_svg = g_strcmp0 (element, "svg") == 0;
  parse->depth++;
  parse->in_desc = g_strcmp0 (element, "desc") == 0;
}

static void
svg_end (GMarkupParseContext  *context,
         const char           *element,
         gpointer              user_data,
         GError              **error)
{
  SvgParse *parse = user_data;

  parse->depth--;
  parse->in_desc = FALSE;
}

static void
svg_text (GMarkupParseContext  *context,
          const char           *text,
          gsize                 length,
          gpointer              user_data,
          GError              **error)
{
  SvgParse *parse = user_data;

  if (parse->in_desc)
    g_string_append_len (parse->desc, text, length);
}

/* Parses @path with GMarkup (and, when TZ_PYTHON3 is set, with Python's
 * XML parser, a second opinion) and returns the text of its <desc>. */
static char *
parse_svg (const char *path)
{
  static const GMarkupParser parser = { svg_start, svg_end, svg_text, NULL, NULL };
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  SvgParse parse = { 0, FALSE, g_string_new (NULL), FALSE };
  const char *python = g_getenv ("TZ_PYTHON3");
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_true (g_str_has_prefix (contents, "<?xml"));

  context = g_markup_parse_context_new (&parser, 0, &parse, NULL);
  g_markup_parse_context_parse (context, contents, length, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  g_assert_true (parse.saw_svg);
  g_assert_cmpuint (parse.depth, ==, 0);

  if (python != NULL && python[0] != '\0')
    {
      const char *argv[] = {
        python, "-c",
        "import sys, xml.dom.minidom\n"
        "d = xml.dom.minidom.parse(sys.argv[1])\n"
        "assert d.documentElement.tagName == 'svg'\n"
        "print(d.getElementsByTagName('desc')[0].firstChild.data)\n",
        path, NULL,
      };
      g_autofree char *out = NULL;
      int status;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, &error));
      g_assert_no_error (error);
      g_strchomp (out);
      g_assert_cmpstr (out, ==, parse.desc->str);
    }

  return g_string_free (parse.desc, FALSE);
}

static void
test_svg (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *confusion_path = g_build_filename (tmp, "confusion.svg", NULL);
  g_autofree char *accuracy_path = g_build_filename (tmp, "accuracy.SVG", NULL);
  g_autoptr(TzConfusionChart) confusion = confusion_chart ();
  g_autoptr(TzAccuracyChart) accuracy = accuracy_chart ();
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = NULL;

  g_assert_true (tz_confusion_chart_save (confusion, confusion_path, 600, 500, 1, NULL, &error));
  g_assert_no_error (error);
  desc = parse_svg (confusion_path);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_nonnull (strstr (desc, names[i]));
  g_assert_nonnull (strstr (desc, "50, 3, 1, 0, 2"));
  g_clear_pointer (&desc, g_free);

  g_assert_true (tz_accuracy_chart_save (accuracy, accuracy_path, 600, 400, 1, NULL, &error));
  g_assert_no_error (error);
  desc = parse_svg (accuracy_path);
  g_assert_nonnull (strstr (desc, "+3 飛行機"));
  g_assert_nonnull (strstr (desc, "42.0%"));

  remove_tmpdir (tmp);
}

static char *
run_pdfinfo (const char *path)
{
  g_autofree char *pdfinfo = g_find_program_in_path ("pdfinfo");
  const char *argv[] = { pdfinfo, path, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  if (pdfinfo == NULL)
    return NULL;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_pdf (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "confusion.pdf", NULL);
  g_autoptr(TzConfusionChart) chart = confusion_chart ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *info = NULL;
  gsize length;

  tz_confusion_chart_set_normalize (chart, TRUE);
  g_assert_true (tz_confusion_chart_save (chart, path, 640, 480, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));
  /* Compressed streams hold NULs: compare bytes, not C strings. */
  g_assert_cmpmem (contents + length - 6, 6, "%%EOF\n", 6);

  info = run_pdfinfo (path);
  if (info == NULL)
    {
      g_test_message ("pdfinfo (poppler-utils) is not installed: page count and size unchecked");
    }
  else
    {
      /* pdfinfo pads its labels to a width that varies by version. */
      g_assert_true (g_regex_match_simple ("^Pages:\\s+1$", info, G_REGEX_MULTILINE, 0));
      g_assert_true (g_regex_match_simple ("^Page size:\\s+640 x 480 pts", info, G_REGEX_MULTILINE, 0));
      g_assert_true (g_regex_match_simple ("^Title:\\s+Confusion", info, G_REGEX_MULTILINE, 0));
    }

  remove_tmpdir (tmp);
}

static void
test_bad_extension (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autoptr(TzAccuracyChart) chart = accuracy_chart ();
  const char *bad[] = { "plot.jpg", "plot", "plot.png.txt", "plot.", NULL };

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (tmp, bad[i], NULL);
      g_autoptr(GError) error = NULL;

      g_assert_false (tz_accuracy_chart_save (chart, path, 300, 200, 1, NULL, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, path));
    }
  g_assert_cmpuint (count_files (tmp), ==, 0);

  remove_tmpdir (tmp);
}

static void
test_bad_size (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "plot.png", NULL);
  g_autoptr(TzConfusionChart) chart = confusion_chart ();
  const double sizes[][3] = {
    { 0, 100, 1 }, { 100, -1, 1 }, { NAN, 100, 1 }, { 100, 100, 0 }, { 20000, 100, 1 }, { 9000, 100, 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (tz_confusion_chart_save (chart, path, sizes[i][0], sizes[i][1], sizes[i][2], NULL, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "plot.png"));
    }
  g_assert_cmpuint (count_files (tmp), ==, 0);

  remove_tmpdir (tmp);
}

static void
test_unwritable (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *missing = g_build_filename (tmp, "no-such-folder", "plot.svg", NULL);
  g_autofree char *file = g_build_filename (tmp, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "plot.pdf", NULL);
  g_autoptr(TzAccuracyChart) chart = accuracy_chart ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tz_accuracy_chart_save (chart, missing, 300, 200, 1, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (tz_accuracy_chart_save (chart, under_file, 300, 200, 1, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_assert_nonnull (strstr (error->message, under_file));

  remove_tmpdir (tmp);
}

/* A full disk, simulated by a file size limit in a child process: the
 * error names the file, and neither a partial picture nor a temporary
 * file is left; an older picture survives. */
static void
test_disk_full (void)
{
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(TzConfusionChart) chart = confusion_chart ();
      g_autoptr(GError) error = NULL;
      const char *target = g_getenv ("TZ_TEST_TARGET");
      struct rlimit limit = { 1000, 1000 };

      /* Past the limit write() fails with EFBIG instead of killing us. */
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

      g_assert_false (tz_confusion_chart_save (chart, target, 640, 480, 1, NULL, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_FILE_ERROR);
      g_assert_nonnull (strstr (error->message, target));
      g_printerr ("%s\n", error->message);
      return;
    }

  tmp = make_tmpdir ();
  path = g_build_filename (tmp, "confusion.pdf", NULL);
  g_assert_true (g_file_set_contents (path, "old picture", -1, NULL));
  g_setenv ("TZ_TEST_TARGET", path, TRUE);

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*confusion.pdf*");

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "old picture");
  g_assert_cmpuint (count_files (tmp), ==, 1);

  remove_tmpdir (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plot/save/png", test_png);
  g_test_add_func ("/plot/save/svg", test_svg);
  g_test_add_func ("/plot/save/pdf", test_pdf);
  g_test_add_func ("/plot/save/bad-extension", test_bad_extension);
  g_test_add_func ("/plot/save/bad-size", test_bad_size);
  g_test_add_func ("/plot/save/unwritable", test_unwritable);
  g_test_add_func ("/plot/save/disk-full", test_disk_full);

  return g_test_run ();
}
