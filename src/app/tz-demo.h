/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-image-listing.h"

G_BEGIN_DECLS

#define TZ_DEMO_N_CLASSES 10
#define TZ_DEMO_N_INITIAL 5

/**
 * TzDemoImage:
 * @path: a PNG file in the demo folder
 * @class_index: its Fashion-MNIST label, an index into
 *   tz_demo_get_class_names()
 * @split: training images come from Fashion-MNIST's training set,
 *   evaluation images from its test set
 */
typedef struct
{
  char    *path;
  guint    class_index;
  TzSplit  split;
} TzDemoImage;

/* Called in the caller's main context while images are written; the
 * progress data is a GObject, kept alive until the last report. */
typedef void (*TzDemoProgressFunc) (guint    n_done,
                                    guint    n_total,
                                    gpointer user_data);

/* The ten Fashion-MNIST class names, translated. */
const char *tz_demo_get_class_name  (guint index);

/* Writes the first @n_train training and @n_eval test images of each
 * Fashion-MNIST class, read from the IDX files in @data_dir, as PNG files
 * under @folder (one sub-folder per class and split), in a worker thread.
 * A stamp file marks a complete set, so later calls only list it. The
 * result is a #GArray of #TzDemoImage (classes in label order, training
 * images first). Errors name the file: those of tz_idx_read() (a missing
 * data set gives G_FILE_ERROR_NOENT), TZ_ERROR_CORRUPT when the images and
 * labels disagree or a class has too few images, G_FILE_ERROR /
 * G_IO_ERROR when a PNG cannot be written, G_IO_ERROR_CANCELLED. */
void    tz_demo_prepare_async  (const char          *data_dir,
                                const char          *folder,
                                guint                n_train,
                                guint                n_eval,
                                GCancellable        *cancellable,
                                TzDemoProgressFunc   progress,
                                gpointer             progress_data,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
GArray *tz_demo_prepare_finish (GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
