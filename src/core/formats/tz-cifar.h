/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

#define TZ_CIFAR_IMAGE_SIZE 32
#define TZ_CIFAR_N_CLASSES 10
/* One record on disk: a label byte, then 32 x 32 red, green and blue
 * planes. */
#define TZ_CIFAR_RECORD_SIZE (1 + 3 * TZ_CIFAR_IMAGE_SIZE * TZ_CIFAR_IMAGE_SIZE)
#define TZ_CIFAR_N_TRAIN_BATCHES 5

/**
 * TzCifar:
 * @class_names: the 10 names of batches.meta.txt, NULL-terminated
 * @train_images: %TZ_DTYPE_U8, n_train x 32 x 32 x 3 (height, width,
 *   RGB interleaved: the layout of #TzImage and the backbone), the records
 *   of data_batch_1.bin to data_batch_5.bin in file order
 * @train_labels: %TZ_DTYPE_U8, n_train, each below 10
 * @test_images: the same for test_batch.bin
 * @test_labels: the same for test_batch.bin
 *
 * The binary version of CIFAR-10 (the folder cifar-10-batches-bin of
 * cifar-10-binary.tar.gz).
 */
typedef struct
{
  char    **class_names;
  TzArray  *train_images;
  TzArray  *train_labels;
  TzArray  *test_images;
  TzArray  *test_labels;
} TzCifar;

/* Reads one batch file: its records' images into @images (U8,
 * n x 32 x 32 x 3, planes turned into interleaved pixels) and labels into
 * @labels (U8, n). Errors name the file: G_FILE_ERROR when it cannot be
 * read; TZ_ERROR_CORRUPT when it is empty, its size is not a multiple of
 * 3073 bytes (a truncated or foreign file), or a label is above 9 (naming
 * the record). Nothing is returned on error. */
gboolean  tz_cifar_read_batch        (const char    *path,
                                      TzArray      **images,
                                      TzArray      **labels,
                                      GError       **error);
/* Reads batches.meta.txt: exactly 10 class names, one per line (trailing
 * spaces, carriage returns and blank lines at the end are ignored, as the
 * original file ends in blank lines). Errors name the file: G_FILE_ERROR
 * when it cannot be read; TZ_ERROR_CORRUPT for fewer or more than 10 names,
 * a blank line among them, or text that is not UTF-8. Returns a
 * NULL-terminated vector (g_strfreev). */
char    **tz_cifar_read_class_names  (const char    *path,
                                      GError       **error);
/* Reads a CIFAR-10 binary folder: batches.meta.txt, data_batch_1.bin ..
 * data_batch_5.bin and test_batch.bin. @folder may also be the folder that
 * holds cifar-10-batches-bin (where the archive was unpacked). Any missing
 * file is a G_FILE_ERROR_NOENT naming it; otherwise the errors are those
 * of tz_cifar_read_batch() and tz_cifar_read_class_names(). */
TzCifar  *tz_cifar_load              (const char    *folder,
                                      GError       **error);
void      tz_cifar_free              (TzCifar       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzCifar, tz_cifar_free)

G_END_DECLS
