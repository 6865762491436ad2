/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's jobs that change what it learned from: renaming a class,
 * moving images between the training and evaluation sets, another feature
 * recipe, and a network trained on the images (with a test extractor whose
 * "training" is fast and whose result is known). Each is checked against a
 * fresh engine given the final state in one step. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "tz-engine.h"
#include "tz-error.h"

#define SIDE 16

static char *tmpdir;

/* A counting extractor ---------------------------------------------------- */

/* Passes images to an inner extractor and counts them, so the test sees
 * independently of the engine how often images went through the
 * "network"; optionally slow, to make cancellation observable. */
#define TEST_TYPE_COUNTING (test_counting_get_type ())
G_DECLARE_FINAL_TYPE (TestCounting, test_counting, TEST, COUNTING, GObject)

struct _TestCounting
{
  GObject      parent_instance;
  TzExtractor *inner;
  guint        n_images;   /* worker thread only; read after jobs end */
  guint        n_prepared;
  guint        delay_ms;
};

static void test_counting_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestCounting, test_counting, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR, test_counting_iface_init))

static guint
counting_get_dim (TzExtractor *self)
{
  return tz_extractor_get_dim (TEST_COUNTING (self)->inner);
}

static const char *
counting_get_recipe (TzExtractor *self)
{
  return tz_extractor_get_recipe (TEST_COUNTING (self)->inner);
}

static guint
counting_get_batch_size (TzExtractor *self)
{
  return 4;
}

static gboolean
counting_prepare (TzExtractor   *extractor,
                  GCancellable  *cancellable,
                  GError       **error)
{
  TEST_COUNTING (extractor)->n_prepared++;
  return tz_extractor_prepare (TEST_COUNTING (extractor)->inner, cancellable, error);
}

static gboolean
counting_extract (TzExtractor          *extractor,
                  const TzImage *const *images,
                  guint                 n_images,
                  float                *features,
                  GCancellable         *cancellable,
                  GError              **error)
{
  TestCounting *self = TEST_COUNTING (extractor);

  if (self->delay_ms > 0)
    g_usleep (self->delay_ms * 1000);
  self->n_images += n_images;
  return tz_extractor_extract (self->inner, images, n_images, features, cancellable, error);
}

static void
test_counting_iface_init (TzExtractorInterface *iface)
{
  iface->get_dim = counting_get_dim;
  iface->get_recipe = counting_get_recipe;
  iface->get_batch_size = counting_get_batch_size;
  iface->prepare = counting_prepare;
  iface->extract = counting_extract;
}

static void
test_counting_finalize (GObject *object)
{
  g_clear_object (&TEST_COUNTING (object)->inner);
  G_OBJECT_CLASS (test_counting_parent_class)->finalize (object);
}

static void
test_counting_class_init (TestCountingClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_counting_finalize;
}

static void
test_counting_init (TestCounting *self)
{
}

static TestCounting *
test_counting_new (guint    side,
                   gboolean grey)
{
  TestCounting *self = g_object_new (TEST_TYPE_COUNTING, NULL);

  self->inner = tz_pixel_extractor_new (side, grey);
  return self;
}

/* What the main thread saw of a job's progress. A trainable extractor
 * that is given one waits for the main thread to see the end of training,
 * since notifications carry only the latest values. */
typedef struct
{
  GCancellable *cancellable;
  guint         max_n_done;
  GPtrArray    *messages;
  gint          saw_trained;
} Watch;

static void
wait_until_seen (gint *flag)
{
  for (guint k = 0; k < 5000 && !g_atomic_int_get (flag); k++)
    g_usleep (1000);
  g_assert_true (g_atomic_int_get (flag));
}

/* A trainable extractor ---------------------------------------------------- */

/* Grey pixels at @side, each feature multiplied by its own scale. Its
 * "training" takes epochs x steps fake steps (progress and cancellation
 * between them, like a network) and yields the extractor at half the side
 * whose scales whiten the training images' features: 1 / (0.05 + the
 * standard deviation of each), written as text to the weights file. */
#define TEST_TYPE_TRAINABLE (test_trainable_get_type ())
G_DECLARE_FINAL_TYPE (TestTrainable, test_trainable, TEST, TRAINABLE, GObject)

struct _TestTrainable
{
  GObject      parent_instance;
  TzExtractor *pixels;
  guint        side;
  float       *scales;
  char        *recipe;

  /* What the test asks for. */
  Watch       *sync;
  guint        cancel_at_step;     /* 1-based; 0: never */
  gboolean     cancel_in_extract;  /* passed on to the trained extractor */

  /* What the last training saw. */
  guint        n_trained_images;
  guint        n_trained_classes;
  GArray      *label_counts;       /* guint per label */
  guint        n_steps_taken;
};

static void test_trainable_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestTrainable, test_trainable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR, test_trainable_iface_init))

static TestTrainable *
test_trainable_new (guint        side,
                    const float *scales)
{
  TestTrainable *self = g_object_new (TEST_TYPE_TRAINABLE, NULL);
  guint dim = side * side;
  g_autofree char *digest = NULL;

  self->side = side;
  self->pixels = tz_pixel_extractor_new (side, TRUE);
  self->scales = g_new (float, dim);
  for (guint j = 0; j < dim; j++)
    self->scales[j] = scales != NULL ? scales[j] : 1.0f;
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) self->scales,
                                        sizeof (float) * dim);
  self->recipe = g_strdup_printf ("test-trainable side=%u scales=%s", side, digest);
  return self;
}

static TestTrainable *
test_trainable_new_from_file (guint       side,
                              const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree float *scales = g_new (float, side * side);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, side * side + 1);
  for (guint j = 0; j < side * side; j++)
    scales[j] = (float) g_ascii_strtod (lines[j], NULL);
  return test_trainable_new (side, scales);
}

static guint
trainable_get_dim (TzExtractor *self)
{
  return TEST_TRAINABLE (self)->side * TEST_TRAINABLE (self)->side;
}

static const char *
trainable_get_recipe (TzExtractor *self)
{
  return TEST_TRAINABLE (self)->recipe;
}

static gboolean
trainable_extract (TzExtractor          *extractor,
                   const TzImage *const *images,
                   guint                 n_images,
                   float                *features,
                   GCancellable         *cancellable,
                   GError              **error)
{
  TestTrainable *self = TEST_TRAINABLE (extractor);
  guint dim = self->side * self->side;

  if (self->cancel_in_extract)
    g_cancellable_cancel (cancellable);
  if (!tz_extractor_extract (self->pixels, images, n_images, features, cancellable, error))
    return FALSE;
  for (guint i = 0; i < n_images; i++)
    for (guint j = 0; j < dim; j++)
      features[(gsize) i * dim + j] *= self->scales[j];
  return TRUE;
}

static TzExtractor *
trainable_train (TzExtractor                   *extractor,
                 const TzImage *const          *images,
                 const guint                   *labels,
                 guint                          n_images,
                 guint                          n_classes,
                 const TzExtractorTrainOptions *options,
                 TzExtractorTrainProgressFunc   progress,
                 gpointer                       user_data,
                 GCancellable                  *cancellable,
                 GError                       **error)
{
  TestTrainable *self = TEST_TRAINABLE (extractor);
  guint n_epochs = options->epochs > 0 ? options->epochs : 2;
  guint batch = options->batch_size > 0 ? options->batch_size : 4;
  guint n_steps = (n_images + batch - 1) / batch;
  guint side = self->side / 2, dim = side * side;
  g_autoptr(TzExtractor) pixels = tz_pixel_extractor_new (side, TRUE);
  g_autofree float *features = g_new (float, (gsize) n_images * dim);
  g_autofree float *scales = g_new (float, dim);
  g_autoptr(GString) text = g_string_new (NULL);
  TestTrainable *trained;

  self->n_trained_images = n_images;
  self->n_trained_classes = n_classes;
  g_array_set_size (self->label_counts, 0);
  g_array_set_size (self->label_counts, n_classes);
  for (guint i = 0; i < n_images; i++)
    g_array_index (self->label_counts, guint, labels[i])++;
  self->n_steps_taken = 0;

  for (guint epoch = 0; epoch < n_epochs; epoch++)
    for (guint step = 0; step < n_steps; step++)
      {
        TzExtractorTrainProgress info = { epoch, n_epochs, step, n_steps, 1.0 / (1 + epoch), 100.0 };

        progress (&info, user_data);
        if (++self->n_steps_taken == self->cancel_at_step)
          g_cancellable_cancel (cancellable);
        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          return NULL;
      }
  if (self->sync != NULL)
    wait_until_seen (&self->sync->saw_trained);

  if (!tz_extractor_extract (pixels, images, n_images, features, NULL, error))
    return NULL;
  for (guint j = 0; j < dim; j++)
    {
      double sum = 0, sum2 = 0;

      for (guint i = 0; i < n_images; i++)
        sum += features[(gsize) i * dim + j];
      for (guint i = 0; i < n_images; i++)
        sum2 += pow (features[(gsize) i * dim + j] - sum / n_images, 2);
      scales[j] = (float) (1.0 / (0.05 + sqrt (sum2 / n_images)));
      g_string_append_printf (text, "%.9g\n", scales[j]);
    }
  if (!g_file_set_contents (options->weights_path, text->str, (gssize) text->len, error))
    return NULL;
  trained = test_trainable_new (side, scales);
  trained->cancel_in_extract = self->cancel_in_extract;
  return TZ_EXTRACTOR (trained);
}

static void
test_trainable_iface_init (TzExtractorInterface *iface)
{
  iface->get_dim = trainable_get_dim;
  iface->get_recipe = trainable_get_recipe;
  iface->extract = trainable_extract;
  iface->train = trainable_train;
}

static void
test_trainable_finalize (GObject *object)
{
  TestTrainable *self = TEST_TRAINABLE (object);

  g_clear_object (&self->pixels);
  g_free (self->scales);
  g_free (self->recipe);
  g_array_unref (self->label_counts);
  G_OBJECT_CLASS (test_trainable_parent_class)->finalize (object);
}

static void
test_trainable_class_init (TestTrainableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_trainable_finalize;
}

static void
test_trainable_init (TestTrainable *self)
{
  self->label_counts = g_array_new (FALSE, TRUE, sizeof (guint));
}

/* Test data ---------------------------------------------------------------- */

/* Pattern p on a 16 x 16 image with seeded noise, coarse enough to show at
 * 8 and 4 pixels: 0 horizontal bands, 1 vertical bands, 2 a checkerboard,
 * 3 a bright square. */
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
        gboolean on = p == 0 ? (y / 4) % 2 : p == 1 ? (x / 4) % 2 : p == 2 ? (x / 4 + y / 4) % 2
                    : (x >= 4 && x < 12 && y >= 4 && y < 12);
        int v = (on ? 190 : 60) + g_rand_int_range (rand, -50, 50);

        for (guint c = 0; c < 3; c++)
          pixels[y * stride + x * 3 + c] = (guint8) CLAMP (v, 0, 255);
      }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

/* n_train + n_eval images of pattern p for class @name, numbered from
 * @first; their paths are kept in @keep. */
static void
add_images (GArray     *images,
            GPtrArray  *keep,
            guint       p,
            const char *name,
            guint       first,
            guint       n_train,
            guint       n_eval)
{
  for (guint i = 0; i < n_train + n_eval; i++)
    {
      TzLearnImage image = { write_image (p, first + i), name,
                             i < n_train ? TZ_SPLIT_TRAIN : TZ_SPLIT_EVAL };

      g_ptr_array_add (keep, (gpointer) image.path);
      g_array_append_val (images, image);
    }
}

static void
remove_files (GPtrArray *paths)
{
  for (guint i = 0; i < paths->len; i++)
    g_remove (g_ptr_array_index (paths, i));
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

/* Lets the last progress notifications of a job arrive. */
static void
drain (TzEngine *engine)
{
  while (tz_engine_get_busy (engine) || g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static TzSnapshot *
learn_step (TzEngine      *engine,
            GArray        *images,
            const char    *label,
            GError       **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_learn_async (engine, (const TzLearnImage *) images->data, images->len, label,
                         NULL, store_result, &result);
  snapshot = tz_engine_learn_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  return snapshot;
}

static TzSnapshot *
rename_class (TzEngine    *engine,
              const char  *old_name,
              const char  *new_name,
              GError     **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_rename_class_async (engine, old_name, new_name, NULL, store_result, &result);
  snapshot = tz_engine_rename_class_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  return snapshot;
}

static TzSnapshot *
set_split (TzEngine      *engine,
           GPtrArray     *paths,
           TzSplit        split,
           const char    *label,
           GCancellable  *cancellable,
           GError       **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_set_split_async (engine, (const char *const *) paths->pdata, paths->len, split,
                             label, cancellable, store_result, &result);
  snapshot = tz_engine_set_split_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  drain (engine);
  return snapshot;
}

static TzSnapshot *
set_extractor (TzEngine        *engine,
               TzExtractor     *extractor,
               TzFeatureCache  *cache,
               const char      *label,
               GCancellable    *cancellable,
               GError         **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_set_extractor_async (engine, extractor, cache, label, cancellable, store_result, &result);
  snapshot = tz_engine_set_extractor_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  drain (engine);
  return snapshot;
}

/* A fresh engine on @extractor fed @images in one step. */
static TzSnapshot *
reference_snapshot (TzExtractor *extractor,
                    GArray      *images)
{
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autoptr(GError) error = NULL;
  TzSnapshot *snapshot = learn_step (engine, images, "all", &error);

  g_assert_no_error (error);
  return snapshot;
}

/* The same classes (by name, in order, with their counts), evaluation and
 * predictions for the same images, whatever their order. */
static void
assert_same_state (const TzSnapshot *a,
                   const TzSnapshot *b)
{
  g_autoptr(GHashTable) index_of_path = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (a->n_classes, ==, b->n_classes);
  for (guint c = 0; c < a->n_classes; c++)
    {
      g_assert_cmpstr (a->classes[c].name, ==, b->classes[c].name);
      g_assert_cmpuint (a->classes[c].n_train, ==, b->classes[c].n_train);
      g_assert_cmpuint (a->classes[c].n_eval, ==, b->classes[c].n_eval);
      g_assert_cmpint (a->classes[c].learned, ==, b->classes[c].learned);
    }

  g_assert_nonnull (a->evaluation);
  g_assert_nonnull (b->evaluation);
  g_assert_cmpfloat_with_epsilon (a->evaluation->accuracy, b->evaluation->accuracy, 1e-12);
  g_assert_cmpfloat_with_epsilon (a->evaluation->accuracy_learned, b->evaluation->accuracy_learned,
                                  1e-12);
  /* The learned classes (the confusion matrix's columns) may come in
   * another order: the model's, which follows the order of fitting. */
  g_assert_cmpuint (a->evaluation->n_learned, ==, b->evaluation->n_learned);
  for (guint k = 0; k < a->evaluation->n_learned; k++)
    {
      guint l = 0;

      while (l < b->evaluation->n_learned &&
             strcmp (a->classes[a->evaluation->learned[k]].name,
                     b->classes[b->evaluation->learned[l]].name) != 0)
        l++;
      g_assert_cmpuint (l, <, b->evaluation->n_learned);
      for (guint c = 0; c < a->n_classes; c++)
        g_assert_cmpint (a->evaluation->confusion[c * a->evaluation->n_learned + k], ==,
                         b->evaluation->confusion[c * b->evaluation->n_learned + l]);
      g_assert_cmpfloat_with_epsilon (a->evaluation->recall[k], b->evaluation->recall[l], 1e-12);
      g_assert_cmpfloat_with_epsilon (a->evaluation->precision[k], b->evaluation->precision[l],
                                      1e-12);
    }
  g_assert_cmpfloat_with_epsilon (a->novelty_threshold, b->novelty_threshold,
                                  1e-9 * (1 + fabs (b->novelty_threshold)));

  g_assert_cmpuint (a->n_images, ==, b->n_images);
  for (guint i = 0; i < b->n_images; i++)
    g_hash_table_insert (index_of_path, b->images[i].path, GUINT_TO_POINTER (i));
  for (guint i = 0; i < a->n_images; i++)
    {
      const TzSnapshotImage *x = &a->images[i];
      const TzSnapshotImage *y;
      gpointer j;

      g_assert_true (g_hash_table_lookup_extended (index_of_path, x->path, NULL, &j));
      y = &b->images[GPOINTER_TO_UINT (j)];
      g_assert_cmpstr (a->classes[x->class_index].name, ==, b->classes[y->class_index].name);
      g_assert_cmpint (x->predicted, >=, 0);
      g_assert_cmpstr (a->classes[x->predicted].name, ==, b->classes[y->predicted].name);
      g_assert_cmpfloat_with_epsilon (x->min_distance, y->min_distance,
                                      1e-9 * (1 + fabs (y->min_distance)));
      g_assert_cmpfloat_with_epsilon (x->confidence, y->confidence, 1e-9);
    }
}

static const TzSnapshotImage *
find_image (const TzSnapshot *snapshot,
            const char       *path)
{
  for (guint i = 0; i < snapshot->n_images; i++)
    if (strcmp (snapshot->images[i].path, path) == 0)
      return &snapshot->images[i];
  return NULL;
}

/* Rename ------------------------------------------------------------------- */

static void
test_rename (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) more = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzSnapshot) renamed = NULL;
  g_autoptr(TzSnapshot) grown = NULL;
  g_autoptr(GError) error = NULL;

  add_images (step, keep, 0, "horizontal", 0, 12, 5);
  add_images (step, keep, 1, "vertical", 0, 12, 5);
  add_images (step, keep, 3, "square", 0, 0, 4);
  before = learn_step (engine, step, "start", &error);
  g_assert_no_error (error);

  renamed = rename_class (engine, "vertical", "columns", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renamed->classes[1].name, ==, "columns");
  g_assert_cmpint (tz_snapshot_find_class (renamed, "vertical"), ==, -1);
  g_assert_cmpuint (renamed->classes[1].n_train, ==, 12);
  g_assert_true (renamed->classes[1].learned);
  /* No history point; predictions and accuracy exactly as they were. */
  g_assert_cmpuint (renamed->n_steps, ==, before->n_steps);
  g_assert_cmpfloat (renamed->evaluation->accuracy, ==, before->evaluation->accuracy);
  g_assert_cmpuint (renamed->n_images, ==, before->n_images);
  for (guint i = 0; i < renamed->n_images; i++)
    {
      g_assert_cmpint (renamed->images[i].predicted, ==, before->images[i].predicted);
      g_assert_cmpfloat (renamed->images[i].min_distance, ==, before->images[i].min_distance);
      g_assert_cmpfloat (renamed->images[i].confidence, ==, before->images[i].confidence);
    }
  g_assert_cmpstr (tz_gaussian_classifier_get_class_name (renamed->classifier, 1), ==, "columns");

  /* Taken, empty and unknown names change nothing. */
  {
    g_autoptr(TzSnapshot) latest = NULL;

    g_assert_null (rename_class (engine, "columns", "horizontal", &error));
    g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "horizontal"));
    g_clear_error (&error);
    g_assert_null (rename_class (engine, "columns", "", &error));
    g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (rename_class (engine, "giraffe", "zebra", &error));
    g_assert_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS);
    g_clear_error (&error);
    latest = tz_engine_get_snapshot (engine);
    g_assert_true (latest == renamed);
  }

  /* A class not learned yet can be renamed too. */
  {
    g_autoptr(TzSnapshot) square = rename_class (engine, "square", "block", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (square->classes[2].name, ==, "block");
    g_assert_false (square->classes[2].learned);
  }

  /* The statistics moved with the name: images taught as "columns" grow
   * that class rather than making another. */
  add_images (more, keep, 1, "columns", 100, 4, 0);
  grown = learn_step (engine, more, "more", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (grown->n_classes, ==, 3);
  g_assert_cmpuint (grown->classes[1].n_train, ==, 16);
  g_assert_cmpuint (tz_gaussian_classifier_get_n_classes (grown->classifier), ==, 2);

  remove_files (keep);
}

/* Set split ---------------------------------------------------------------- */

/* The images of @images whose split is @split after moving @moved to the
 * other side, as one learning step would take them. */
static GArray *
final_split (GArray    *images,
             GPtrArray *to_eval,
             GPtrArray *to_train)
{
  GArray *result = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));

  for (guint i = 0; i < images->len; i++)
    {
      TzLearnImage image = g_array_index (images, TzLearnImage, i);

      if (to_eval != NULL && g_ptr_array_find_with_equal_func (to_eval, image.path, g_str_equal, NULL))
        image.split = TZ_SPLIT_EVAL;
      if (to_train != NULL && g_ptr_array_find_with_equal_func (to_train, image.path, g_str_equal, NULL))
        image.split = TZ_SPLIT_TRAIN;
      g_array_append_val (result, image);
    }
  return result;
}

static void
test_set_split (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GPtrArray) to_eval = g_ptr_array_new ();
  g_autoptr(GPtrArray) to_train = g_ptr_array_new ();
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzSnapshot) moved = NULL;
  g_autoptr(TzSnapshot) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stranger = g_build_filename (tmpdir, "never-learned.png", NULL);

  add_images (step, keep, 0, "horizontal", 0, 12, 4);
  add_images (step, keep, 1, "vertical", 0, 12, 4);
  add_images (step, keep, 2, "checkerboard", 0, 12, 4);
  before = learn_step (engine, step, "start", &error);
  g_assert_no_error (error);

  /* Four horizontal and three vertical training images become evaluation
   * images; an unknown path and one already evaluated are ignored. */
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (to_eval, (gpointer) g_array_index (step, TzLearnImage, i).path);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (to_eval, (gpointer) g_array_index (step, TzLearnImage, 16 + i).path);
  g_ptr_array_add (to_eval, stranger);
  g_ptr_array_add (to_eval, (gpointer) g_array_index (step, TzLearnImage, 12).path);
  moved = set_split (engine, to_eval, TZ_SPLIT_EVAL, "held out", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (moved->classes[0].n_train, ==, 8);
  g_assert_cmpuint (moved->classes[0].n_eval, ==, 8);
  g_assert_cmpuint (moved->classes[1].n_train, ==, 9);
  g_assert_cmpuint (moved->classes[1].n_eval, ==, 7);
  g_assert_cmpuint (moved->classes[2].n_train, ==, 12);
  g_assert_cmpuint (moved->classes[2].n_eval, ==, 4);
  g_assert_cmpuint (moved->n_images, ==, 12 + 7);
  g_assert_cmpuint (moved->n_steps, ==, 2);
  g_assert_cmpstr (moved->steps[1].label, ==, "held out");
  g_assert_cmpuint (moved->skipped->len, ==, 0);
  for (guint k = 0; k < 7; k++)
    {
      const TzSnapshotImage *image = find_image (moved, g_ptr_array_index (to_eval, k));

      g_assert_nonnull (image);
      g_assert_cmpint (image->predicted, >=, 0);
      g_assert_true (isfinite (image->min_distance));
    }
  {
    g_autoptr(GArray) final = final_split (step, to_eval, NULL);
    g_autoptr(TzSnapshot) reference = reference_snapshot (extractor, final);

    assert_same_state (moved, reference);
  }

  /* Back again, and every checkerboard training image out: that class is
   * no longer learned. */
  for (guint i = 0; i < 7; i++)
    g_ptr_array_add (to_train, g_ptr_array_index (to_eval, i));
  back = set_split (engine, to_train, TZ_SPLIT_TRAIN, "back", NULL, &error);
  g_assert_no_error (error);
  assert_same_state (back, before);
  g_assert_cmpuint (back->n_steps, ==, 3);
  {
    g_autoptr(GPtrArray) checkerboard = g_ptr_array_new ();
    g_autoptr(TzSnapshot) dropped = NULL;
    g_autoptr(GArray) final = NULL;
    g_autoptr(TzSnapshot) reference = NULL;

    for (guint i = 32; i < 44; i++)
      g_ptr_array_add (checkerboard, (gpointer) g_array_index (step, TzLearnImage, i).path);
    dropped = set_split (engine, checkerboard, TZ_SPLIT_EVAL, "no checkerboard", NULL, &error);
    g_assert_no_error (error);
    g_assert_false (dropped->classes[2].learned);
    g_assert_cmpuint (dropped->classes[2].n_eval, ==, 16);
    g_assert_cmpuint (dropped->evaluation->n_learned, ==, 2);
    final = final_split (step, checkerboard, NULL);
    reference = reference_snapshot (extractor, final);
    assert_same_state (dropped, reference);
  }

  /* Cancelled, nothing changes. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(TzSnapshot) latest = tz_engine_get_snapshot (engine);
    g_autoptr(TzSnapshot) after = NULL;

    g_cancellable_cancel (cancellable);
    g_assert_null (set_split (engine, to_eval, TZ_SPLIT_EVAL, "cancelled", cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    after = tz_engine_get_snapshot (engine);
    g_assert_true (after == latest);
  }

  /* A training image deleted since cannot be used again: the class is
   * refitted without it, and the file is named. */
  {
    g_autoptr(GPtrArray) one = g_ptr_array_new ();
    g_autoptr(TzSnapshot) refitted = NULL;
    const char *gone = g_array_index (step, TzLearnImage, 5).path;

    g_ptr_array_add (one, (gpointer) g_array_index (step, TzLearnImage, 6).path);
    g_assert_cmpint (g_remove (gone), ==, 0);
    refitted = set_split (engine, one, TZ_SPLIT_EVAL, "one more", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (refitted->classes[0].n_train, ==, 10);
    g_assert_cmpuint (refitted->classes[0].n_eval, ==, 5);
    g_assert_cmpuint (refitted->skipped->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (refitted->skipped, 0), gone));
  }

  remove_files (keep);
}

/* Set extractor ------------------------------------------------------------ */

static void
on_n_done (TzEngine   *engine,
           GParamSpec *pspec,
           Watch      *watch)
{
  guint n_done = tz_engine_get_n_done (engine);
  const char *message = tz_engine_get_message (engine);

  watch->max_n_done = MAX (watch->max_n_done, n_done);
  if (watch->messages != NULL && message != NULL &&
      (watch->messages->len == 0 ||
       strcmp (g_ptr_array_index (watch->messages, watch->messages->len - 1), message) != 0))
    g_ptr_array_add (watch->messages, g_strdup (message));
  if (watch->cancellable != NULL && n_done > 0)
    g_cancellable_cancel (watch->cancellable);
  if (g_strcmp0 (message, "Training the network: epoch 3 of 3") == 0 && n_done == 60 &&
      tz_engine_get_n_total (engine) == 60)
    g_atomic_int_set (&watch->saw_trained, TRUE);
}

static void
test_set_extractor (void)
{
  g_autoptr(TestCounting) pixels8 = test_counting_new (8, TRUE);
  g_autoptr(TestCounting) pixels16 = test_counting_new (16, TRUE);
  g_autoptr(TzFeatureCache) cache8 = tz_feature_cache_new (tz_extractor_get_recipe (TZ_EXTRACTOR (pixels8)),
                                                           64, NULL, NULL);
  g_autoptr(TzEngine) engine = tz_engine_new (TZ_EXTRACTOR (pixels8), cache8, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) step2 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) first = NULL;
  g_autoptr(TzSnapshot) second = NULL;
  g_autoptr(TzSnapshot) sixteen = NULL;
  g_autoptr(TzSnapshot) eight = NULL;
  g_autoptr(TzFeatureCache) cache16 = NULL;
  g_autoptr(GError) error = NULL;
  guint n_images;

  add_images (step, keep, 0, "horizontal", 0, 10, 4);
  add_images (step, keep, 1, "vertical", 0, 10, 4);
  add_images (step, keep, 3, "square", 0, 0, 4);
  first = learn_step (engine, step, "start", &error);
  g_assert_no_error (error);
  add_images (step2, keep, 2, "checkerboard", 0, 10, 4);
  second = learn_step (engine, step2, "+checkerboard", &error);
  g_assert_no_error (error);
  g_array_append_vals (all, step->data, step->len);
  g_array_append_vals (all, step2->data, step2->len);
  n_images = all->len;
  g_assert_cmpuint (pixels8->n_images, ==, n_images);
  g_assert_cmpuint (pixels8->n_prepared, ==, 1);

  /* To 16 pixels: every image through the new extractor once, prepared
   * once, in a new cache. */
  sixteen = set_extractor (engine, TZ_EXTRACTOR (pixels16), NULL, "16 px", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pixels16->n_images, ==, n_images);
  g_assert_cmpuint (pixels16->n_prepared, ==, 1);
  g_assert_cmpuint (pixels8->n_images, ==, n_images);
  g_assert_cmpuint (tz_gaussian_classifier_get_dim (sixteen->classifier), ==, 256);
  g_assert_cmpuint (sixteen->n_steps, ==, 3);
  g_assert_cmpstr (sixteen->steps[0].label, ==, "start");
  g_assert_cmpfloat (sixteen->steps[1].accuracy, ==, second->evaluation->accuracy);
  g_assert_cmpstr (sixteen->steps[2].label, ==, "16 px");
  g_assert_cmpfloat (sixteen->steps[2].accuracy, ==, sixteen->evaluation->accuracy);
  {
    g_autoptr(TzExtractor) current = tz_engine_dup_extractor (engine);
    g_autoptr(TzFeatureCache) cache = tz_engine_dup_cache (engine);
    g_autoptr(TzExtractor) direct = tz_pixel_extractor_new (16, TRUE);
    g_autoptr(TzSnapshot) reference = reference_snapshot (direct, all);

    g_assert_true (current == TZ_EXTRACTOR (pixels16));
    g_assert_cmpstr (tz_feature_cache_get_recipe (cache), ==, "pixels side=16 grey");
    g_assert_cmpuint (tz_feature_cache_get_dim (cache), ==, 256);
    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, n_images);
    assert_same_state (sixteen, reference);
    cache16 = g_steal_pointer (&cache);
  }

  /* Back to 8 pixels with their cache: nothing is extracted again, and
   * the state is the one before. */
  eight = set_extractor (engine, TZ_EXTRACTOR (pixels8), cache8, "8 px", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pixels8->n_images, ==, n_images);
  g_assert_cmpuint (pixels16->n_images, ==, n_images);
  g_assert_cmpuint (eight->n_steps, ==, 4);
  assert_same_state (eight, second);

  /* Cancelled while extracting: the old extractor, dimension and snapshot
   * stay, and the next learning step works on them. */
  {
    g_autoptr(TestCounting) slow = test_counting_new (16, FALSE);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(TzSnapshot) cancelled = NULL;
    g_autoptr(TzSnapshot) latest = NULL;
    g_autoptr(TzSnapshot) next = NULL;
    g_autoptr(TzExtractor) current = NULL;
    g_autoptr(GArray) step3 = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
    Watch watch = { cancellable, 0, NULL, FALSE };
    gulong handler;

    slow->delay_ms = 30;
    handler = g_signal_connect (engine, "notify::n-done", G_CALLBACK (on_n_done), &watch);
    cancelled = set_extractor (engine, TZ_EXTRACTOR (slow), NULL, "rgb", cancellable, &error);
    g_signal_handler_disconnect (engine, handler);
    g_assert_null (cancelled);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (slow->n_images, >, 0);
    g_assert_cmpuint (slow->n_images, <, n_images);

    current = tz_engine_dup_extractor (engine);
    g_assert_true (current == TZ_EXTRACTOR (pixels8));
    latest = tz_engine_get_snapshot (engine);
    g_assert_true (latest == eight);

    add_images (step3, keep, 1, "vertical", 100, 3, 0);
    next = learn_step (engine, step3, "more", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (next->classes[1].n_train, ==, 13);
    g_assert_cmpuint (tz_gaussian_classifier_get_dim (next->classifier), ==, 64);
    g_assert_cmpuint (next->n_steps, ==, 5);
    g_array_append_vals (all, step3->data, step3->len);
    n_images = all->len;
  }

  /* An image deleted since is dropped and named; the rest come from the
   * cache of their recipe. */
  {
    g_autoptr(TzSnapshot) again = NULL;
    const char *gone = g_array_index (all, TzLearnImage, 12).path;
    guint extracted = pixels16->n_images;

    g_assert_cmpint (g_array_index (all, TzLearnImage, 12).split, ==, TZ_SPLIT_EVAL);
    g_assert_cmpint (g_remove (gone), ==, 0);
    again = set_extractor (engine, TZ_EXTRACTOR (pixels16), cache16, "16 px again", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (again->skipped->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (again->skipped, 0), gone));
    g_assert_cmpuint (again->classes[0].n_eval, ==, 3);
    g_assert_null (find_image (again, gone));
    /* Only the three new images are new to this recipe. */
    g_assert_cmpuint (pixels16->n_images, ==, extracted + 3);
  }

  remove_files (keep);
}

/* Train network ------------------------------------------------------------ */

static TzSnapshot *
train_network (TzEngine                      *engine,
               TzExtractor                   *network,
               const TzExtractorTrainOptions *options,
               const char                    *label,
               GCancellable                  *cancellable,
               Watch                         *watch,
               GError                       **error)
{
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;
  gulong handler = 0;

  if (watch != NULL)
    handler = g_signal_connect (engine, "notify::n-done", G_CALLBACK (on_n_done), watch);
  tz_engine_train_network_async (engine, network, options, label, cancellable,
                                 store_result, &result);
  snapshot = tz_engine_train_network_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  drain (engine);
  if (handler != 0)
    g_signal_handler_disconnect (engine, handler);
  return snapshot;
}

static void
test_train_network (void)
{
  g_autoptr(TestTrainable) template = test_trainable_new (8, NULL);
  g_autoptr(TzExtractor) pixels = tz_pixel_extractor_new (8, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (pixels, NULL, 2);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzSnapshot) trained = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *weights = g_build_filename (tmpdir, "trained.txt", NULL);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  TzExtractorTrainOptions options = { 3, 4, 0.0, 5, weights };
  Watch watch = { NULL, 0, messages, FALSE };

  add_images (step, keep, 0, "horizontal", 0, 10, 4);
  add_images (step, keep, 3, "square", 0, 0, 4);
  add_images (step, keep, 1, "vertical", 0, 10, 4);
  before = learn_step (engine, step, "start", &error);
  g_assert_no_error (error);

  /* Plain pixels cannot be trained; nothing changes. */
  {
    g_autoptr(TzSnapshot) latest = NULL;
    g_autoptr(TzExtractor) current = NULL;

    g_assert_null (train_network (engine, NULL, &options, "no", NULL, NULL, &error));
    g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
    g_clear_error (&error);
    g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
    latest = tz_engine_get_snapshot (engine);
    g_assert_true (latest == before);
    current = tz_engine_dup_extractor (engine);
    g_assert_true (current == pixels);
  }

  /* Cancelled after the second step: nothing changes, no file. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(TzSnapshot) latest = NULL;
    g_autoptr(TzExtractor) current = NULL;

    template->cancel_at_step = 2;
    g_assert_null (train_network (engine, TZ_EXTRACTOR (template), &options, "cancelled",
                                  cancellable, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (template->n_steps_taken, ==, 2);
    g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
    latest = tz_engine_get_snapshot (engine);
    g_assert_true (latest == before);
    current = tz_engine_dup_extractor (engine);
    g_assert_true (current == pixels);
    template->cancel_at_step = 0;
  }

  /* Cancelled after training, while the new features are extracted: the
   * weights written must go too. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(TzSnapshot) latest = NULL;

    template->cancel_in_extract = TRUE;
    g_assert_null (train_network (engine, TZ_EXTRACTOR (template), &options, "cancelled",
                                  cancellable, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (template->n_steps_taken, ==, 3 * 5);
    g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
    latest = tz_engine_get_snapshot (engine);
    g_assert_true (latest == before);
    template->cancel_in_extract = FALSE;
  }

  /* Trained: the learned classes' training images with labels in class
   * order (the square has none), then every image under the new recipe. */
  template->sync = &watch;
  trained = train_network (engine, TZ_EXTRACTOR (template), &options, "trained", NULL, &watch,
                           &error);
  template->sync = NULL;
  g_assert_no_error (error);
  g_assert_cmpuint (template->n_trained_images, ==, 20);
  g_assert_cmpuint (template->n_trained_classes, ==, 2);
  g_assert_cmpuint (g_array_index (template->label_counts, guint, 0), ==, 10);
  g_assert_cmpuint (g_array_index (template->label_counts, guint, 1), ==, 10);
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (trained->n_steps, ==, 2);
  g_assert_cmpstr (trained->steps[1].label, ==, "trained");
  g_assert_cmpuint (tz_gaussian_classifier_get_dim (trained->classifier), ==, 16);
  {
    g_autoptr(TzExtractor) current = tz_engine_dup_extractor (engine);
    g_autoptr(TzFeatureCache) cache = tz_engine_dup_cache (engine);
    g_autoptr(TestTrainable) reloaded = test_trainable_new_from_file (4, weights);
    g_autoptr(TzSnapshot) reference = reference_snapshot (TZ_EXTRACTOR (reloaded), step);

    g_assert_true (TEST_IS_TRAINABLE (current));
    g_assert_cmpstr (tz_extractor_get_recipe (current), ==, tz_extractor_get_recipe (TZ_EXTRACTOR (reloaded)));
    g_assert_cmpstr (tz_feature_cache_get_recipe (cache), ==, tz_extractor_get_recipe (current));
    g_assert_null (tz_feature_cache_get_path (cache));
    assert_same_state (trained, reference);
  }

  /* Progress: images seen over the three epochs (the extractor waited for
   * the last step to be seen), then extraction. */
  g_assert_true (watch.saw_trained);
  g_assert_cmpuint (watch.max_n_done, ==, 3 * 20);
  g_assert_cmpstr (g_ptr_array_index (messages, messages->len - 1), ==, "32 of 32 images");

  /* The trained extractor trains again (its own kind), and the next job
   * after all that still works. */
  {
    g_autoptr(GArray) more = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
    g_autoptr(TzSnapshot) next = NULL;

    add_images (more, keep, 2, "checkerboard", 0, 6, 2);
    next = learn_step (engine, more, "+checkerboard", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (next->n_classes, ==, 4);
    g_assert_cmpuint (tz_gaussian_classifier_get_dim (next->classifier), ==, 16);
    g_assert_cmpuint (next->n_steps, ==, 3);
  }

  g_remove (weights);
  remove_files (keep);
}

static void
test_train_needs_two_classes (void)
{
  g_autoptr(TestTrainable) template = test_trainable_new (8, NULL);
  g_autoptr(TzEngine) engine = tz_engine_new (TZ_EXTRACTOR (template), NULL, 1);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) step = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzSnapshot) latest = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *weights = g_build_filename (tmpdir, "one-class.txt", NULL);
  TzExtractorTrainOptions options = { 1, 4, 0.0, 1, weights };

  add_images (step, keep, 0, "horizontal", 0, 6, 2);
  add_images (step, keep, 1, "vertical", 0, 0, 2);
  before = learn_step (engine, step, "start", &error);
  g_assert_no_error (error);

  /* @network NULL: the engine's own extractor is the template. */
  g_assert_null (train_network (engine, NULL, &options, "one", NULL, NULL, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS);
  g_clear_error (&error);
  g_assert_cmpuint (template->n_steps_taken, ==, 0);
  g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
  latest = tz_engine_get_snapshot (engine);
  g_assert_true (latest == before);

  remove_files (keep);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tsuzuki-jobs-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/engine/jobs/rename", test_rename);
  g_test_add_func ("/engine/jobs/set-split", test_set_split);
  g_test_add_func ("/engine/jobs/set-extractor", test_set_extractor);
  g_test_add_func ("/engine/jobs/train-network", test_train_network);
  g_test_add_func ("/engine/jobs/train-needs-two-classes", test_train_needs_two_classes);

  status = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
