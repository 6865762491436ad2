/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tz-backbone-extractor.h"
#include "tz-cli-data.h"
#include "tz-cli-extract.h"
#include "tz-error.h"

/* Reports @error (taking it) and returns the exit status of a failure. */
static int
fail (GError *error)
{
  fprintf (stderr, "tsuzuki-cli extract: %s\n", error->message);
  g_error_free (error);
  return 1;
}

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  fprintf (stderr, "tsuzuki-cli extract: %s\n\n%s", message, help);
  return 2;
}

int
tz_cli_extract (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzCliData) data = NULL;
  g_autoptr(TzExtractor) extractor = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(TzFeatureSet) set = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *source = NULL;
  g_autofree char *output = NULL;
  g_autofree char *backbone_name = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *layers_spec = NULL;
  g_autofree char *normalize = NULL;
  g_autofree char *device_name = NULL;
  g_autofree char *folder = NULL;
  int image_size = 0;
  int batch = 0;
  int threads = 0;
  double eval_fraction = 0.0;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  TzBackboneExtractorOptions options = { 0 };
  guint signal_source;
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &source,
      N_("Images: fashion-mnist, a folder of class folders, a CIFAR-10 or IDX folder, "
         "or a list file"), N_("SOURCE") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Feature file to write (.npz or .safetensors)"), N_("FILE") },
    { "backbone", 0, 0, G_OPTION_ARG_STRING, &backbone_name,
      N_("EfficientNet size, b0 to b7 (default b0)"), N_("NAME") },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &weights,
      N_("State dict (.safetensors or PyTorch .pth), or “scratch” for a random network"), N_("FILE") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      N_("Seed of the random network with --weights scratch (default 0)"), N_("N") },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers_spec,
      N_("penultimate, concat, all, spatial, or stage numbers such as 1,2,3,5,7 (g2: stage 2 over a "
         "2 × 2 grid; default penultimate)"), N_("SPEC") },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &image_size,
      N_("Square input size (default: the network's ImageNet size)"), N_("PIXELS") },
    { "normalize", 0, 0, G_OPTION_ARG_STRING, &normalize,
      N_("imagenet or none (default imagenet with a weight file, none from scratch)"), N_("MODE") },
    { "eval-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &eval_fraction,
      N_("Share of each class written as test rows when the source has no test split "
         "(default 0: every image is a training row)"), N_("FRACTION") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_name,
      N_("auto, cpu or cuda (default auto)"), N_("DEVICE") },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch,
      N_("Images per forward pass (default: 512 up to 64 pixels, fewer for larger images, 64 at 224)"),
      N_("N") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      N_("CPU threads (default: every core)"), N_("N") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_("No progress on the terminal"), NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new (_("— images to features"));
  g_option_context_set_summary (context,
    _("Decodes the images, runs them through an EfficientNet and writes the pooled\n"
      "features with their labels, ready for “protocol --features”. Rows follow the\n"
      "class names, then the file names; labels index the sorted class names.\n"
      "Features already computed for the same images and recipe come from the cache;\n"
      "files that are not usable images are skipped and listed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (argc > 1)
    return usage_error (context, _("unexpected arguments"));
  if (source == NULL || output == NULL)
    return usage_error (context, _("--data and --output are required"));
  if (weights == NULL)
    return usage_error (context, _("--weights is required: a weight file, or “scratch”"));
  if (!g_str_has_suffix (output, ".npz") && !g_str_has_suffix (output, ".safetensors"))
    return usage_error (context, _("the output must end in .npz or .safetensors"));
  if (!tz_backbone_variant_from_string (backbone_name ? backbone_name : "b0", &options.variant, &error))
    return usage_error (context, error->message);

  tz_backbone_extract_options_init (&options.extract);
  if (layers_spec != NULL && !tz_backbone_layers_parse (layers_spec, &options.extract.layers, &error))
    return usage_error (context, error->message);
  options.extract.normalize = strcmp (weights, "scratch") != 0;
  if (normalize != NULL)
    {
      if (strcmp (normalize, "imagenet") == 0)
        options.extract.normalize = TRUE;
      else if (strcmp (normalize, "none") == 0)
        options.extract.normalize = FALSE;
      else
        return usage_error (context, _("--normalize is imagenet or none"));
    }
  if (image_size != 0 && (image_size < 8 || image_size > 1024))
    return usage_error (context, _("--image-size is between 8 and 1024"));
  options.extract.image_size = image_size > 0 ? (guint) image_size
                             : tz_backbone_variant_get_image_size (options.variant);
  if (batch < 0 || batch > 65536)
    return usage_error (context, _("--batch is a positive count"));
  options.extract.batch_size = (guint) batch;
  if (threads < 0)
    return usage_error (context, _("--threads is a count"));
  options.n_threads = (guint) threads;
  if (!(eval_fraction >= 0.0 && eval_fraction < 1.0))
    return usage_error (context, _("--eval-fraction is within [0, 1)"));
  options.device = TZ_BACKBONE_DEVICE_AUTO;
  if (device_name != NULL)
    {
      if (strcmp (device_name, "cpu") == 0)
        options.device = TZ_BACKBONE_DEVICE_CPU;
      else if (strcmp (device_name, "cuda") == 0)
        options.device = TZ_BACKBONE_DEVICE_CUDA;
      else if (strcmp (device_name, "auto") != 0)
        return usage_error (context, _("--device is auto, cpu or cuda"));
    }
  options.seed = (guint64) seed;
  options.weights = strcmp (weights, "scratch") == 0 ? NULL : weights;

  /* The images first: a typo in a path should not wait for a network. */
  data = tz_cli_data_load (source, eval_fraction, (guint64) seed, cancellable, &error);
  if (data == NULL)
    return fail (g_steal_pointer (&error));
  extractor = tz_backbone_extractor_new (&options, &error);
  if (extractor == NULL)
    return fail (g_steal_pointer (&error));
  folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "features", NULL);
  cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                                tz_extractor_get_dim (extractor), folder, &error);
  if (cache == NULL)
    return fail (g_steal_pointer (&error));
  engine = tz_engine_new (extractor, cache, MAX (1, g_get_num_processors ()));

  signal_source = tz_cli_cancel_on_interrupt (cancellable);
  set = tz_cli_data_extract (data, engine, quiet, cancellable, &error);
  g_source_remove (signal_source);
  if (set == NULL)
    return fail (g_steal_pointer (&error));
  if (set->n_train == 0)
    {
      g_set_error (&error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS, _("%s: no usable training image"), source);
      return fail (g_steal_pointer (&error));
    }
  for (guint i = 0; i < data->skipped->len; i++)
    g_printerr (_("Skipped %s\n"), (const char *) g_ptr_array_index (data->skipped, i));

  if (!tz_feature_set_save (set, output, &error))
    return fail (g_steal_pointer (&error));

  if (!quiet)
    {
      g_autofree char *layers = tz_backbone_layers_to_string (options.extract.layers);

      printf (_("%s: %u training and %u evaluation images, %u classes, %u features (%s, %s, %u px)\n"),
              output, (guint) set->n_train, (guint) set->n_test, set->n_classes, set->dim,
              tz_backbone_variant_to_string (options.variant), layers, options.extract.image_size);
    }
  return 0;
}
