/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "tz-backbone.h"
#include "tz-cli-extract.h"
#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-image.h"

typedef struct
{
  char    *path;
  guint    label;
} Item;

static void
item_clear (gpointer data)
{
  g_free (((Item *) data)->path);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted names of the entries of @dir that pass @want_dirs; hidden entries
 * are skipped. */
static GPtrArray *
list_sorted (const char  *dir,
             gboolean     want_dirs,
             GError     **error)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, error);
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (handle == NULL)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (handle)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (name[0] == '.')
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR) != want_dirs)
        continue;
      if (!want_dirs && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  /* Byte order, as Python's sorted () of the names, so that labels agree
   * with any script that lists the same folders. */
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static gboolean
collect_split (const char  *dir,
               GPtrArray   *class_names,
               GArray      *items,
               GError     **error)
{
  g_autoptr(GPtrArray) classes = list_sorted (dir, TRUE, error);

  if (classes == NULL)
    return FALSE;
  for (guint c = 0; c < classes->len; c++)
    {
      const char *class_name = g_ptr_array_index (classes, c);
      g_autofree char *class_dir = g_build_filename (dir, class_name, NULL);
      g_autoptr(GPtrArray) files = list_sorted (class_dir, FALSE, error);
      guint label = 0;

      if (files == NULL)
        return FALSE;
      while (label < class_names->len && strcmp (g_ptr_array_index (class_names, label), class_name) != 0)
        label++;
      g_assert (label < class_names->len);
      for (guint f = 0; f < files->len; f++)
        {
          Item item = { g_build_filename (class_dir, g_ptr_array_index (files, f), NULL), label };

          g_array_append_val (items, item);
        }
    }
  return TRUE;
}

static void
add_class_names (const char *dir,
                 GPtrArray  *class_names)
{
  g_autoptr(GPtrArray) classes = list_sorted (dir, TRUE, NULL);

  for (guint c = 0; classes != NULL && c < classes->len; c++)
    if (!g_ptr_array_find_with_equal_func (class_names, g_ptr_array_index (classes, c), g_str_equal, NULL))
      g_ptr_array_add (class_names, g_strdup (g_ptr_array_index (classes, c)));
}

typedef struct
{
  TzBackbone               *backbone;
  TzBackboneExtractOptions  options;
  guint                     dim;
  guint                     done;
  guint                     total;
  gboolean                  show_progress;
} Extractor;

/* Decodes and extracts @items batch by batch, so that only one batch of
 * pixels is held at a time. */
static float *
extract_items (Extractor  *ex,
               GArray     *items,
               gint32    **labels_out,
               GError    **error)
{
  guint batch = ex->options.batch_size;
  g_autofree float *features = g_new0 (float, (gsize) MAX (items->len, 1) * ex->dim);
  g_autofree gint32 *labels = g_new0 (gint32, MAX (items->len, 1));

  for (guint start = 0; start < items->len; start += batch)
    {
      guint count = MIN (batch, items->len - start);
      g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);

      for (guint i = 0; i < count; i++)
        {
          Item *item = &g_array_index (items, Item, start + i);
          TzImage *image = tz_image_load (item->path, error);

          if (image == NULL)
            return NULL;
          g_ptr_array_add (images, image);
          labels[start + i] = item->label;
        }
      if (!tz_backbone_extract (ex->backbone, (const TzImage *const *) images->pdata, count,
                                &ex->options, features + (gsize) start * ex->dim, NULL, error))
        return NULL;
      ex->done += count;
      if (ex->show_progress)
        {
          fputc ('\r', stderr);
          fprintf (stderr, _("%u of %u images"), ex->done, ex->total);
          fflush (stderr);
        }
    }

  *labels_out = g_steal_pointer (&labels);
  return g_steal_pointer (&features);
}

static int
fail (GError *error)
{
  fprintf (stderr, "tsuzuki-cli extract: %s\n", error->message);
  return 1;
}

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  fprintf (stderr, "tsuzuki-cli extract: %s\n\n", message);
  fprintf (stderr, "%s", g_option_context_get_help (context, TRUE, NULL));
  return 2;
}

int
tz_cli_extract (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = NULL;
  g_autoptr(GPtrArray) class_names = NULL;
  g_autoptr(GArray) train_items = NULL;
  g_autoptr(GArray) test_items = NULL;
  g_autofree char *data = NULL;
  g_autofree char *output = NULL;
  g_autofree char *backbone_name = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *layers_spec = NULL;
  g_autofree char *normalize = NULL;
  g_autofree char *device_name = NULL;
  g_autofree char *train_dir = NULL;
  g_autofree char *test_dir = NULL;
  int image_size = 0;
  int batch = 64;
  int threads = 0;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  TzBackboneVariant variant = TZ_BACKBONE_B0;
  TzBackboneDevice device = TZ_BACKBONE_DEVICE_AUTO;
  TzFeatureSet set = { 0 };
  Extractor ex = { 0 };
  g_autofree float *train_x = NULL;
  g_autofree float *test_x = NULL;
  g_autofree gint32 *train_y = NULL;
  g_autofree gint32 *test_y = NULL;
  gboolean split_layout;
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data,
      N_("Image folder: one sub-folder per class, or train/ and test/ holding them"), N_("DIR") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Feature file to write (.npz or .safetensors)"), N_("FILE") },
    { "backbone", 0, 0, G_OPTION_ARG_STRING, &backbone_name,
      N_("EfficientNet size, b0 to b7 (default b0)"), N_("NAME") },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &weights,
      N_("State dict (.safetensors or PyTorch .pth), or “scratch” for a random network"), N_("FILE") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      N_("Seed of the random network with --weights scratch (default 0)"), N_("N") },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers_spec,
      N_("penultimate, concat, all, or stage numbers such as 1,2,3,5,7 (default penultimate)"), N_("SPEC") },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &image_size,
      N_("Square input size (default: the network's ImageNet size)"), N_("PIXELS") },
    { "normalize", 0, 0, G_OPTION_ARG_STRING, &normalize,
      N_("imagenet or none (default imagenet with a weight file, none from scratch)"), N_("MODE") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_name,
      N_("auto, cpu or cuda (default auto)"), N_("DEVICE") },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch,
      N_("Images per forward pass (default 64)"), N_("N") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      N_("CPU threads (default: every core)"), N_("N") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_("No progress on the terminal"), NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new (_("— images to features"));
  g_option_context_set_summary (context,
    _("Decodes the images of a folder, runs them through an EfficientNet and\n"
      "writes the pooled features with their labels, ready for “protocol --features”.\n"
      "Rows follow the class folders' names, then the file names; labels index\n"
      "the sorted class names."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (argc > 1)
    return usage_error (context, _("unexpected arguments"));
  if (data == NULL || output == NULL)
    return usage_error (context, _("--data and --output are required"));
  if (weights == NULL)
    return usage_error (context, _("--weights is required: a weight file, or “scratch”"));
  if (!g_str_has_suffix (output, ".npz") && !g_str_has_suffix (output, ".safetensors"))
    return usage_error (context, _("the output must end in .npz or .safetensors"));
  if (backbone_name != NULL && !tz_backbone_variant_from_string (backbone_name, &variant, &error))
    return usage_error (context, error->message);

  tz_backbone_extract_options_init (&ex.options);
  if (layers_spec != NULL && !tz_backbone_layers_parse (layers_spec, &ex.options.layers, &error))
    return usage_error (context, error->message);
  ex.options.normalize = strcmp (weights, "scratch") != 0;
  if (normalize != NULL)
    {
      if (strcmp (normalize, "imagenet") == 0)
        ex.options.normalize = TRUE;
      else if (strcmp (normalize, "none") == 0)
        ex.options.normalize = FALSE;
      else
        return usage_error (context, _("--normalize is imagenet or none"));
    }
  if (image_size != 0 && (image_size < 8 || image_size > 1024))
    return usage_error (context, _("--image-size is between 8 and 1024"));
  ex.options.image_size = image_size > 0 ? (guint) image_size : tz_backbone_variant_get_image_size (variant);
  if (batch < 1 || batch > 65536)
    return usage_error (context, _("--batch is a positive count"));
  ex.options.batch_size = batch;
  if (threads < 0)
    return usage_error (context, _("--threads is a count"));
  if (device_name != NULL)
    {
      if (strcmp (device_name, "auto") == 0)
        device = TZ_BACKBONE_DEVICE_AUTO;
      else if (strcmp (device_name, "cpu") == 0)
        device = TZ_BACKBONE_DEVICE_CPU;
      else if (strcmp (device_name, "cuda") == 0)
        device = TZ_BACKBONE_DEVICE_CUDA;
      else
        return usage_error (context, _("--device is auto, cpu or cuda"));
    }

  /* The folders first: a typo in a path should not wait for a network. */
  train_dir = g_build_filename (data, "train", NULL);
  test_dir = g_build_filename (data, "test", NULL);
  split_layout = g_file_test (train_dir, G_FILE_TEST_IS_DIR) && g_file_test (test_dir, G_FILE_TEST_IS_DIR);
  class_names = g_ptr_array_new_with_free_func (g_free);
  train_items = g_array_new (FALSE, FALSE, sizeof (Item));
  test_items = g_array_new (FALSE, FALSE, sizeof (Item));
  g_array_set_clear_func (train_items, item_clear);
  g_array_set_clear_func (test_items, item_clear);
  if (!g_file_test (data, G_FILE_TEST_IS_DIR))
    {
      g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, "%s: not a folder", data);
      return fail (error);
    }
  if (split_layout)
    {
      add_class_names (train_dir, class_names);
      add_class_names (test_dir, class_names);
    }
  else
    add_class_names (data, class_names);
  g_ptr_array_sort (class_names, compare_names);
  if (class_names->len == 0)
    {
      g_set_error (&error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                   "%s: no class folders (one sub-folder per class, or train/ and test/ holding them)",
                   data);
      return fail (error);
    }
  if (!collect_split (split_layout ? train_dir : data, class_names, train_items, &error)
      || (split_layout && !collect_split (test_dir, class_names, test_items, &error)))
    return fail (error);
  if (train_items->len == 0)
    {
      g_set_error (&error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS, "%s: no training images", data);
      return fail (error);
    }

  backbone = tz_backbone_new (variant, 0, &error);
  if (backbone == NULL)
    return fail (error);
  if (strcmp (weights, "scratch") == 0)
    tz_backbone_init_random (backbone, (guint64) seed);
  else if (!tz_backbone_load_weights (backbone, weights, &error))
    return fail (error);
  tz_backbone_set_n_threads (backbone, threads);
  if (!tz_backbone_set_device (backbone, device, &error))
    return fail (error);

  ex.backbone = backbone;
  ex.dim = tz_backbone_get_feature_dim (backbone, ex.options.layers);
  ex.total = train_items->len + test_items->len;
  ex.show_progress = !quiet && isatty (STDERR_FILENO);

  train_x = extract_items (&ex, train_items, &train_y, &error);
  if (train_x == NULL)
    return fail (error);
  test_x = extract_items (&ex, test_items, &test_y, &error);
  if (test_x == NULL)
    return fail (error);
  if (ex.show_progress)
    fprintf (stderr, "\n");

  g_ptr_array_add (class_names, NULL);
  set.dim = ex.dim;
  set.n_classes = class_names->len - 1;
  set.class_names = (char **) class_names->pdata;
  set.n_train = train_items->len;
  set.train_x = train_x;
  set.train_y = train_y;
  set.n_test = test_items->len;
  set.test_x = test_x;
  set.test_y = test_y;
  if (!tz_feature_set_save (&set, output, &error))
    return fail (error);

  if (!quiet)
    {
      g_autofree char *layers = tz_backbone_layers_to_string (ex.options.layers);

      printf (_("%s: %u training and %u evaluation images, %u classes, %u features (%s, %s, %u px)\n"),
              output, (guint) set.n_train, (guint) set.n_test, set.n_classes, set.dim,
              tz_backbone_variant_to_string (variant), layers, ex.options.image_size);
    }
  return 0;
}
