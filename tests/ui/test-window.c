/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window driven through its actions, end to end: classes are added,
 * renamed, removed and restored; an image folder written here is imported
 * and learned; a confusion cell shows its images; an image is tried;
 * images move between training and evaluation; with the backbone, the
 * network is trained and the feature recipe changed. The assertions are
 * on the models behind the views. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tz-application.h"
#ifdef TZ_HAVE_BACKBONE
#include "tz-backbone.h"
#endif
#include "tz-window.h"
#include "tz-ui-test-util.h"

#define SIDE 16
#define N_PER_CLASS 20

static char *tmpdir;

/* Pattern p on a 16 x 16 grey image with seeded noise, in 2-pixel units so
 * that the 8-pixel extractor still sees it: 0 horizontal stripes,
 * 1 vertical stripes, 2 a bright square, 3 a checkerboard. */
static char *
write_image (const char *folder,
             guint       p,
             guint       i)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (p * 1000 + i);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  char *path;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  path = g_strdup_printf ("%s/img%03u.png", folder, i);
  for (guint y = 0; y < SIDE; y++)
    for (guint x = 0; x < SIDE; x++)
      {
        gboolean on = p == 0 ? (y / 2) % 2 : p == 1 ? (x / 2) % 2
                    : p == 2 ? (x >= 4 && x < 12 && y >= 4 && y < 12) : (x / 2 + y / 2) % 2;
        int v = (on ? 200 : 50) + g_rand_int_range (rand, -30, 30);

        for (guint c = 0; c < 3; c++)
          pixels[y * stride + x * 3 + c] = (guint8) CLAMP (v, 0, 255);
      }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

static TzClassItem *
find_class (TzWindow   *window,
            const char *name)
{
  GListModel *classes = tz_window_get_classes (window);

  for (guint i = 0; i < g_list_model_get_n_items (classes); i++)
    {
      g_autoptr(TzClassItem) item = g_list_model_get_item (classes, i);

      if (g_strcmp0 (tz_class_item_get_name (item), name) == 0)
        return item;
    }
  return NULL;
}

static gboolean
idle (gpointer user_data)
{
  TzWindow *window = user_data;

  return tz_window_get_n_pending_jobs (window) == 0 && !tz_engine_get_busy (tz_window_get_engine (window));
}

typedef struct
{
  TzWindow   *window;
  const char *name;
  guint       n_images;
} ClassWait;

static gboolean
class_learned (gpointer user_data)
{
  ClassWait *wait = user_data;
  TzClassItem *item = find_class (wait->window, wait->name);

  return item != NULL && tz_class_item_get_learned (item) &&
         tz_class_item_get_n_train (item) + tz_class_item_get_n_eval (item) == wait->n_images &&
         idle (wait->window);
}

static void
wait_learned (TzWindow   *window,
              const char *name,
              guint       n_images)
{
  ClassWait wait = { window, name, n_images };
  g_autofree char *what = g_strdup_printf ("class “%s” to be learned from %u images", name, n_images);

  tz_ui_test_wait_until (class_learned, &wait, 30, what);
}

static gboolean
try_finished (gpointer user_data)
{
  return tz_try_view_get_state (user_data) != TZ_TRY_STATE_BUSY;
}

static void
test_window_end_to_end (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autofree char *dataset = g_build_filename (tmpdir, "dataset", NULL);
  g_autofree char *loose = g_build_filename (tmpdir, "loose", NULL);
  g_autoptr(GFile) dataset_file = g_file_new_for_path (dataset);
  g_autoptr(GList) square_files = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  TzWindow *window = tz_window_new (NULL, engine);
  GListModel *classes = tz_window_get_classes (window);
  TzSnapshot *snapshot;
  TzClassItem *squares, *stripes;
  const TzEvaluation *evaluation;
  GListModel *shown;
  gint row, column = -1;
  guint n_eval_stripes = 0;
  double posterior, sum = 0;

  gtk_window_present (GTK_WINDOW (window));
  /* The classifier settings from GSettings are applied first. */
  tz_ui_test_wait_until (idle, window, 30, "the settings to be applied");

  /* Two empty classes; the second is removed and restored without the
   * engine ever hearing of it. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-class", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-class", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (classes), ==, 2);
  g_assert_nonnull (find_class (window, "Class 1"));
  g_assert_true (tz_window_get_selected_class (window) == find_class (window, "Class 2"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-class", "s", "Class 2");
  g_assert_cmpuint (g_list_model_get_n_items (classes), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-remove", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (classes), ==, 2);
  g_assert_cmpuint (tz_window_get_n_pending_jobs (window), ==, 0);

  /* A class not yet taught can be renamed. */
  g_assert_true (tz_class_item_set_name (find_class (window, "Class 1"), "squares"));
  squares = find_class (window, "squares");
  g_assert_nonnull (squares);

  /* Images given to it are learned at once; the first one trains. */
  for (guint i = 0; i < 10; i++)
    {
      GFile *file = g_file_new_for_path (write_image (loose, 2, i));

      g_ptr_array_add (keep, file);
      square_files = g_list_append (square_files, file);
    }
  tz_window_add_files (window, square_files, squares);
  wait_learned (window, "squares", 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tz_class_item_get_images (squares))), ==, 10);
  g_assert_true (tz_class_item_get_committed (squares));
  /* The engine knows it by name now: the item alone cannot rename it
   * (the window asks the engine first; see /ui/window/rename-and-split). */
  g_assert_false (tz_class_item_set_name (squares, "blocks"));
  g_assert_cmpstr (tz_class_item_get_name (squares), ==, "squares");
  /* The grid shows the selected class's images. */
  tz_window_select_class (window, squares);
  g_assert_cmpuint (g_list_model_get_n_items (tz_window_get_shown_images (window)), ==, 10);

  /* A folder with one sub-folder per class creates them; the listing's
   * seeded split keeps floor (20 x 0.2 + 0.5) = 4 of each for evaluation. */
  for (guint p = 0; p < 2; p++)
    {
      g_autofree char *folder = g_build_filename (dataset, p == 0 ? "hstripes" : "vstripes", NULL);

      for (guint i = 0; i < N_PER_CLASS; i++)
        g_free (write_image (folder, p, i));
    }
  tz_window_open_folder (window, dataset_file);
  wait_learned (window, "hstripes", N_PER_CLASS);
  wait_learned (window, "vstripes", N_PER_CLASS);
  g_assert_cmpuint (g_list_model_get_n_items (classes), ==, 4);
  stripes = find_class (window, "hstripes");
  g_assert_cmpuint (tz_class_item_get_n_eval (stripes), ==, 4);
  g_assert_cmpuint (tz_class_item_get_n_train (stripes), ==, 16);

  snapshot = tz_window_get_snapshot (window);
  g_assert_nonnull (snapshot);
  g_assert_nonnull (snapshot->evaluation);
  g_assert_cmpuint (snapshot->n_steps, ==, 2);
  /* "Class 2" has no images: the engine never heard of it. */
  g_assert_cmpint (tz_snapshot_find_class (snapshot, "Class 2"), ==, -1);

  /* The hstripes row, hstripes column of the confusion matrix. */
  row = tz_snapshot_find_class (snapshot, "hstripes");
  evaluation = snapshot->evaluation;
  for (guint c = 0; c < evaluation->n_learned; c++)
    if (evaluation->learned[c] == row)
      column = (gint) c;
  g_assert_cmpint (column, >=, 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-confusion-cell", "(uu)", (guint) row, (guint) column);
  g_assert_cmpstr (tz_window_get_visible_view (window), ==, "images");
  shown = tz_window_get_shown_images (window);
  g_assert_cmpint (g_list_model_get_n_items (shown), ==,
                   evaluation->confusion[(gsize) row * evaluation->n_learned + column]);
  g_assert_cmpuint (g_list_model_get_n_items (shown), >, 0);
  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (shown, i);

      g_assert_cmpstr (tz_image_item_get_class_name (image), ==, "hstripes");
      g_assert_cmpstr (tz_image_item_get_predicted (image), ==, "hstripes");
      g_assert_cmpint (tz_image_item_get_split (image), ==, TZ_SPLIT_EVAL);
      g_assert_false (tz_image_item_get_wrong (image));
      n_eval_stripes++;
    }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.clear-filter", NULL);
  g_assert_true (tz_window_get_shown_images (window) == shown);

  /* Trying an unseen image of vertical stripes. */
  {
    g_autofree char *other = g_build_filename (tmpdir, "try", NULL);
    g_autofree char *path = write_image (other, 1, 500);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    TzTryView *try_view = tz_window_get_try_view (window);

    tz_window_try_file (window, file);
    g_assert_cmpstr (tz_window_get_visible_view (window), ==, "try");
    tz_ui_test_wait_until (try_finished, try_view, 30, "the tried image's scores");
    g_assert_cmpint (tz_try_view_get_state (try_view), ==, TZ_TRY_STATE_RESULT);
    g_assert_cmpuint (tz_try_view_get_n_results (try_view), ==, 3);
    g_assert_cmpstr (tz_try_view_get_result (try_view, 0, &posterior), ==, "vstripes");
    for (guint i = 0; i < tz_try_view_get_n_results (try_view); i++)
      {
        double p;

        tz_try_view_get_result (try_view, i, &p);
        g_assert_cmpfloat (p, <=, posterior);
        sum += p;
      }
    g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-6);
    g_assert_true (isfinite (tz_try_view_get_min_distance (try_view)));
    g_assert_true (isfinite (tz_try_view_get_threshold (try_view)));
    g_assert_false (tz_try_view_get_looks_new (try_view));

    /* A checkerboard is like nothing learned: it looks new, and becomes a
     * class of its own from the Try view. */
    {
      g_autofree char *checkerboard = write_image (other, 3, 600);
      g_autoptr(GFile) checkerboard_file = g_file_new_for_path (checkerboard);
      TzClassItem *created;

      tz_window_try_file (window, checkerboard_file);
      tz_ui_test_wait_until (try_finished, try_view, 30, "the checkerboard's scores");
      g_assert_cmpint (tz_try_view_get_state (try_view), ==, TZ_TRY_STATE_RESULT);
      g_assert_cmpfloat (tz_try_view_get_min_distance (try_view), >, tz_try_view_get_threshold (try_view));
      g_assert_true (tz_try_view_get_looks_new (try_view));
      gtk_widget_activate_action (GTK_WIDGET (window), "win.create-class-from-try", NULL);
      created = find_class (window, "New Class");
      g_assert_nonnull (created);
      g_assert_true (tz_window_get_selected_class (window) == created);
      wait_learned (window, "New Class", 1);
      g_assert_cmpuint (tz_class_item_get_n_train (created), ==, 1);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-class", "s", "New Class");
      tz_ui_test_wait_until (idle, window, 30, "the new class's removal");
    }

    /* A file that is no image says so, naming it. */
    {
      g_autofree char *text = g_build_filename (tmpdir, "notes.txt", NULL);
      g_autoptr(GFile) text_file = g_file_new_for_path (text);

      g_assert_true (g_file_set_contents (text, "not an image\n", -1, NULL));
      tz_window_try_file (window, text_file);
      tz_ui_test_wait_until (try_finished, try_view, 30, "the text file's failure");
      g_assert_cmpint (tz_try_view_get_state (try_view), ==, TZ_TRY_STATE_ERROR);
      g_assert_nonnull (strstr (tz_try_view_get_error (try_view), "notes.txt"));
    }
  }

  /* Both charts export in the three formats; another extension is refused,
   * naming the file. */
  {
    static const char *const charts[] = { "accuracy", "confusion" };
    static const struct { const char *extension; const char *magic; } formats[] = {
      { "png", "\x89PNG" }, { "svg", "<?xml" }, { "pdf", "%PDF" },
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *bad = g_build_filename (tmpdir, "chart.bmp", NULL);

    for (guint c = 0; c < G_N_ELEMENTS (charts); c++)
      for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", charts[c], formats[f].extension);
          g_autofree char *path = g_build_filename (tmpdir, name, NULL);
          g_autofree char *contents = NULL;
          gsize length;

          g_assert_true (tz_window_export_chart (window, charts[c], path, &error));
          g_assert_no_error (error);
          g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
          g_assert_cmpuint (length, >, 1000);
          g_assert_true (g_str_has_prefix (contents, formats[f].magic));
        }
    g_assert_false (tz_window_export_chart (window, "accuracy", bad, &error));
    g_assert_nonnull (strstr (error->message, "chart.bmp"));
  }

  /* Another prior re-scores from the same statistics: a new snapshot,
   * the same history. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    TzSnapshot *before = tz_window_get_snapshot (window);
    guint n_steps = before->n_steps;

    g_settings_set_string (settings, "prior", "counts");
    tz_ui_test_wait_until (idle, window, 30, "the new settings");
    g_assert_true (tz_window_get_snapshot (window) != before);
    g_assert_cmpuint (tz_window_get_snapshot (window)->n_steps, ==, n_steps);
    g_assert_cmpint (tz_gaussian_classifier_get_settings (tz_window_get_snapshot (window)->classifier)->prior,
                     ==, TZ_PRIOR_COUNTS);
  }

  /* Removing a learned class, then undoing it: learned again from the
   * same images. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-class", "s", "hstripes");
  g_assert_null (find_class (window, "hstripes"));
  tz_ui_test_wait_until (idle, window, 30, "the removal");
  g_assert_cmpint (tz_snapshot_find_class (tz_window_get_snapshot (window), "hstripes"), ==, -1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-remove", NULL);
  g_assert_nonnull (find_class (window, "hstripes"));
  wait_learned (window, "hstripes", N_PER_CLASS);
  stripes = find_class (window, "hstripes");
  g_assert_cmpuint (tz_class_item_get_n_eval (stripes), ==, 4);
  g_assert_cmpuint (tz_class_item_get_n_train (stripes), ==, 16);
  snapshot = tz_window_get_snapshot (window);
  /* Steps: squares, folder, the new class and its removal, removal, undo. */
  g_assert_cmpuint (snapshot->n_steps, ==, 6);
  g_assert_cmpfloat (snapshot->steps[5].accuracy, ==, snapshot->steps[1].accuracy);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Cancelling a step leaves its images out of their class. */
static void
test_window_cancel (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autofree char *folder = g_build_filename (tmpdir, "many", NULL);
  g_autoptr(GList) files = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  TzWindow *window = tz_window_new (NULL, engine);
  TzClassItem *item;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-class", NULL);
  item = find_class (window, "Class 1");
  for (guint i = 0; i < 400; i++)
    {
      GFile *file = g_file_new_for_path (write_image (folder, i % 3, i));

      g_ptr_array_add (keep, file);
      files = g_list_append (files, file);
    }
  tz_window_add_files (window, files, item);
  /* Cancel as soon as the images are in the class, before they are learned. */
  while (g_list_model_get_n_items (G_LIST_MODEL (tz_class_item_get_images (item))) == 0)
    g_main_context_iteration (NULL, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL);
  tz_ui_test_wait_until (idle, window, 30, "the cancelled step");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tz_class_item_get_images (item))), ==, 0);
  g_assert_false (tz_class_item_get_learned (item));
  g_assert_false (tz_class_item_get_committed (item));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A picture pasted from the clipboard is saved as a PNG file in the cache
 * folder and learned in the selected class. */
static void
test_window_paste (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autofree char *folder = g_build_filename (tmpdir, "to-paste", NULL);
  g_autofree char *source = write_image (folder, 3, 1);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzImageItem) image = NULL;
  g_autofree char *pasted_folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "pasted", NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  TzWindow *window = tz_window_new (NULL, engine);
  TzClassItem *item;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-class", NULL);
  item = find_class (window, "Class 1");
  texture = gdk_texture_new_from_filename (source, &error);
  g_assert_no_error (error);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (window)), texture);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL);
  wait_learned (window, "Class 1", 1);

  image = g_list_model_get_item (G_LIST_MODEL (tz_class_item_get_images (item)), 0);
  g_assert_true (g_str_has_prefix (tz_image_item_get_path (image), pasted_folder));
  pixbuf = gdk_pixbuf_new_from_file (tz_image_item_get_path (image), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, SIDE);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The eval-fraction split of a folder of @n images per class: the listing
 * keeps floor (n x 0.2 + 0.5) of each class for evaluation. */
static guint
n_eval_of (guint n)
{
  return (guint) (n * 0.2 + 0.5);
}

static void
write_dataset (const char *dataset,
               guint       n_per_class)
{
  for (guint p = 0; p < 2; p++)
    {
      g_autofree char *folder = g_build_filename (dataset, p == 0 ? "hstripes" : "vstripes", NULL);

      for (guint i = 0; i < n_per_class; i++)
        g_free (write_image (folder, p, i));
    }
}

static guint
count_split (TzClassItem *item,
             TzSplit      split)
{
  GListModel *images = G_LIST_MODEL (tz_class_item_get_images (item));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (images); i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (images, i);

      n += tz_image_item_get_split (image) == split ? 1 : 0;
    }
  return n;
}

/* Selects the first @n images of the grid whose split is @split; returns
 * their paths. */
static GPtrArray *
select_images (TzWindow *window,
               TzSplit   split,
               guint     n)
{
  GtkSelectionModel *model = GTK_SELECTION_MODEL (tz_window_get_shown_images (window));
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  gtk_selection_model_unselect_all (model);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && paths->len < n; i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (tz_image_item_get_split (image) != split)
        continue;
      g_assert_true (gtk_selection_model_select_item (model, i, FALSE));
      g_ptr_array_add (paths, g_strdup (tz_image_item_get_path (image)));
    }
  g_assert_cmpuint (paths->len, ==, n);
  return paths;
}

static guint
snapshot_n_eval_images (TzSnapshot *snapshot,
                        const char *path)
{
  guint n = 0;

  for (guint i = 0; i < snapshot->n_images; i++)
    n += g_strcmp0 (snapshot->images[i].path, path) == 0 ? 1 : 0;
  return n;
}

/* A learned class is renamed in the engine too (statistics and history
 * stay); a taken name changes nothing. Images chosen in the grid move
 * between training and evaluation, and back. */
static void
test_window_rename_and_split (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autofree char *dataset = g_build_filename (tmpdir, "split-dataset", NULL);
  g_autoptr(GFile) dataset_file = g_file_new_for_path (dataset);
  g_autoptr(GPtrArray) moved = NULL;
  TzWindow *window = tz_window_new (NULL, engine);
  TzSnapshot *before;
  TzSnapshot *snapshot;
  TzClassItem *rows;
  guint n_steps;
  gint k;

  gtk_window_present (GTK_WINDOW (window));
  tz_ui_test_wait_until (idle, window, 30, "the settings to be applied");
  write_dataset (dataset, N_PER_CLASS);
  tz_window_open_folder (window, dataset_file);
  wait_learned (window, "hstripes", N_PER_CLASS);
  wait_learned (window, "vstripes", N_PER_CLASS);
  before = tz_window_get_snapshot (window);
  n_steps = before->n_steps;

  /* Renaming the learned class: the sidebar at once, then the engine. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.rename-class", "(ss)", "hstripes", "rows");
  rows = find_class (window, "rows");
  g_assert_nonnull (rows);
  g_assert_null (find_class (window, "hstripes"));
  {
    g_autoptr(TzImageItem) image = g_list_model_get_item (G_LIST_MODEL (tz_class_item_get_images (rows)), 0);

    g_assert_cmpstr (tz_image_item_get_class_name (image), ==, "rows");
  }
  tz_ui_test_wait_until (idle, window, 30, "the rename");
  snapshot = tz_window_get_snapshot (window);
  g_assert_true (snapshot != before);
  g_assert_cmpint (tz_snapshot_find_class (snapshot, "hstripes"), ==, -1);
  k = tz_snapshot_find_class (snapshot, "rows");
  g_assert_cmpint (k, >=, 0);
  g_assert_true (snapshot->classes[k].learned);
  g_assert_cmpuint (snapshot->classes[k].n_train, ==, N_PER_CLASS - n_eval_of (N_PER_CLASS));
  g_assert_cmpuint (snapshot->classes[k].n_eval, ==, n_eval_of (N_PER_CLASS));
  g_assert_cmpuint (snapshot->n_steps, ==, n_steps);
  g_assert_true (tz_class_item_get_learned (rows));
  g_assert_cmpuint (tz_class_item_get_n_train (rows), ==, N_PER_CLASS - n_eval_of (N_PER_CLASS));
  /* The confusion matrix names it. */
  g_assert_nonnull (snapshot->evaluation);

  /* Another class's name is refused: nothing is sent, nothing changes. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.rename-class", "(ss)", "rows", "vstripes");
  g_assert_cmpuint (tz_window_get_n_pending_jobs (window), ==, 0);
  g_assert_nonnull (find_class (window, "rows"));
  g_assert_true (tz_window_get_snapshot (window) == snapshot);
  g_assert_cmpuint (g_list_model_get_n_items (tz_window_get_classes (window)), ==, 2);

  /* Two training images of "rows" marked for evaluation. */
  tz_window_select_class (window, rows);
  moved = select_images (window, TZ_SPLIT_TRAIN, 2);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.use-for-evaluation", NULL);
  tz_ui_test_wait_until (idle, window, 30, "the images moved to evaluation");
  snapshot = tz_window_get_snapshot (window);
  k = tz_snapshot_find_class (snapshot, "rows");
  g_assert_cmpuint (snapshot->classes[k].n_eval, ==, n_eval_of (N_PER_CLASS) + 2);
  g_assert_cmpuint (snapshot->classes[k].n_train, ==, N_PER_CLASS - n_eval_of (N_PER_CLASS) - 2);
  g_assert_true (snapshot->classes[k].learned);
  g_assert_cmpuint (snapshot->n_images, ==, 2 * n_eval_of (N_PER_CLASS) + 2);
  g_assert_cmpuint (snapshot->n_steps, ==, n_steps + 1);
  g_assert_cmpuint (tz_class_item_get_n_eval (rows), ==, n_eval_of (N_PER_CLASS) + 2);
  g_assert_cmpuint (tz_class_item_get_n_train (rows), ==, N_PER_CLASS - n_eval_of (N_PER_CLASS) - 2);
  g_assert_cmpuint (count_split (rows, TZ_SPLIT_EVAL), ==, n_eval_of (N_PER_CLASS) + 2);
  for (guint i = 0; i < moved->len; i++)
    g_assert_cmpuint (snapshot_n_eval_images (snapshot, g_ptr_array_index (moved, i)), ==, 1);
  /* The other class is as it was. */
  k = tz_snapshot_find_class (snapshot, "vstripes");
  g_assert_cmpuint (snapshot->classes[k].n_eval, ==, n_eval_of (N_PER_CLASS));

  /* And back to training. */
  {
    GtkSelectionModel *model = GTK_SELECTION_MODEL (tz_window_get_shown_images (window));

    gtk_selection_model_unselect_all (model);
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
      {
        g_autoptr(TzImageItem) image = g_list_model_get_item (G_LIST_MODEL (model), i);

        for (guint m = 0; m < moved->len; m++)
          if (g_strcmp0 (tz_image_item_get_path (image), g_ptr_array_index (moved, m)) == 0)
            gtk_selection_model_select_item (model, i, FALSE);
      }
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.use-for-training", NULL);
  tz_ui_test_wait_until (idle, window, 30, "the images moved back to training");
  snapshot = tz_window_get_snapshot (window);
  k = tz_snapshot_find_class (snapshot, "rows");
  g_assert_cmpuint (snapshot->classes[k].n_eval, ==, n_eval_of (N_PER_CLASS));
  g_assert_cmpuint (snapshot->n_images, ==, 2 * n_eval_of (N_PER_CLASS));
  g_assert_cmpuint (snapshot->n_steps, ==, n_steps + 2);
  g_assert_cmpuint (tz_class_item_get_n_eval (rows), ==, n_eval_of (N_PER_CLASS));
  g_assert_cmpuint (count_split (rows, TZ_SPLIT_EVAL), ==, n_eval_of (N_PER_CLASS));
  for (guint i = 0; i < moved->len; i++)
    g_assert_cmpuint (snapshot_n_eval_images (snapshot, g_ptr_array_index (moved, i)), ==, 0);
  /* With the pixel features of this data set, the original split's
   * accuracy comes back exactly. */
  g_assert_cmpfloat (snapshot->steps[snapshot->n_steps - 1].accuracy, ==, snapshot->steps[n_steps - 1].accuracy);

  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct
{
  TzWindow *window;
  guint     n;
} ShownWait;

static gboolean
all_shown (gpointer user_data)
{
  ShownWait *wait = user_data;

  return g_list_model_get_n_items (tz_window_get_shown_images (wait->window)) == wait->n;
}

/* A class of many images comes into the grid 32 a frame (GTK would make
 * hundreds of cells in one frame), and all of them arrive. */
static void
test_window_many_images (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autofree char *dataset = g_build_filename (tmpdir, "many-dataset", NULL);
  g_autoptr(GFile) dataset_file = g_file_new_for_path (dataset);
  TzWindow *window = tz_window_new (NULL, engine);
  ShownWait wait = { window, 150 };
  GListModel *shown;

  gtk_window_present (GTK_WINDOW (window));
  tz_ui_test_wait_until (idle, window, 30, "the settings to be applied");
  write_dataset (dataset, 150);
  tz_window_open_folder (window, dataset_file);
  wait_learned (window, "hstripes", 150);
  wait_learned (window, "vstripes", 150);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "images");

  tz_window_select_class (window, find_class (window, "vstripes"));
  shown = tz_window_get_shown_images (window);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 32);
  tz_ui_test_wait_until (all_shown, &wait, 30, "every image in the grid");
  /* In the class's order. */
  for (guint i = 0; i < 150; i++)
    {
      g_autoptr(TzImageItem) a = g_list_model_get_item (shown, i);
      g_autoptr(TzImageItem) b = g_list_model_get_item (G_LIST_MODEL (tz_class_item_get_images (find_class (window, "vstripes"))), i);

      g_assert_true (a == b);
    }

  gtk_window_destroy (GTK_WINDOW (window));
}

#ifdef TZ_HAVE_BACKBONE

static gboolean
engine_training (gpointer user_data)
{
  TzEngine *engine = user_data;
  const char *message = tz_engine_get_message (engine);

  return tz_engine_get_busy (engine) && message != NULL && strstr (message, "epoch") != NULL;
}

typedef struct
{
  TzWindow   *window;
  const char *recipe;
} RecipeWait;

static gboolean
recipe_changed (gpointer user_data)
{
  RecipeWait *wait = user_data;
  g_autoptr(TzExtractor) extractor = tz_engine_dup_extractor (tz_window_get_engine (wait->window));

  return g_strcmp0 (tz_extractor_get_recipe (extractor), wait->recipe) != 0 && idle (wait->window);
}

static gboolean
weights_restored (gpointer user_data)
{
  g_autofree char *weights = g_settings_get_string (user_data, "weights");

  return *weights == '\0';
}

static guint
count_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* The post's first step from the window: two tiny classes learned from
 * pixels, the network trained on them (its weights kept for the next
 * start), training cancelled (nothing changes), a recipe change
 * (re-extraction), and a recipe that cannot be made (reverted). */
static void
test_window_network (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *features = g_build_filename (tmpdir, "features", NULL);
  g_autofree char *dataset = g_build_filename (tmpdir, "network-dataset", NULL);
  g_autofree char *networks = g_build_filename (tmpdir, "data", "tsuzuki", "networks", NULL);
  g_autoptr(GFile) dataset_file = g_file_new_for_path (dataset);
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(TzExtractor) pixels = NULL;
  g_autoptr(TzExtractor) trained = NULL;
  g_autoptr(TzExtractor) concat = NULL;
  g_autofree char *trained_path = NULL;
  g_autofree char *basename = NULL;
  TzSnapshot *snapshot;
  TzWindow *window;
  guint n_steps;
  gint64 start;

  g_settings_set_uint (settings, "image-size", 16);
  g_settings_set_uint (settings, "train-epochs", 1);
  g_settings_set_string (settings, "weights", "");
  g_settings_set_string (settings, "trained-weights", "");
  /* "auto": the spatial layers for a network trained here. */
  g_settings_reset (settings, "layers");
  g_settings_set_string (settings, "device", "cpu");
  engine = tz_application_create_engine (features);
  window = tz_window_new (NULL, engine);
  gtk_window_present (GTK_WINDOW (window));
  tz_ui_test_wait_until (idle, window, 30, "the settings to be applied");

  /* Without a network yet, pixels are the features. */
  pixels = tz_engine_dup_extractor (engine);
  g_assert_false (tz_extractor_can_train (pixels));
  write_dataset (dataset, 10);
  tz_window_open_folder (window, dataset_file);
  wait_learned (window, "hstripes", 10);
  wait_learned (window, "vstripes", 10);
  n_steps = tz_window_get_snapshot (window)->n_steps;

  start = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train-network", NULL);
  g_assert_cmpuint (tz_window_get_n_pending_jobs (window), ==, 1);
  tz_ui_test_wait_until (idle, window, 50, "the network to be trained");
  g_test_message ("Training 16 images for 1 epoch and extracting 20: %.1f s",
                  (g_get_monotonic_time () - start) / 1e6);

  trained_path = g_settings_get_string (settings, "trained-weights");
  g_assert_cmpstr (trained_path, !=, "");
  g_assert_true (g_str_has_prefix (trained_path, networks));
  basename = g_path_get_basename (trained_path);
  g_assert_true (g_str_has_prefix (basename, "b0-"));
  g_assert_true (g_str_has_suffix (basename, ".safetensors"));
  g_assert_true (g_file_test (trained_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_files (networks), ==, 1);
  snapshot = tz_window_get_snapshot (window);
  g_assert_cmpuint (snapshot->n_steps, ==, n_steps + 1);
  g_assert_cmpstr (snapshot->steps[n_steps].label, ==, "Network trained");
  g_assert_true (isfinite (snapshot->steps[n_steps].accuracy));
  g_assert_true (tz_class_item_get_learned (find_class (window, "hstripes")));
  g_assert_true (tz_class_item_get_learned (find_class (window, "vstripes")));
  trained = tz_engine_dup_extractor (engine);
  g_assert_true (tz_extractor_can_train (trained));
  g_assert_cmpstr (tz_extractor_get_recipe (trained), !=, tz_extractor_get_recipe (pixels));
  g_assert_nonnull (strstr (tz_extractor_get_recipe (trained), "size=16"));
  g_assert_nonnull (strstr (tz_extractor_get_recipe (trained), "normalize=none"));
  g_assert_nonnull (strstr (tz_extractor_get_recipe (trained), "layers=spatial"));
  g_assert_cmpuint (tz_extractor_get_dim (trained), ==,
                    tz_backbone_variant_get_feature_dim (TZ_BACKBONE_B0, TZ_BACKBONE_LAYERS_SPATIAL));
  /* The next start makes the same network from the settings. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzExtractor) again = tz_application_create_extractor (settings, &error);

    g_assert_no_error (error);
    g_assert_true (tz_application_uses_trained_network (settings));
    g_assert_cmpuint (tz_extractor_get_dim (again), ==, tz_extractor_get_dim (trained));
    g_assert_nonnull (strstr (tz_extractor_get_recipe (again), "size=16 normalize=none"));
  }

  /* Training again, cancelled from the window while it trains: the
   * trained network stays in use and no file is left. */
  g_settings_set_uint (settings, "train-epochs", 50);
  n_steps = tz_window_get_snapshot (window)->n_steps;
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train-network", NULL);
  tz_ui_test_wait_until (engine_training, engine, 30, "training to start");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL);
  tz_ui_test_wait_until (idle, window, 30, "training to stop");
  {
    g_autoptr(TzExtractor) current = tz_engine_dup_extractor (engine);
    g_autofree char *still = g_settings_get_string (settings, "trained-weights");

    g_assert_cmpstr (tz_extractor_get_recipe (current), ==, tz_extractor_get_recipe (trained));
    g_assert_cmpstr (still, ==, trained_path);
    g_assert_cmpuint (count_files (networks), ==, 1);
    g_assert_cmpuint (tz_window_get_snapshot (window)->n_steps, ==, n_steps);
  }

  /* Another layer set: every image is extracted again. */
  {
    RecipeWait wait = { window, tz_extractor_get_recipe (trained) };

    g_settings_set_string (settings, "layers", "concat");
    tz_ui_test_wait_until (recipe_changed, &wait, 30, "the features of the new layers");
  }
  concat = tz_engine_dup_extractor (engine);
  g_assert_nonnull (strstr (tz_extractor_get_recipe (concat), "layers=concat"));
  g_assert_cmpuint (tz_extractor_get_dim (concat), ==,
                    tz_backbone_variant_get_feature_dim (TZ_BACKBONE_B0, TZ_BACKBONE_LAYERS_CONCAT));
  snapshot = tz_window_get_snapshot (window);
  g_assert_cmpuint (snapshot->n_steps, ==, n_steps + 1);
  g_assert_cmpstr (snapshot->steps[n_steps].label, ==, "New features");
  g_assert_true (isfinite (snapshot->steps[n_steps].accuracy));
  g_assert_true (tz_class_item_get_learned (find_class (window, "hstripes")));

  /* A weights file that is not there: the features stay, and so does
   * what the preferences say. */
  g_settings_set_string (settings, "weights", "/nonexistent/weights.safetensors");
  tz_ui_test_wait_until (weights_restored, settings, 30, "the weights setting to be restored");
  tz_ui_test_wait_until (idle, window, 30, "the window to settle");
  {
    g_autoptr(TzExtractor) current = tz_engine_dup_extractor (engine);

    g_assert_cmpstr (tz_extractor_get_recipe (current), ==, tz_extractor_get_recipe (concat));
    g_assert_cmpuint (tz_window_get_snapshot (window)->n_steps, ==, n_steps + 1);
  }

  /* Forgetting the trained network goes back to pixels. */
  {
    RecipeWait wait = { window, tz_extractor_get_recipe (concat) };
    g_autoptr(TzExtractor) current = NULL;

    g_settings_set_string (settings, "trained-weights", "");
    tz_ui_test_wait_until (recipe_changed, &wait, 30, "the pixel features");
    current = tz_engine_dup_extractor (engine);
    g_assert_cmpstr (tz_extractor_get_recipe (current), ==, tz_extractor_get_recipe (pixels));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "image-size");
  g_settings_reset (settings, "train-epochs");
  g_settings_reset (settings, "layers");
  g_settings_reset (settings, "device");
}

#endif

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  tmpdir = g_dir_make_tmp ("tsuzuki-ui-XXXXXX", &error);
  g_assert_no_error (error);
  /* Pasted pictures go to the cache folder: keep them in the test's. */
  g_setenv ("XDG_CACHE_HOME", tmpdir, TRUE);
  {
    /* Trained networks go to the data folder: keep them in the test's. */
    g_autofree char *data = g_build_filename (tmpdir, "data", NULL);

    g_setenv ("XDG_DATA_HOME", data, TRUE);
  }
  tz_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/window/end-to-end", test_window_end_to_end);
  g_test_add_func ("/ui/window/cancel", test_window_cancel);
  g_test_add_func ("/ui/window/paste", test_window_paste);
  g_test_add_func ("/ui/window/rename-and-split", test_window_rename_and_split);
  g_test_add_func ("/ui/window/many-images", test_window_many_images);
#ifdef TZ_HAVE_BACKBONE
  g_test_add_func ("/ui/window/network", test_window_network);
#endif
  status = g_test_run ();

  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);

    (void) !system (command);
  }
  return status;
}
