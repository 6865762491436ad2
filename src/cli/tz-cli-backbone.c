/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "tz-backbone-extractor.h"
#include "tz-cli-backbone.h"
#include "tz-error.h"

void
tz_cli_backbone_args_clear (TzCliBackboneArgs *args)
{
  g_clear_pointer (&args->backbone, g_free);
  g_clear_pointer (&args->weights, g_free);
  g_clear_pointer (&args->layers, g_free);
  g_clear_pointer (&args->normalize, g_free);
  g_clear_pointer (&args->device, g_free);
  g_clear_pointer (&args->recipe, g_free);
  g_clear_pointer (&args->augment, g_free);
  g_clear_pointer (&args->label_smoothing, g_free);
  g_clear_pointer (&args->lr_schedule, g_free);
  g_clear_pointer (&args->warmup, g_free);
  g_clear_pointer (&args->rotation_task, g_free);
  g_clear_pointer (&args->weight_decay, g_free);
}

GOptionGroup *
tz_cli_backbone_option_group (TzCliBackboneArgs *args)
{
  const GOptionEntry entries[] = {
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &args->weights,
      N_("State dict (.safetensors or PyTorch .pth), or “scratch” to train the network "
         "on the initial classes first (the default)"), N_("FILE") },
    { "train-epochs", 0, 0, G_OPTION_ARG_INT, &args->train_epochs,
      N_("Epochs of that training (default 3)"), N_("N") },
    { "train-batch", 0, 0, G_OPTION_ARG_INT, &args->train_batch,
      N_("Images per training step (default 128)"), N_("N") },
    { "learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &args->learning_rate,
      N_("Adam's learning rate (default 0.001)"), N_("RATE") },
    { "recipe", 0, 0, G_OPTION_ARG_STRING, &args->recipe,
      N_("Training recipe: tsuzuki (the default: the post's with the rotation task) or post "
         "(exactly the blog post's)"), N_("RECIPE") },
    { "augment", 0, 0, G_OPTION_ARG_STRING, &args->augment,
      N_("Training augmentation: crop,flip, crop, flip or none"), N_("LIST") },
    { "label-smoothing", 0, 0, G_OPTION_ARG_STRING, &args->label_smoothing,
      N_("Label smoothing of the training loss, in [0, 1)"), N_("AMOUNT") },
    { "lr-schedule", 0, 0, G_OPTION_ARG_STRING, &args->lr_schedule,
      N_("Learning rate over the training: constant or cosine"), N_("SCHEDULE") },
    { "warmup", 0, 0, G_OPTION_ARG_STRING, &args->warmup,
      N_("Share of the training steps with a linearly rising learning rate, in [0, 1)"),
      N_("FRACTION") },
    { "rotation-task", 0, 0, G_OPTION_ARG_STRING, &args->rotation_task,
      N_("Also learn each training image's rotation (self-supervised): on or off"), N_("on|off") },
    { "weight-decay", 0, 0, G_OPTION_ARG_STRING, &args->weight_decay,
      N_("AdamW's decoupled weight decay (0: plain Adam)"), N_("AMOUNT") },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &args->layers,
      N_("penultimate, concat, all, spatial, or stage numbers such as 1,2,3,5,7 (g2: stage 2 "
         "over a 2 × 2 grid; default spatial from scratch, penultimate with a weight file)"),
      N_("LAYERS") },
    { "normalize", 0, 0, G_OPTION_ARG_STRING, &args->normalize,
      N_("imagenet or none (default imagenet with a weight file, none from scratch)"), N_("MODE") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &args->device,
      N_("auto, cpu or cuda (default auto)"), N_("DEVICE") },
    { "batch", 0, 0, G_OPTION_ARG_INT, &args->batch,
      N_("Images per forward pass (default: 512 up to 64 pixels, fewer for larger images, 64 at 224)"),
      N_("N") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &args->threads,
      N_("CPU threads (default: every core)"), N_("N") },
    G_OPTION_ENTRY_NULL
  };
  GOptionGroup *group = g_option_group_new ("network", _("Network options"),
                                            _("Show the options for the network"), NULL, NULL);

  args->train_epochs = -1;
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

/* Training ----------------------------------------------------------------- */

typedef struct
{
  TzBackbone             *backbone;
  GPtrArray              *images;   /* TzImage*, borrowed or owned by the caller */
  GArray                 *labels;   /* guint */
  TzBackboneTrainOptions  options;
  gboolean                quiet;
  gboolean                tty;
} TrainData;

static void
print_progress (const TzBackboneTrainProgress *progress,
                gpointer                       user_data)
{
  TrainData *data = user_data;
  gboolean last_step = progress->step + 1 == progress->n_steps;

  if (data->quiet || (!data->tty && !last_step))
    return;
  /* TRANSLATORS: base training progress: epoch, steps, mean loss, images per second */
  fprintf (stderr, _("%sTraining: epoch %u of %u, step %u of %u, loss %.4f, %.0f images/s%s"),
           data->tty ? "\r" : "", progress->epoch + 1, progress->n_epochs, progress->step + 1,
           progress->n_steps, progress->epoch_loss, progress->images_per_second,
           data->tty && !last_step ? "  " : "\n");
}

static void
train_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  TrainData *data = task_data;
  GError *error = NULL;

  if (tz_backbone_train (data->backbone, (const TzImage *const *) data->images->pdata,
                         (const guint *) data->labels->data, data->images->len, &data->options,
                         print_progress, data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
parse_fraction (const char  *flag,
                const char  *value,
                double       upper,
                double      *result,
                GError     **error)
{
  char *end = NULL;
  double parsed = g_ascii_strtod (value, &end);

  if (end == value || *end != '\0' || !(parsed >= 0.0 && parsed < upper))
    {
      if (upper == G_MAXDOUBLE)
        g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                     _("--%s %s: expected a number of 0 or more"), flag, value);
      else
        g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                     _("--%s %s: expected a number in [0, %g)"), flag, value, upper);
      return FALSE;
    }
  *result = parsed;
  return TRUE;
}

gboolean
tz_cli_backbone_train_options (const TzCliBackboneArgs *args,
                               TzBackboneTrainOptions  *options,
                               GError                 **error)
{
  g_return_val_if_fail (args != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (args->recipe == NULL || g_str_equal (args->recipe, "tsuzuki"))
    tz_backbone_train_options_init (options);
  else if (g_str_equal (args->recipe, "post"))
    tz_backbone_train_options_init_post (options);
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   _("--recipe %s: expected tsuzuki or post"), args->recipe);
      return FALSE;
    }

  if (args->augment != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (args->augment, ",", -1);

      options->augment = TZ_BACKBONE_AUGMENT_NONE;
      for (guint i = 0; parts[i] != NULL; i++)
        {
          const char *part = g_strstrip (parts[i]);

          if (g_str_equal (part, "crop"))
            options->augment |= TZ_BACKBONE_AUGMENT_CROP;
          else if (g_str_equal (part, "flip"))
            options->augment |= TZ_BACKBONE_AUGMENT_FLIP;
          else if (!g_str_equal (part, "none") || parts[1] != NULL)
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           _("--augment %s: expected crop,flip, crop, flip or none"), args->augment);
              return FALSE;
            }
        }
    }
  if (args->label_smoothing != NULL
      && !parse_fraction ("label-smoothing", args->label_smoothing, 1.0, &options->label_smoothing, error))
    return FALSE;
  if (args->lr_schedule != NULL)
    {
      if (g_str_equal (args->lr_schedule, "constant"))
        options->lr_schedule = TZ_BACKBONE_LR_CONSTANT;
      else if (g_str_equal (args->lr_schedule, "cosine"))
        options->lr_schedule = TZ_BACKBONE_LR_COSINE;
      else
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       _("--lr-schedule %s: expected constant or cosine"), args->lr_schedule);
          return FALSE;
        }
    }
  if (args->warmup != NULL
      && !parse_fraction ("warmup", args->warmup, 1.0, &options->warmup_fraction, error))
    return FALSE;
  if (args->rotation_task != NULL)
    {
      if (g_str_equal (args->rotation_task, "on"))
        options->rotation_task = TRUE;
      else if (g_str_equal (args->rotation_task, "off"))
        options->rotation_task = FALSE;
      else
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       _("--rotation-task %s: expected on or off"), args->rotation_task);
          return FALSE;
        }
    }
  if (args->weight_decay != NULL
      && !parse_fraction ("weight-decay", args->weight_decay, G_MAXDOUBLE, &options->weight_decay, error))
    return FALSE;
  return TRUE;
}

/* A digest of everything the trained weights depend on. */
static char *
training_digest (const TzCliBackboneArgs      *args,
                 const TzBackboneTrainOptions *options,
                 TzCliData                    *data,
                 GPtrArray                    *images,
                 GArray                       *labels)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *header = g_strdup_printf ("tsuzuki-train-2 %s epochs=%u batch=%u lr=%.17g "
                                             "size=%u normalize=%d seed=%" G_GUINT64_FORMAT " "
                                             "augment=%u smoothing=%.17g schedule=%d warmup=%.17g "
                                             "rotation=%d decay=%.17g",
                                             args->backbone, options->epochs, options->batch_size,
                                             options->learning_rate, options->image_size,
                                             options->normalize, options->seed, options->augment,
                                             options->label_smoothing, (int) options->lr_schedule,
                                             options->warmup_fraction, options->rotation_task != FALSE,
                                             options->weight_decay);

  g_checksum_update (checksum, (const guchar *) header, -1);
  g_checksum_update (checksum, (const guchar *) labels->data, labels->len * sizeof (guint));
  for (guint i = 0; i < images->len; i++)
    {
      const TzImage *image = g_ptr_array_index (images, i);
      guint32 shape[3] = { image->width, image->height, image->n_channels };

      g_checksum_update (checksum, (const guchar *) shape, sizeof shape);
      for (guint y = 0; y < image->height; y++)
        g_checksum_update (checksum, image->pixels + y * image->rowstride,
                           (gssize) image->width * image->n_channels);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* Base-trains a fresh network on the initial classes' training images and
 * returns the path of its weights (cached). */
static char *
train_weights (const TzCliBackboneArgs  *args,
               TzBackboneVariant         variant,
               const TzBackboneExtractOptions *extract,
               TzCliData                *data,
               GArray                   *initial,
               gboolean                  quiet,
               GCancellable             *cancellable,
               GError                  **error)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new ();
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(TzBackbone) backbone = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree int *head_of_class = g_new (int, data->n_classes);
  GAsyncResult *result = NULL;
  TrainData train = { 0 };

  /* The head predicts the initial classes, numbered in the listed order. */
  for (guint c = 0; c < data->n_classes; c++)
    head_of_class[c] = -1;
  for (guint k = 0; k < initial->len; k++)
    head_of_class[g_array_index (initial, guint, k)] = (int) k;

  for (guint i = 0; i < data->labels->len; i++)
    {
      gint32 label = g_array_index (data->labels, gint32, i);
      guint head;

      if (g_array_index (data->splits, TzSplit, i) != TZ_SPLIT_TRAIN || head_of_class[label] < 0)
        continue;
      head = (guint) head_of_class[label];
      if (data->images != NULL)
        g_ptr_array_add (images, g_ptr_array_index (data->images, i));
      else
        {
          g_autoptr(GError) local_error = NULL;
          TzImage *image = tz_image_load (g_ptr_array_index (data->paths, i), &local_error);

          if (image == NULL)
            continue;  /* the extraction lists it as skipped */
          g_ptr_array_add (owned, image);
          g_ptr_array_add (images, image);
        }
      g_array_append_val (labels, head);
    }
  if (images->len == 0)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                           _("The initial classes have no training images to train the network on"));
      return NULL;
    }

  if (!tz_cli_backbone_train_options (args, &train.options, error))
    return NULL;
  train.options.epochs = (guint) args->train_epochs;
  if (args->train_batch > 0)
    train.options.batch_size = (guint) args->train_batch;
  if (args->learning_rate > 0)
    train.options.learning_rate = args->learning_rate;
  train.options.image_size = extract->image_size;
  train.options.normalize = extract->normalize;
  train.options.seed = (guint64) args->seed;

  digest = training_digest (args, &train.options, data, images, labels);
  folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "weights", NULL);
  name = g_strdup_printf ("trained-%s-%.16s.safetensors", tz_backbone_variant_to_string (variant), digest);
  path = g_build_filename (folder, name, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      if (!quiet)
        g_printerr (_("Using the network trained before on the same data: %s\n"), path);
      return g_steal_pointer (&path);
    }
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   _("Cannot create the folder %s: %s"), folder, g_strerror (errno));
      return NULL;
    }

  backbone = tz_backbone_new (variant, initial->len, error);
  if (backbone == NULL)
    return NULL;
  tz_backbone_init_random (backbone, (guint64) args->seed);
  tz_backbone_reset_head (backbone, initial->len, (guint64) args->seed);
  tz_backbone_set_n_threads (backbone, args->threads > 0 ? (guint) args->threads : 0);
  if (args->device != NULL)
    {
      TzBackboneDevice device = g_str_equal (args->device, "cuda") ? TZ_BACKBONE_DEVICE_CUDA
                              : g_str_equal (args->device, "cpu") ? TZ_BACKBONE_DEVICE_CPU
                              : TZ_BACKBONE_DEVICE_AUTO;

      if (!tz_backbone_set_device (backbone, device, error))
        return NULL;
    }

  if (!quiet)
    g_printerr (_("Training %s on %u images of the initial classes, %u epochs at %u px\n"),
                tz_backbone_variant_to_string (variant), images->len, train.options.epochs,
                train.options.image_size);
  train.backbone = backbone;
  train.images = images;
  train.labels = labels;
  train.quiet = quiet;
  train.tty = isatty (STDERR_FILENO);
  task = g_task_new (NULL, cancellable, store_result, &result);
  g_task_set_task_data (task, &train, NULL);
  g_task_run_in_thread (task, train_thread);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    {
      g_object_unref (result);
      return NULL;
    }
  g_object_unref (result);

  if (!tz_backbone_save_weights (backbone, path, error))
    return NULL;
  return g_steal_pointer (&path);
}

TzExtractor *
tz_cli_backbone_create (const TzCliBackboneArgs  *args,
                        TzCliData                *data,
                        GArray                   *initial,
                        gboolean                  quiet,
                        GCancellable             *cancellable,
                        GError                  **error)
{
  TzBackboneExtractorOptions options = { 0 };
  g_autofree char *trained = NULL;
  gboolean scratch = args->weights == NULL || g_str_equal (args->weights, "scratch");

  if (!tz_backbone_variant_from_string (args->backbone, &options.variant, error))
    return NULL;
  tz_backbone_extract_options_init (&options.extract);
  if (scratch)
    options.extract.layers = TZ_CLI_SCRATCH_LAYERS;
  if (args->layers != NULL && !tz_backbone_layers_parse (args->layers, &options.extract.layers, error))
    return NULL;
  options.extract.normalize = !scratch;
  if (args->normalize != NULL)
    {
      if (!g_str_equal (args->normalize, "imagenet") && !g_str_equal (args->normalize, "none"))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       _("--normalize %s: expected imagenet or none"), args->normalize);
          return NULL;
        }
      options.extract.normalize = g_str_equal (args->normalize, "imagenet");
    }
  options.extract.image_size = args->image_size > 0 ? (guint) args->image_size
                             : scratch ? 32 : tz_backbone_variant_get_image_size (options.variant);
  if (args->batch > 0)
    options.extract.batch_size = (guint) args->batch;
  options.n_threads = args->threads > 0 ? (guint) args->threads : 0;
  options.seed = (guint64) args->seed;
  options.device = TZ_BACKBONE_DEVICE_AUTO;
  if (args->device != NULL)
    {
      if (g_str_equal (args->device, "cpu"))
        options.device = TZ_BACKBONE_DEVICE_CPU;
      else if (g_str_equal (args->device, "cuda"))
        options.device = TZ_BACKBONE_DEVICE_CUDA;
      else if (!g_str_equal (args->device, "auto"))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       _("--device %s: expected auto, cpu or cuda"), args->device);
          return NULL;
        }
    }

  if (scratch && args->train_epochs != 0)
    {
      TzCliBackboneArgs effective = *args;

      effective.train_epochs = args->train_epochs > 0 ? args->train_epochs : 3;
      trained = train_weights (&effective, options.variant, &options.extract, data, initial,
                               quiet, cancellable, error);
      if (trained == NULL)
        return NULL;
      options.weights = trained;
    }
  else if (!scratch)
    options.weights = args->weights;

  return tz_backbone_extractor_new (&options, error);
}
