/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz-backbone.h"

/* Extraction throughput and a base-training epoch on a chosen device and
 * precision; build-aux/gpu-check runs it on a CUDA machine. Images are
 * random uint8 at the input size, so decoding is not measured. */

static GPtrArray *
random_images (guint n,
               guint size,
               guint seed)
{
  GPtrArray *images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (guint i = 0; i < n; i++)
    {
      TzImage *image = tz_image_new (size, size, 3, NULL);

      for (gsize p = 0; p < (gsize) size * size * 3; p += 4)
        {
          guint32 r = g_rand_int (rand);

          memcpy (image->pixels + p, &r, MIN (4, (gsize) size * size * 3 - p));
        }
      g_ptr_array_add (images, image);
    }
  return images;
}

static void
print_epoch (const TzBackboneTrainProgress *progress,
             gpointer                       user_data)
{
  double *last_ips = user_data;

  *last_ips = progress->images_per_second;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— backbone throughput on a device");
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autofree char *device_name = g_strdup ("auto");
  g_autofree char *variant_name = g_strdup ("b0");
  g_autofree char *precisions = g_strdup ("fp32");
  g_autofree float *features = NULL;
  g_auto(GStrv) precision_list = NULL;
  int size = 224;
  int batch = 256;
  int batches = 10;
  int threads = 0;
  int train_size = 64;
  int train_images = 0;
  int train_batch = 128;
  TzBackboneVariant variant;
  TzBackboneDevice device = TZ_BACKBONE_DEVICE_AUTO;
  const GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_name, "auto, cpu or cuda", "DEVICE" },
    { "variant", 0, 0, G_OPTION_ARG_STRING, &variant_name, "b0 ... b7", "NAME" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Extraction input size", "PIXELS" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Extraction batch", "N" },
    { "batches", 0, 0, G_OPTION_ARG_INT, &batches, "Timed batches", "N" },
    { "precision", 0, 0, G_OPTION_ARG_STRING, &precisions, "Comma-separated: fp32, bf16, fp16", "LIST" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads (0: all)", "N" },
    { "train-images", 0, 0, G_OPTION_ARG_INT, &train_images, "Images of a training epoch (0: no training)", "N" },
    { "train-size", 0, 0, G_OPTION_ARG_INT, &train_size, "Training input size", "PIXELS" },
    { "train-batch", 0, 0, G_OPTION_ARG_INT, &train_batch, "Training batch", "N" },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || !tz_backbone_variant_from_string (variant_name, &variant, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (strcmp (device_name, "cpu") == 0)
    device = TZ_BACKBONE_DEVICE_CPU;
  else if (strcmp (device_name, "cuda") == 0)
    device = TZ_BACKBONE_DEVICE_CUDA;

  backbone = tz_backbone_new (variant, 0, &error);
  if (backbone == NULL || !tz_backbone_set_device (backbone, device, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  tz_backbone_set_n_threads (backbone, threads);
  printf ("device: %s, CUDA available: %s\n",
          tz_backbone_get_device (backbone) == TZ_BACKBONE_DEVICE_CUDA ? "cuda" : "cpu",
          tz_backbone_cuda_is_available () ? "yes" : "no");

  images = random_images (batch, size, 1);
  features = g_new (float, (gsize) batch * tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_PENULTIMATE));
  precision_list = g_strsplit (precisions, ",", -1);
  for (guint p = 0; precision_list[p] != NULL; p++)
    {
      TzBackboneExtractOptions options;
      gint64 start;
      double seconds;

      tz_backbone_extract_options_init (&options);
      options.image_size = size;
      options.batch_size = batch;
      if (strcmp (precision_list[p], "bf16") == 0)
        options.precision = TZ_BACKBONE_PRECISION_BFLOAT16;
      else if (strcmp (precision_list[p], "fp16") == 0)
        options.precision = TZ_BACKBONE_PRECISION_FLOAT16;

      /* Two warm-up batches: cuDNN and oneDNN pick their kernels first. */
      for (int w = 0; w < 2; w++)
        if (!tz_backbone_extract (backbone, (const TzImage *const *) images->pdata, batch,
                                  &options, features, NULL, &error))
          {
            fprintf (stderr, "%s: %s\n", precision_list[p], error->message);
            return 1;
          }
      start = g_get_monotonic_time ();
      for (int b = 0; b < batches; b++)
        if (!tz_backbone_extract (backbone, (const TzImage *const *) images->pdata, batch,
                                  &options, features, NULL, &error))
          {
            fprintf (stderr, "%s: %s\n", precision_list[p], error->message);
            return 1;
          }
      /* Features are copied back to the host every batch, so the clock
       * stops after the device has finished. */
      seconds = (g_get_monotonic_time () - start) / 1e6;
      printf ("extract %s %d px, batch %d, %s: %.1f images/s\n",
              variant_name, size, batch, precision_list[p], (double) batch * batches / seconds);
      fflush (stdout);
    }

  if (train_images > 0)
    {
      g_autoptr(GPtrArray) train = random_images (train_images, train_size, 2);
      g_autofree guint *labels = g_new (guint, train_images);
      TzBackboneTrainOptions options;
      double ips = 0;
      gint64 start;

      for (int i = 0; i < train_images; i++)
        labels[i] = i % 10;
      tz_backbone_reset_head (backbone, 10, 0);
      tz_backbone_train_options_init (&options);
      options.epochs = 1;
      options.batch_size = train_batch;
      options.image_size = train_size;
      start = g_get_monotonic_time ();
      if (!tz_backbone_train (backbone, (const TzImage *const *) train->pdata, labels, train_images,
                              &options, print_epoch, &ips, NULL, &error))
        {
          fprintf (stderr, "training: %s\n", error->message);
          return 1;
        }
      printf ("train %s %d px, batch %d: one epoch of %d images in %.2f s (%.1f images/s)\n",
              variant_name, train_size, train_batch, train_images,
              (g_get_monotonic_time () - start) / 1e6, ips);
    }
  return 0;
}
