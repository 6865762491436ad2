/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TzFeatureSet:
 *
 * Feature vectors with labels, split into training and evaluation parts:
 * what `tsuzuki-cli protocol --features` reads and `extract` writes.
 * Rows are float32, row-major, @dim columns. Labels index @class_names.
 */
typedef struct
{
  guint    dim;
  guint    n_classes;
  char   **class_names;   /* n_classes entries, NULL-terminated */
  gsize    n_train;
  float   *train_x;       /* n_train x dim */
  gint32  *train_y;       /* n_train */
  gsize    n_test;
  float   *test_x;        /* n_test x dim */
  gint32  *test_y;        /* n_test */
} TzFeatureSet;

/* Loads `train_x`, `train_y`, `test_x`, `test_y` and the optional
 * `class_names` from a .npz (a unicode array) or a .safetensors file (the
 * "class_names" metadata entry, a JSON array of strings), chosen by the
 * file's magic bytes. Labels may be any integer dtype, features any float or
 * integer dtype (converted to float32). Without class names, classes are
 * named "0", "1", ... up to the largest label. Errors name the file and
 * the reason: a missing array, 2-D features with different widths, a label
 * count that differs from the row count, a negative label or one beyond
 * the class names, NaN or infinity in the features (with row and column).
 * Codes: TZ_ERROR_CORRUPT (missing array, unreadable class names),
 * TZ_ERROR_DIMENSION_MISMATCH (shapes), TZ_ERROR_UNKNOWN_CLASS (labels),
 * TZ_ERROR_NOT_FINITE (features), TZ_ERROR_UNSUPPORTED (float labels,
 * string features, a file that is neither format), plus those of the
 * underlying readers. Without class names, a label of 2^20 or more is
 * TZ_ERROR_TOO_LARGE. */
TzFeatureSet *tz_feature_set_load          (const char    *path,
                                            GError       **error);
/* Writes the same layout; the format follows the extension (.npz or
 * .safetensors), atomically. Labels are written as int64. Fails with
 * TZ_ERROR_INVALID_ARGUMENT for another extension, TZ_ERROR_UNKNOWN_CLASS
 * for a label outside 0 .. n_classes - 1 (nothing is written). */
gboolean      tz_feature_set_save          (const TzFeatureSet *self,
                                            const char         *path,
                                            GError            **error);
/* Builds a feature set from IDX image and label files (e.g. Fashion-MNIST):
 * each image (u8, N x H x W) flattened and scaled to [0, 1] (pixel / 255).
 * @class_names may be NULL (classes are then numbered). Errors are those
 * of tz_idx_read(), plus TZ_ERROR_DIMENSION_MISMATCH naming both files when
 * image and label counts differ or training and test images differ in
 * size, TZ_ERROR_UNSUPPORTED for images that are not u8, and
 * TZ_ERROR_UNKNOWN_CLASS for a label beyond @class_names. */
TzFeatureSet *tz_feature_set_new_from_idx  (const char         *train_images,
                                            const char         *train_labels,
                                            const char         *test_images,
                                            const char         *test_labels,
                                            const char *const  *class_names,
                                            GError            **error);
void          tz_feature_set_free          (TzFeatureSet  *self);

/* The ten classes of Fashion-MNIST in label order, NULL-terminated, as
 * its authors name them (untranslated: they are data, not interface). */
extern const char *const tz_fashion_mnist_class_names[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzFeatureSet, tz_feature_set_free)

G_END_DECLS
