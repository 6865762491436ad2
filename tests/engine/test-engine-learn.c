/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Learning steps through the engine: classes from images, evaluation,
 * history, removal, settings, cancellation, the "looks new" cue. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "tz-engine.h"
#include "tz-error.h"

#define SIDE 8

static char *tmpdir;

/* Pattern p on an 8 x 8 grey image, with seeded noise: 0 horizontal
 * stripes, 1 vertical stripes, 2 a checkerboard, 3 a bright blob. */
static char *
write_image (guint p,
             guint i)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (p * 1000 + i);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  char *path = g_strdup_printf ("%s/p%u-%03u.png", tmpdir, p, i);

  for (guint y = 0; y < SIDE; y++)
    for (guint x = 0; x < SIDE; x++)
      {
        gboolean on = p == 0 ? y % 2 : p == 1 ? x % 2 : p == 2 ? (x + y) % 2
                    : (x > 2 && x < 6 && y > 2 && y < 6);
        int v = (on ? 200 : 50) + g_rand_int_range (rand, -40, 40);

        for (guint c = 0; c < 3; c++)
          pixels[y * stride + x * 3 + c] = (guint8) CLAMP (v, 0, 255);
      }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

/* n_train + n_eval images of pattern p for class @name. */
static void
add_images (GArray     *images,
            GPtrArray  *keep,
            guint       p,
            const char *name,
            guint       n_train,
            guint       n_eval)
{
  for (guint i = 0; i < n_train + n_eval; i++)
    {
      TzLearnImage image = { write_image (p, i), name, i < n_train ? TZ_SPLIT_TRAIN : TZ_SPLIT_EVAL };

      g_ptr_array_add (keep, (gpointer) image.path);
      g_array_append_val (images, image);
    }
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static TzSnapshot *
learn_step (TzEngine      *engine,
            GArray        *images,
            const char    *label,
            GCancellable  *cancellable,
            GError       **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_learn_async (engine, (const TzLearnImage *) images->data, images->len, label,
                         cancellable, store_result, &result);
  snapshot = tz_engine_learn_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  return snapshot;
}

static void
assert_same_predictions (const TzSnapshot *a,
                         const TzSnapshot *b)
{
  g_assert_cmpuint (a->n_images, ==, b->n_images);
  for (guint i = 0; i < a->n_images; i++)
    {
      g_assert_cmpstr (a->images[i].path, ==, b->images[i].path);
      g_assert_cmpint (a->images[i].predicted, ==, b->images[i].predicted);
      g_assert_cmpfloat_with_epsilon (a->images[i].min_distance, b->images[i].min_distance,
                                      1e-9 * (1 + fabs (a->images[i].min_distance)));
    }
}

static void
test_learning_steps (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (SIDE, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step0 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) step1 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) first = NULL;
  g_autoptr(TzSnapshot) second = NULL;
  g_autoptr(TzSnapshot) removed = NULL;
  g_autoptr(TzSnapshot) empty = tz_engine_get_snapshot (engine);
  g_autoptr(GError) error = NULL;
  TzTransform none;

  g_assert_cmpuint (empty->n_classes, ==, 0);
  g_assert_null (empty->classifier);

  tz_transform_init_none (&none);
  g_assert_true (tz_engine_set_transform (engine, &none, &error));

  /* Step 0: stripes both ways, and a blob class with evaluation images
   * only (not learned: its images should look new). */
  add_images (step0, keep, 0, "horizontal", 20, 6);
  add_images (step0, keep, 1, "vertical", 20, 6);
  add_images (step0, keep, 3, "blob", 0, 6);
  first = learn_step (engine, step0, "start", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (first->n_classes, ==, 3);
  g_assert_cmpstr (first->classes[0].name, ==, "horizontal");
  g_assert_cmpuint (first->classes[0].n_train, ==, 20);
  g_assert_cmpuint (first->classes[0].n_eval, ==, 6);
  g_assert_true (first->classes[1].learned);
  g_assert_false (first->classes[2].learned);
  g_assert_nonnull (first->classifier);
  g_assert_null (first->classifier_error);
  g_assert_cmpuint (first->n_images, ==, 18);
  g_assert_nonnull (first->evaluation);
  g_assert_cmpuint (first->evaluation->n_learned, ==, 2);
  /* Stripes are told apart; the blob images cannot be right. */
  g_assert_cmpfloat (first->evaluation->accuracy_learned, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (first->evaluation->accuracy, 12.0 / 18.0, 1e-12);
  g_assert_cmpuint (first->n_steps, ==, 1);
  g_assert_cmpstr (first->steps[0].label, ==, "start");
  for (guint i = 0; i < first->n_images; i++)
    {
      const TzSnapshotImage *image = &first->images[i];

      g_assert_cmpint (image->predicted, >=, 0);
      g_assert_cmpint (image->predicted, <=, 1);
      g_assert_cmpfloat (image->confidence, >, 0.5);
      if (image->class_index == 2)
        g_assert_true (image->looks_new);
    }
  g_assert_true (isfinite (first->novelty_threshold));
  g_assert_false (tz_engine_set_transform (engine, &none, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Step 1: the checkerboard, plus training images for the blob. */
  add_images (step1, keep, 2, "checkerboard", 20, 6);
  for (guint i = 6; i < 26; i++)
    {
      TzLearnImage image = { write_image (3, i), "blob", TZ_SPLIT_TRAIN };

      g_ptr_array_add (keep, (gpointer) image.path);
      g_array_append_val (step1, image);
    }
  second = learn_step (engine, step1, "+checkerboard, blob", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->n_classes, ==, 4);
  g_assert_true (second->classes[2].learned);
  g_assert_cmpuint (second->evaluation->n_learned, ==, 4);
  g_assert_cmpfloat (second->evaluation->accuracy, ==, 1.0);
  g_assert_cmpuint (second->n_steps, ==, 2);
  g_assert_cmpfloat (second->steps[0].accuracy, ==, first->evaluation->accuracy);

  /* Removing the checkerboard gives what never adding it gives. */
  {
    GAsyncResult *result = NULL;

    tz_engine_remove_class_async (engine, "checkerboard", NULL, store_result, &result);
    removed = tz_engine_remove_class_finish (engine, wait_for (&result), &error);
    g_object_unref (result);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (removed->n_classes, ==, 3);
  g_assert_cmpint (tz_snapshot_find_class (removed, "checkerboard"), ==, -1);
  g_assert_cmpuint (removed->n_steps, ==, 3);
  {
    g_autoptr(TzEngine) fresh = tz_engine_new (extractor, NULL, 1);
    g_autoptr(TzSnapshot) reference = NULL;
    g_autoptr(GArray) without = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));

    g_assert_true (tz_engine_set_transform (fresh, &none, &error));
    g_array_append_vals (without, step0->data, step0->len);
    for (guint i = 0; i < step1->len; i++)
      if (strcmp (g_array_index (step1, TzLearnImage, i).class_name, "blob") == 0)
        g_array_append_val (without, g_array_index (step1, TzLearnImage, i));
    reference = learn_step (fresh, without, "all", NULL, &error);
    g_assert_no_error (error);
    assert_same_predictions (removed, reference);
  }

  /* Removing a class that does not exist is a clear error. */
  {
    GAsyncResult *result = NULL;

    tz_engine_remove_class_async (engine, "giraffe", NULL, store_result, &result);
    g_assert_null (tz_engine_remove_class_finish (engine, wait_for (&result), &error));
    g_object_unref (result);
    g_assert_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS);
    g_assert_nonnull (strstr (error->message, "giraffe"));
    g_clear_error (&error);
  }

  for (guint i = 0; i < keep->len; i++)
    g_remove (g_ptr_array_index (keep, i));
}

static void
test_cancel_and_settings (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (SIDE, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step0 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) step1 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzSnapshot) after = NULL;
  g_autoptr(TzSnapshot) per_class = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  TzClassifierSettings settings;

  add_images (step0, keep, 0, "horizontal", 10, 4);
  add_images (step0, keep, 1, "vertical", 10, 4);
  before = learn_step (engine, step0, "start", NULL, &error);
  g_assert_no_error (error);

  /* A cancelled step changes nothing. */
  add_images (step1, keep, 2, "checkerboard", 10, 4);
  g_cancellable_cancel (cancellable);
  g_assert_null (learn_step (engine, step1, "+checkerboard", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  after = tz_engine_get_snapshot (engine);
  g_assert_true (after == before);
  g_assert_cmpuint (after->n_classes, ==, 2);

  /* A step whose images are all unusable is still a step: listed skips. */
  {
    g_autoptr(TzSnapshot) skipped = NULL;
    g_autofree char *bogus = g_build_filename (tmpdir, "bogus.png", NULL);
    TzLearnImage image = { bogus, "horizontal", TZ_SPLIT_TRAIN };
    g_autoptr(GArray) bad = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));

    g_file_set_contents (bogus, "no", -1, NULL);
    g_array_append_val (bad, image);
    skipped = learn_step (engine, bad, "bad", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (skipped->skipped->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (skipped->skipped, 0), "bogus.png"));
    g_assert_cmpuint (skipped->classes[0].n_train, ==, 10);
    g_remove (bogus);
  }

  /* Other settings re-score without a history point. */
  tz_classifier_settings_init_default (&settings);
  settings.covariance = TZ_COVARIANCE_PER_CLASS;
  {
    GAsyncResult *result = NULL;

    tz_engine_set_settings_async (engine, &settings, NULL, store_result, &result);
    per_class = tz_engine_set_settings_finish (engine, wait_for (&result), &error);
    g_object_unref (result);
  }
  g_assert_no_error (error);
  g_assert_nonnull (per_class->classifier);
  g_assert_cmpint (tz_gaussian_classifier_get_settings (per_class->classifier)->covariance, ==,
                   TZ_COVARIANCE_PER_CLASS);
  g_assert_cmpuint (tz_gaussian_classifier_get_n_blocks (per_class->classifier), ==, 2);
  g_assert_cmpuint (per_class->n_steps, ==, 2);

  for (guint i = 0; i < keep->len; i++)
    g_remove (g_ptr_array_index (keep, i));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tsuzuki-learn-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/engine/learn/steps", test_learning_steps);
  g_test_add_func ("/engine/learn/cancel-and-settings", test_cancel_and_settings);

  status = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
