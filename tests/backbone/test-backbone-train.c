/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "tz-backbone.h"
#include "tz-error.h"
#include "tz-gaussian-classifier.h"
#include "tz-gaussian-model.h"
#include "tz-gaussian-settings.h"

#include "backbone-test-util.h"

/* Base training on a small generated task: four classes of noisy striped
 * images (the stripes' orientation is the class; phase, frequency, tint
 * and noise vary). Training must lower the loss, and the trained
 * network's penultimate features must separate the classes better than
 * the untrained network's, as judged by the Gaussian classifier. */

#define N_CLASSES 4
#define N_TRAIN_PER_CLASS 24
#define N_TEST_PER_CLASS 20
#define SIZE 32

typedef struct
{
  GPtrArray *images;   /* TzImage */
  guint     *labels;
  guint      n;
} Split;

static Split train_split;
static Split test_split;

static void
make_split (Split   *split,
            guint    per_class,
            guint32  seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  split->images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  split->n = per_class * N_CLASSES;
  split->labels = g_new (guint, split->n);
  for (guint i = 0; i < split->n; i++)
    {
      guint label = i % N_CLASSES;
      double angle = G_PI * label / N_CLASSES + g_rand_double_range (rand, -0.1, 0.1);
      double freq = g_rand_double_range (rand, 2.5, 5.0);
      double phase = g_rand_double_range (rand, 0, 2 * G_PI);
      double tint[3];
      TzImage *image = tz_image_new (SIZE, SIZE, 3, NULL);

      for (guint c = 0; c < 3; c++)
        tint[c] = g_rand_double_range (rand, 0.6, 1.0);
      for (guint y = 0; y < SIZE; y++)
        for (guint x = 0; x < SIZE; x++)
          {
            double t = 2 * G_PI * freq * (x * cos (angle) + y * sin (angle)) / SIZE + phase;
            double wave = sin (t);

            for (guint c = 0; c < 3; c++)
              {
                double v = 128 + 90 * tint[c] * wave + g_rand_double_range (rand, -25, 25);

                image->pixels[y * image->rowstride + x * 3 + c] = (guint8) CLAMP (v, 0, 255);
              }
          }
      g_ptr_array_add (split->images, image);
      split->labels[i] = label;
    }
}

static float *
extract (TzBackbone *backbone,
         Split      *split)
{
  guint dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_PENULTIMATE);
  float *features = g_new (float, (gsize) split->n * dim);
  TzBackboneExtractOptions options;
  g_autoptr(GError) error = NULL;

  tz_backbone_extract_options_init (&options);
  options.image_size = SIZE;
  options.normalize = FALSE;
  g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) split->images->pdata,
                                      split->n, &options, features, NULL, &error));
  g_assert_no_error (error);
  return features;
}

/* Accuracy of the Gaussian classifier fitted on the training features. */
static double
gaussian_accuracy (TzBackbone *backbone)
{
  g_autofree float *train = extract (backbone, &train_split);
  g_autofree float *test = extract (backbone, &test_split);
  guint dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_PENULTIMATE);
  TzGaussianModel *model = tz_gaussian_model_new (dim, NULL);
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(TzScores) scores = NULL;
  g_autoptr(GError) error = NULL;
  TzClassifierSettings settings;
  guint correct = 0;

  for (guint c = 0; c < N_CLASSES; c++)
    {
      g_autofree char *name = g_strdup_printf ("class %u", c);
      g_autofree float *rows = g_new (float, (gsize) N_TRAIN_PER_CLASS * dim);
      guint n = 0;

      g_assert_cmpint (tz_gaussian_model_add_class (model, name, &error), ==, c);
      for (guint i = 0; i < train_split.n; i++)
        if (train_split.labels[i] == c)
          memcpy (rows + (gsize) n++ * dim, train + (gsize) i * dim, dim * sizeof (float));
      g_assert_true (tz_gaussian_model_add_samples (model, c, rows, n, dim, &error));
      g_assert_no_error (error);
    }

  tz_classifier_settings_init_default (&settings);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  g_assert_no_error (error);
  scores = tz_gaussian_classifier_score (classifier, test, test_split.n, dim, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < test_split.n; i++)
    correct += scores->predicted[i] == (gint32) test_split.labels[i];
  tz_gaussian_model_free (model);
  return (double) correct / test_split.n;
}

typedef struct
{
  GArray       *losses;      /* double, every step */
  GArray       *epoch_loss;  /* double, the last value of each epoch */
  guint         cancel_after;
  GCancellable *cancellable;
  guint         calls;
} Recorder;

static void
record_progress (const TzBackboneTrainProgress *progress,
                 gpointer                       user_data)
{
  Recorder *rec = user_data;

  rec->calls++;
  g_assert_cmpuint (progress->step, <, progress->n_steps);
  g_assert_cmpuint (progress->epoch, <, progress->n_epochs);
  g_assert_cmpfloat (progress->images_per_second, >, 0);
  g_array_append_val (rec->losses, progress->loss);
  if (progress->step + 1 == progress->n_steps)
    g_array_append_val (rec->epoch_loss, progress->epoch_loss);
  if (rec->cancellable != NULL && rec->calls == rec->cancel_after)
    g_cancellable_cancel (rec->cancellable);
}

static TzBackbone *
new_network (void)
{
  g_autoptr(GError) error = NULL;
  TzBackbone *backbone = tz_backbone_new (TZ_BACKBONE_B0, N_CLASSES, &error);

  g_assert_no_error (error);
  tz_backbone_init_random (backbone, 7);
  /* One thread: determinism is promised per thread count, and a shared
   * machine makes OpenMP's spinning threads slow. */
  tz_backbone_set_n_threads (backbone, 1);
  return backbone;
}

static void
train (TzBackbone *backbone,
       Recorder   *rec,
       guint       epochs)
{
  TzBackboneTrainOptions options;
  g_autoptr(GError) error = NULL;

  tz_backbone_train_options_init (&options);
  options.epochs = epochs;
  options.batch_size = 8;
  options.image_size = SIZE;
  options.seed = 11;
  rec->losses = g_array_new (FALSE, FALSE, sizeof (double));
  rec->epoch_loss = g_array_new (FALSE, FALSE, sizeof (double));
  g_assert_true (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                    train_split.labels, train_split.n, &options,
                                    record_progress, rec, NULL, &error));
  g_assert_no_error (error);
}

static void
test_training_helps (void)
{
  g_autoptr(TzBackbone) backbone = new_network ();
  g_autoptr(TzBackbone) again = new_network ();
  g_autofree char *dir = g_dir_make_tmp ("tsuzuki-train-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "trained.safetensors", NULL);
  g_autoptr(TzBackbone) reloaded = NULL;
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  g_autoptr(GError) error = NULL;
  Recorder rec = { 0 };
  Recorder rec2 = { 0 };
  double before;
  double after;
  guint dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_PENULTIMATE);

  before = gaussian_accuracy (backbone);
  train (backbone, &rec, 6);
  after = gaussian_accuracy (backbone);

  for (guint e = 0; e < rec.epoch_loss->len; e++)
    g_test_message ("epoch %u: mean loss %.3f", e + 1, g_array_index (rec.epoch_loss, double, e));
  g_test_message ("Gaussian accuracy %.3f untrained, %.3f trained", before, after);
  g_assert_cmpuint (rec.epoch_loss->len, ==, 6);
  g_assert_cmpfloat (g_array_index (rec.epoch_loss, double, 5), <,
                     0.8 * g_array_index (rec.epoch_loss, double, 0));
  g_assert_cmpfloat (after, >, before + 0.05);

  /* The same seed on the CPU gives the same run, step for step. */
  train (again, &rec2, 6);
  g_assert_cmpuint (rec2.losses->len, ==, rec.losses->len);
  g_assert_cmpmem (rec2.losses->data, rec.losses->len * sizeof (double),
                   rec.losses->data, rec.losses->len * sizeof (double));

  /* Saved as safetensors, the trained network comes back the same. */
  g_assert_true (tz_backbone_save_weights (backbone, path, &error));
  g_assert_no_error (error);
  reloaded = tz_backbone_new (TZ_BACKBONE_B0, N_CLASSES, &error);
  g_assert_no_error (error);
  g_assert_true (tz_backbone_load_weights (reloaded, path, &error));
  g_assert_no_error (error);
  a = extract (backbone, &test_split);
  b = extract (reloaded, &test_split);
  g_assert_cmpmem (a, test_split.n * dim * sizeof (float), b, test_split.n * dim * sizeof (float));

  g_array_unref (rec.losses);
  g_array_unref (rec.epoch_loss);
  g_array_unref (rec2.losses);
  g_array_unref (rec2.epoch_loss);
  test_rm_rf (dir);
}

static void
test_cancel (void)
{
  g_autoptr(TzBackbone) backbone = new_network ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  TzBackboneTrainOptions options;
  Recorder rec = { 0 };

  rec.losses = g_array_new (FALSE, FALSE, sizeof (double));
  rec.epoch_loss = g_array_new (FALSE, FALSE, sizeof (double));
  rec.cancellable = cancellable;
  rec.cancel_after = 2;
  tz_backbone_train_options_init (&options);
  options.epochs = 10;
  options.batch_size = 16;
  options.image_size = SIZE;
  g_assert_false (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                     train_split.labels, train_split.n, &options,
                                     record_progress, &rec, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (rec.calls, ==, 2);
  g_array_unref (rec.losses);
  g_array_unref (rec.epoch_loss);
}

static void
test_bad_arguments (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) headless = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);
  g_autoptr(TzBackbone) backbone = new_network ();
  TzBackboneTrainOptions options;
  guint labels[2] = { 0, N_CLASSES };

  tz_backbone_train_options_init (&options);
  options.image_size = SIZE;
  g_assert_false (tz_backbone_train (headless, (const TzImage *const *) train_split.images->pdata,
                                     train_split.labels, 4, &options, NULL, NULL, NULL, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                     labels, 2, &options, NULL, NULL, NULL, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Image 1 has label 4"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  make_split (&train_split, N_TRAIN_PER_CLASS, 1);
  make_split (&test_split, N_TEST_PER_CLASS, 2);

  g_test_add_func ("/backbone/train/training-helps", test_training_helps);
  g_test_add_func ("/backbone/train/cancel", test_cancel);
  g_test_add_func ("/backbone/train/bad-arguments", test_bad_arguments);

  return g_test_run ();
}
