/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-gaussian-model.h"
#include "tz-gaussian-settings.h"

G_BEGIN_DECLS

/**
 * TzGaussianClassifier:
 *
 * An immutable, reference-counted Bayes classifier built from a
 * #TzGaussianModel's statistics and a #TzClassifierSettings: the
 * (regularised) covariance is factorised once with Cholesky (dpotrf) and
 * every later use solves with the factor (dtrsm); no inverse is formed.
 * It copies what it needs, so it stays valid after the model changes and
 * may be used from any thread.
 *
 * For a tied covariance (class-averaged or pooled) with L L^T = Sigma (L is
 * stored as its transpose) and
 * v_c = L^-1 m_c, the discriminant is g_c(x) = v_c . L^-1 x - |v_c|^2 / 2 +
 * log prior_c and the squared Mahalanobis distance D_c^2 = |L^-1 x - v_c|^2.
 * For per-class covariances g_c = -D_c^2 / 2 - log det Sigma_c / 2 +
 * log prior_c. Posteriors are softmax(g).
 *
 * Memory: C x d doubles for the means, plus d x d for the tied factor or
 * C x d x d for per-class factors.
 */
typedef struct _TzGaussianClassifier TzGaussianClassifier;

typedef enum
{
  TZ_SCORE_POSTERIORS = 1 << 0,
  TZ_SCORE_DISTANCES  = 1 << 1,
} TzScoreFlags;

/**
 * TzScores:
 * @predicted: for each row, the index of the class with the largest score
 * @scores: n_rows x n_classes discriminants g_c(x) (log posteriors up to a
 *   per-row constant)
 * @posteriors: n_rows x n_classes, or NULL without %TZ_SCORE_POSTERIORS
 * @distances: n_rows x n_classes squared Mahalanobis distances, or NULL
 *   without %TZ_SCORE_DISTANCES
 * @min_distances: per row, the smallest squared distance (the novelty
 *   statistic of Lee et al.), or NULL without %TZ_SCORE_DISTANCES
 */
typedef struct
{
  gsize   n_rows;
  guint   n_classes;
  gint32 *predicted;
  double *scores;
  double *posteriors;
  double *distances;
  double *min_distances;
} TzScores;

/* Fails, leaving nothing behind, with:
 * - TZ_ERROR_EMPTY_CLASS when the model has no class, when a class has no
 *   samples, or (per-class covariance) fewer than two, naming the class;
 * - TZ_ERROR_NUMERICAL when the covariance is zero (every sample equal to
 *   its class mean) and the regularisation cannot make it positive, or when
 *   it stays indefinite after jitter up to 10% of its mean variance.
 * If plain Cholesky fails (a singular covariance: d larger than n, a
 * constant feature, no regularisation), a growing jitter is added to the
 * diagonal; tz_gaussian_classifier_get_jitter() and a g_message report it. */
TzGaussianClassifier *tz_gaussian_classifier_new (const TzGaussianModel      *model,
                                                  const TzClassifierSettings *settings,
                                                  GError                    **error);
TzGaussianClassifier *tz_gaussian_classifier_ref   (TzGaussianClassifier *self);
void                  tz_gaussian_classifier_unref (TzGaussianClassifier *self);

guint       tz_gaussian_classifier_get_dim        (TzGaussianClassifier *self);
guint       tz_gaussian_classifier_get_n_classes  (TzGaussianClassifier *self);
const char *tz_gaussian_classifier_get_class_name (TzGaussianClassifier *self,
                                                   guint                 class_index);
const TzClassifierSettings *
            tz_gaussian_classifier_get_settings   (TzGaussianClassifier *self);
/* The largest jitter added to any covariance diagonal; 0 when none was. */
double      tz_gaussian_classifier_get_jitter     (TzGaussianClassifier *self);
/* Covariance blocks: one for tied covariances, one per class otherwise. */
guint       tz_gaussian_classifier_get_n_blocks   (TzGaussianClassifier *self);
/* The shrinkage coefficient used for a block (OAS's estimate, the fixed
 * ALPHA of shrink:ALPHA, 0 for ridge). */
double      tz_gaussian_classifier_get_shrinkage  (TzGaussianClassifier *self,
                                                   guint                 block);
/* The regularised covariance of a block as factorised (d x d row-major,
 * rebuilt from the factor). */
void        tz_gaussian_classifier_copy_covariance (TzGaussianClassifier *self,
                                                    guint                 block,
                                                    double               *out);

/* Scores @n_rows feature vectors (row-major floats, @n_cols == dim), after
 * the model's transform. TZ_ERROR_DIMENSION_MISMATCH or TZ_ERROR_NOT_FINITE
 * (naming the row and column) on bad input. Tied covariances cost one GEMM
 * of n x d x C, plus one triangular solve of n x d x d with
 * %TZ_SCORE_DISTANCES; per-class covariances cost C solves. */
TzScores   *tz_gaussian_classifier_score          (TzGaussianClassifier *self,
                                                   const float          *x,
                                                   gsize                 n_rows,
                                                   guint                 n_cols,
                                                   TzScoreFlags          flags,
                                                   GError              **error);
void        tz_scores_free                         (TzScores            *scores);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzGaussianClassifier, tz_gaussian_classifier_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzScores, tz_scores_free)

G_END_DECLS
