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
 * the untrained network's, as judged by the Gaussian classifier. Each
 * option of the recipe must be reproducible for a seed and change the
 * run when switched on. */

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

  /* The post's recipe: the rotation task would make the stripes' classes
   * ambiguous (a quarter turn maps one orientation onto another). */
  tz_backbone_train_options_init_post (&options);
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

typedef enum
{
  OPTION_CROP,
  OPTION_FLIP,
  OPTION_SMOOTHING,
  OPTION_COSINE,
  OPTION_WARMUP,
  OPTION_ROTATION,
  OPTION_DECAY,
  N_OPTIONS
} RecipeOption;

static const char *const option_names[N_OPTIONS] = {
  "crop", "flip", "label smoothing", "cosine", "warm-up", "rotation", "weight decay",
};

/* The per-step losses of a short run from the post's recipe with at most
 * one option switched on, at @size pixels (not a multiple of 8, so the
 * crop's padding rounds). */
static GArray *
short_run (int   option,
           guint size)
{
  g_autoptr(TzBackbone) backbone = new_network ();
  g_autoptr(GError) error = NULL;
  TzBackboneTrainOptions options;
  Recorder rec = { 0 };

  tz_backbone_train_options_init_post (&options);
  options.epochs = 1;
  options.batch_size = 4;
  options.image_size = size;
  options.seed = 5;
  switch (option)
    {
    case OPTION_CROP: options.augment = TZ_BACKBONE_AUGMENT_CROP; break;
    case OPTION_FLIP: options.augment = TZ_BACKBONE_AUGMENT_FLIP; break;
    case OPTION_SMOOTHING: options.label_smoothing = 0.2; break;
    case OPTION_COSINE: options.lr_schedule = TZ_BACKBONE_LR_COSINE; break;
    case OPTION_WARMUP: options.warmup_fraction = 0.5; break;
    case OPTION_ROTATION: options.rotation_task = TRUE; break;
    case OPTION_DECAY: options.weight_decay = 0.5; break;
    default: break;
    }
  rec.losses = g_array_new (FALSE, FALSE, sizeof (double));
  rec.epoch_loss = g_array_new (FALSE, FALSE, sizeof (double));
  g_assert_true (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                    train_split.labels, 12, &options,
                                    record_progress, &rec, NULL, &error));
  g_assert_no_error (error);
  /* Whatever the recipe, the caller's head keeps its width. */
  g_assert_cmpuint (tz_backbone_get_n_classes (backbone), ==, N_CLASSES);
  g_array_unref (rec.epoch_loss);
  return rec.losses;
}

static gboolean
same_losses (GArray *a,
             GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (double)) == 0;
}

static void
test_recipe_options (void)
{
  g_autoptr(GArray) plain = short_run (-1, 20);
  g_autoptr(GArray) plain_again = short_run (-1, 20);

  g_assert_cmpuint (plain->len, ==, 3);
  g_assert_true (same_losses (plain, plain_again));
  for (int option = 0; option < N_OPTIONS; option++)
    {
      g_autoptr(GArray) on = short_run (option, 20);
      g_autoptr(GArray) again = short_run (option, 20);

      g_test_message ("%s: losses %.4f %.4f %.4f (off: %.4f %.4f %.4f)", option_names[option],
                      g_array_index (on, double, 0), g_array_index (on, double, 1),
                      g_array_index (on, double, 2), g_array_index (plain, double, 0),
                      g_array_index (plain, double, 1), g_array_index (plain, double, 2));
      g_assert_cmpuint (on->len, ==, plain->len);
      for (guint i = 0; i < on->len; i++)
        g_assert_true (isfinite (g_array_index (on, double, i)));
      /* Reproducible for a seed on the CPU, and not the same run as
       * without the option. */
      g_assert_true (same_losses (on, again));
      g_assert_false (same_losses (on, plain));
    }
}

/* Label augmentation with rotations: the joint task is learnable only up
 * to the stripes' symmetries (half a turn changes nothing, a quarter turn
 * swaps orientations), so the loss cannot approach 0 (about ln 4 at
 * best), yet it must fall; afterwards the caller's head is back at its
 * width and the weights load into a network of that width. */
static void
test_rotation_task (void)
{
  g_autoptr(TzBackbone) backbone = new_network ();
  g_autoptr(TzBackbone) reloaded = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tsuzuki-train-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "rotation.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  TzBackboneTrainOptions options;
  Recorder rec = { 0 };
  double first, last;

  tz_backbone_train_options_init_post (&options);
  options.rotation_task = TRUE;
  options.epochs = 6;
  options.batch_size = 8;
  options.image_size = SIZE;
  options.seed = 11;
  rec.losses = g_array_new (FALSE, FALSE, sizeof (double));
  rec.epoch_loss = g_array_new (FALSE, FALSE, sizeof (double));
  g_assert_true (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                    train_split.labels, train_split.n, &options,
                                    record_progress, &rec, NULL, &error));
  g_assert_no_error (error);
  first = g_array_index (rec.epoch_loss, double, 0);
  last = g_array_index (rec.epoch_loss, double, rec.epoch_loss->len - 1);
  g_test_message ("rotation task: mean loss %.3f in the first epoch, %.3f in the last", first, last);
  /* Tiny batches of an ambiguous task make the loss noisy: it must
   * fall, not by a set amount. */
  g_assert_cmpfloat (last, <, first);

  g_assert_cmpuint (tz_backbone_get_n_classes (backbone), ==, N_CLASSES);
  g_assert_true (tz_backbone_save_weights (backbone, path, &error));
  g_assert_no_error (error);
  reloaded = tz_backbone_new (TZ_BACKBONE_B0, N_CLASSES, &error);
  g_assert_no_error (error);
  g_assert_true (tz_backbone_load_weights (reloaded, path, &error));
  g_assert_no_error (error);

  g_array_unref (rec.losses);
  g_array_unref (rec.epoch_loss);
  test_rm_rf (dir);
}

static void
test_bad_recipe (void)
{
  g_autoptr(TzBackbone) backbone = new_network ();
  struct
  {
    const char *what;
    guint       augment;
    double      smoothing;
    int         schedule;
    double      warmup;
    double      decay;
  } cases[] = {
    { "smoothing 1", 0, 1.0, TZ_BACKBONE_LR_CONSTANT, 0.0, 0.0 },
    { "smoothing -0.1", 0, -0.1, TZ_BACKBONE_LR_CONSTANT, 0.0, 0.0 },
    { "smoothing NaN", 0, NAN, TZ_BACKBONE_LR_CONSTANT, 0.0, 0.0 },
    { "warm-up 1", 0, 0.0, TZ_BACKBONE_LR_CONSTANT, 1.0, 0.0 },
    { "warm-up -0.5", 0, 0.0, TZ_BACKBONE_LR_CONSTANT, -0.5, 0.0 },
    { "decay -1", 0, 0.0, TZ_BACKBONE_LR_CONSTANT, 0.0, -1.0 },
    { "decay infinite", 0, 0.0, TZ_BACKBONE_LR_CONSTANT, 0.0, INFINITY },
    { "augment 0x4", 0x4, 0.0, TZ_BACKBONE_LR_CONSTANT, 0.0, 0.0 },
    { "schedule 7", 0, 0.0, 7, 0.0, 0.0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      TzBackboneTrainOptions options;
      Recorder rec = { 0 };

      tz_backbone_train_options_init (&options);
      options.image_size = SIZE;
      options.augment = cases[i].augment;
      options.label_smoothing = cases[i].smoothing;
      options.lr_schedule = (TzBackboneLrSchedule) cases[i].schedule;
      options.warmup_fraction = cases[i].warmup;
      options.weight_decay = cases[i].decay;
      g_test_message ("%s", cases[i].what);
      g_assert_false (tz_backbone_train (backbone, (const TzImage *const *) train_split.images->pdata,
                                         train_split.labels, 8, &options, record_progress, &rec,
                                         NULL, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
      /* Refused before any step. */
      g_assert_cmpuint (rec.calls, ==, 0);
    }
}

/* The post's recipe is the old behaviour, and Tsuzuki's differs from it
 * only in the rotation task. */
static void
test_recipe_defaults (void)
{
  TzBackboneTrainOptions post, ours;

  tz_backbone_train_options_init_post (&post);
  tz_backbone_train_options_init (&ours);
  g_assert_cmpuint (post.epochs, ==, 50);
  g_assert_cmpuint (post.batch_size, ==, 128);
  g_assert_cmpfloat (post.learning_rate, ==, 1e-3);
  g_assert_cmpuint (post.image_size, ==, 64);
  g_assert_false (post.normalize);
  g_assert_cmpuint (post.augment, ==, TZ_BACKBONE_AUGMENT_NONE);
  g_assert_cmpfloat (post.label_smoothing, ==, 0.0);
  g_assert_cmpint (post.lr_schedule, ==, TZ_BACKBONE_LR_CONSTANT);
  g_assert_cmpfloat (post.warmup_fraction, ==, 0.0);
  g_assert_false (post.rotation_task);
  g_assert_cmpfloat (post.weight_decay, ==, 0.0);

  g_assert_cmpuint (ours.epochs, ==, post.epochs);
  g_assert_cmpuint (ours.batch_size, ==, post.batch_size);
  g_assert_cmpfloat (ours.learning_rate, ==, post.learning_rate);
  g_assert_cmpuint (ours.image_size, ==, post.image_size);
  g_assert_cmpint (ours.normalize, ==, post.normalize);
  g_assert_cmpuint (ours.seed, ==, post.seed);
  /* What measurement chose (bench-recipes.sh): the rotation task only. */
  g_assert_true (ours.rotation_task);
  g_assert_cmpuint (ours.augment, ==, TZ_BACKBONE_AUGMENT_NONE);
  g_assert_cmpfloat (ours.label_smoothing, ==, 0.0);
  g_assert_cmpint (ours.lr_schedule, ==, TZ_BACKBONE_LR_CONSTANT);
  g_assert_cmpfloat (ours.warmup_fraction, ==, 0.0);
  g_assert_cmpfloat (ours.weight_decay, ==, 0.0);
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
  g_test_add_func ("/backbone/train/recipe-options", test_recipe_options);
  g_test_add_func ("/backbone/train/rotation-task", test_rotation_task);
  g_test_add_func ("/backbone/train/bad-recipe", test_bad_recipe);
  g_test_add_func ("/backbone/train/recipe-defaults", test_recipe_defaults);

  return g_test_run ();
}
