/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-gaussian-settings.h"

G_BEGIN_DECLS

/**
 * TzGaussianModel:
 *
 * The sufficient statistics of a class-incremental Gaussian classifier:
 * for each class its name, sample count n_c, mean m_c and scatter matrix
 * S_c = sum (x - m_c)(x - m_c)^T, all in double precision, over features
 * passed through the model's fixed transform. No sample is kept.
 *
 * Memory: C classes of dimension d hold C (d (d + 1) / 2 + d + 1) doubles
 * plus the names, since each scatter matrix is stored as a packed upper
 * triangle; for d = 1280 that is 6.6 MB a class. Adding samples needs, in
 * addition and only during the call, a d x d and a 2048 x d double buffer
 * (13 MB and 21 MB for d = 1280).
 *
 * Statistics merge exactly (Chan et al.), so a class can be grown batch by
 * batch, removed, and two models over the same features merged, with the
 * same result as one fit over all samples up to rounding.
 *
 * A model is not thread-safe; copy it to hand a snapshot to another thread.
 */
typedef struct _TzGaussianModel TzGaussianModel;

/* @transform may be NULL: no transform. */
TzGaussianModel   *tz_gaussian_model_new              (guint                  dim,
                                                       const TzTransform     *transform);
TzGaussianModel   *tz_gaussian_model_copy             (const TzGaussianModel *self);
void               tz_gaussian_model_free             (TzGaussianModel       *self);

guint              tz_gaussian_model_get_dim          (const TzGaussianModel *self);
const TzTransform *tz_gaussian_model_get_transform    (const TzGaussianModel *self);
guint              tz_gaussian_model_get_n_classes    (const TzGaussianModel *self);
/* Sum of the class counts. */
gint64             tz_gaussian_model_get_n_samples    (const TzGaussianModel *self);
/* Bytes held by the statistics (the bound stated above). */
gsize              tz_gaussian_model_get_memory_size  (const TzGaussianModel *self);

/* Adds an empty class at the end and returns its index, or -1 with
 * TZ_ERROR_INVALID_ARGUMENT for an empty name or one already in use. */
gint               tz_gaussian_model_add_class        (TzGaussianModel       *self,
                                                       const char            *name,
                                                       GError               **error);
/* TZ_ERROR_UNKNOWN_CLASS for an index out of range; later classes move down
 * one place. */
gboolean           tz_gaussian_model_remove_class     (TzGaussianModel       *self,
                                                       guint                  class_index,
                                                       GError               **error);
gboolean           tz_gaussian_model_rename_class     (TzGaussianModel       *self,
                                                       guint                  class_index,
                                                       const char            *name,
                                                       GError               **error);
/* The index of the class called @name, or -1. */
gint               tz_gaussian_model_find_class       (const TzGaussianModel *self,
                                                       const char            *name);

const char        *tz_gaussian_model_get_class_name   (const TzGaussianModel *self,
                                                       guint                  class_index);
gint64             tz_gaussian_model_get_class_count  (const TzGaussianModel *self,
                                                       guint                  class_index);
/* dim doubles, owned by the model. */
const double      *tz_gaussian_model_get_class_mean   (const TzGaussianModel *self,
                                                       guint                  class_index);
/* The scatter matrix as stored: its upper triangle packed row by row
 * (row i holds columns i..d-1), d (d + 1) / 2 doubles owned by the model;
 * the layout of CBLAS's row-major packed upper storage. */
const double      *tz_gaussian_model_get_class_scatter_packed (const TzGaussianModel *self,
                                                               guint                  class_index);
/* Writes the full symmetric d x d scatter matrix (row-major) to @out. */
void               tz_gaussian_model_copy_class_scatter (const TzGaussianModel *self,
                                                         guint                  class_index,
                                                         double                *out);

/* Merges @n_rows feature vectors (row-major, @n_cols == dim floats each)
 * into a class, after the model's transform. All rows are checked before
 * anything changes: TZ_ERROR_DIMENSION_MISMATCH when @n_cols differs from
 * the model's dimension, TZ_ERROR_NOT_FINITE naming the first row and column
 * holding NaN or infinity, TZ_ERROR_UNKNOWN_CLASS for a bad index,
 * TZ_ERROR_INVALID_ARGUMENT for zero rows. On error the model is unchanged.
 * Cost: one dsyrk per 2048 rows, O(n d^2). */
gboolean           tz_gaussian_model_add_samples      (TzGaussianModel       *self,
                                                       guint                  class_index,
                                                       const float           *x,
                                                       gsize                  n_rows,
                                                       guint                  n_cols,
                                                       GError               **error);

/* Replaces a class's statistics (e.g. read from a model file): @count >= 0,
 * @mean dim doubles, @scatter a full d x d row-major matrix that must be
 * symmetric (to 1e-9 relative) with a non-negative diagonal and finite.
 * TZ_ERROR_CORRUPT otherwise, naming the class. */
gboolean           tz_gaussian_model_set_class_statistics (TzGaussianModel *self,
                                                           guint            class_index,
                                                           gint64           count,
                                                           const double    *mean,
                                                           const double    *scatter,
                                                           GError         **error);

/* Adds @other's statistics into @self: classes are matched by name, and
 * classes @self lacks are appended in @other's order. Both models must have
 * the same dimension and transform (TZ_ERROR_DIMENSION_MISMATCH or
 * TZ_ERROR_INVALID_ARGUMENT otherwise, leaving @self unchanged). */
gboolean           tz_gaussian_model_merge            (TzGaussianModel       *self,
                                                       const TzGaussianModel *other,
                                                       GError               **error);

/* Applies @transform to one row of @dim values in place. */
void               tz_transform_apply                 (const TzTransform     *transform,
                                                       double                *row,
                                                       guint                  dim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzGaussianModel, tz_gaussian_model_free)

G_END_DECLS
