/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-core"

#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "tz-error.h"
#include "tz-gaussian-classifier.h"

/* Rows converted to double and scored at a time. */
#define SCORE_CHUNK_ROWS 1024

struct _TzGaussianClassifier
{
  gatomicrefcount       ref_count;

  guint                 dim;
  guint                 n_classes;
  guint                 n_blocks;
  TzTransform           transform;
  TzClassifierSettings  settings;
  char                **class_names;

  double               *log_prior;   /* n_classes */
  double               *means;       /* n_classes x dim */
  double               *factors;     /* n_blocks x dim x dim: upper triangular U with
                                      * Sigma = U^T U, row-major, lower part zero */
  double               *logdet;      /* n_blocks */
  double               *shrinkage;   /* n_blocks */
  double                jitter;

  /* Tied covariance only. */
  double               *whitened;    /* n_classes x dim: v_c = U^-T m_c */
  double               *weights;     /* n_classes x dim: P m_c = U^-1 v_c */
  double               *half_norm;   /* n_classes: |v_c|^2 / 2 */
};

static void
symmetrize_from_upper (double *a,
                       guint   d)
{
  for (guint i = 0; i < d; i++)
    for (guint j = i + 1; j < d; j++)
      a[(gsize) j * d + i] = a[(gsize) i * d + j];
}

static double
trace (const double *a,
       guint         d)
{
  double sum = 0.0;

  for (guint i = 0; i < d; i++)
    sum += a[(gsize) i * d + i];
  return sum;
}

/* Regularises a symmetric covariance, held in the upper triangle of
 * @sigma (row-major, lower part zero), in place and returns the shrinkage
 * coefficient used. @n_samples is the sample size OAS assumes. */
static double
regularize (double                 *sigma,
            guint                   d,
            double                  n_samples,
            const TzRegularization *regularization)
{
  double mu = trace (sigma, d) / d;
  double shrinkage = 0.0;

  switch (regularization->kind)
    {
    case TZ_REGULARIZATION_RIDGE:
      for (guint i = 0; i < d; i++)
        sigma[(gsize) i * d + i] += regularization->amount;
      return 0.0;

    case TZ_REGULARIZATION_SHRINK:
      shrinkage = regularization->amount;
      break;

    case TZ_REGULARIZATION_OAS:
      {
        /* scikit-learn's sklearn.covariance.oas(), from Sigma, n and d;
         * alpha is the mean of the squared entries of the full matrix. */
        double all = cblas_ddot ((int) ((gsize) d * d), sigma, 1, sigma, 1);
        double diagonal = cblas_ddot ((int) d, sigma, (int) d + 1, sigma, (int) d + 1);
        double alpha = (2.0 * all - diagonal) / ((double) d * d);
        double num = alpha + mu * mu;
        double den = (n_samples + 1.0) * (alpha - mu * mu / d);

        shrinkage = den == 0.0 ? 1.0 : MIN (num / den, 1.0);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  cblas_dscal ((int) ((gsize) d * d), 1.0 - shrinkage, sigma, 1);
  for (guint i = 0; i < d; i++)
    sigma[(gsize) i * d + i] += shrinkage * mu;
  return shrinkage;
}

/* Cholesky-factorises @sigma in place: on entry its upper triangle holds
 * the covariance (row-major), on return the upper triangular U with
 * Sigma = U^T U. That is LAPACK's column-major lower factor of the same
 * memory, so no transposition is needed. When the matrix is not positive
 * definite, retries with a jitter growing tenfold from 1e-10 up to 0.1
 * times the mean variance. */
static gboolean
factorize (double      *sigma,
           guint        d,
           const char  *what,
           double      *jitter_out,
           double      *logdet_out,
           GError     **error)
{
  g_autofree double *backup = NULL;
  double mean_variance = trace (sigma, d) / d;
  double jitter = 0.0;
  lapack_int info;

  if (!(mean_variance > 0.0) || !isfinite (mean_variance))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_NUMERICAL,
                   "The covariance of %s is zero: every sample equals its class "
                   "mean. Add more varied samples or use ridge regularization",
                   what);
      return FALSE;
    }

  backup = g_memdup2 (sigma, sizeof (double) * d * d);
  for (;;)
    {
      info = LAPACKE_dpotrf (LAPACK_COL_MAJOR, 'L', (lapack_int) d, sigma, (lapack_int) d);
      if (info == 0)
        break;
      jitter = jitter == 0.0 ? 1e-10 * mean_variance : jitter * 10.0;
      if (info < 0 || jitter > 0.1 * mean_variance)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_NUMERICAL,
                       "The covariance of %s is not positive definite even with a "
                       "jitter of %.3g on its diagonal", what, jitter / 10.0);
          return FALSE;
        }
      memcpy (sigma, backup, sizeof (double) * d * d);
      for (guint i = 0; i < d; i++)
        sigma[(gsize) i * d + i] += jitter;
    }

  if (jitter > 0.0)
    g_message ("The covariance of %s is singular; added %.3g to its diagonal "
               "(%.3g of the mean variance)", what, jitter, jitter / mean_variance);

  *logdet_out = 0.0;
  for (guint i = 0; i < d; i++)
    *logdet_out += 2.0 * log (sigma[(gsize) i * d + i]);
  *jitter_out = jitter;
  return TRUE;
}

/* Writes a packed upper triangle into the upper triangle of a row-major
 * d x d matrix whose lower part is zero. */
static void
unpack_upper (const double *packed,
              guint         d,
              double       *out)
{
  for (guint i = 0; i < d; i++)
    {
      memcpy (out + (gsize) i * d + i, packed, sizeof (double) * (d - i));
      packed += d - i;
    }
}

static void
classifier_free (TzGaussianClassifier *self)
{
  g_strfreev (self->class_names);
  g_free (self->log_prior);
  g_free (self->means);
  g_free (self->factors);
  g_free (self->logdet);
  g_free (self->shrinkage);
  g_free (self->whitened);
  g_free (self->weights);
  g_free (self->half_norm);
  g_free (self);
}

static gboolean
check_classes (const TzGaussianModel       *model,
               const TzClassifierSettings  *settings,
               GError                     **error)
{
  guint n_classes = tz_gaussian_model_get_n_classes (model);
  gint64 needed = settings->covariance == TZ_COVARIANCE_PER_CLASS ? 2 : 1;

  if (n_classes == 0)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                           "The model has no class to learn from");
      return FALSE;
    }
  for (guint c = 0; c < n_classes; c++)
    {
      gint64 count = tz_gaussian_model_get_class_count (model, c);

      if (count < needed)
        {
          if (count == 0)
            g_set_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                         "Class “%s” has no samples yet",
                         tz_gaussian_model_get_class_name (model, c));
          else
            g_set_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                         "Class “%s” has one sample; a per-class covariance needs at least two",
                         tz_gaussian_model_get_class_name (model, c));
          return FALSE;
        }
    }
  return TRUE;
}

/* Computes v_c = U^-T m_c and P m_c = U^-1 v_c for a tied factor. */
static void
prepare_tied (TzGaussianClassifier *self)
{
  guint d = self->dim, C = self->n_classes;

  self->whitened = g_memdup2 (self->means, sizeof (double) * C * d);
  /* Row c of V solves U^T v_c = m_c, i.e. V U = M. */
  cblas_dtrsm (CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
               (int) C, (int) d, 1.0, self->factors, (int) d, self->whitened, (int) d);
  self->weights = g_memdup2 (self->whitened, sizeof (double) * C * d);
  /* U w_c = v_c, i.e. W U^T = V. */
  cblas_dtrsm (CblasRowMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit,
               (int) C, (int) d, 1.0, self->factors, (int) d, self->weights, (int) d);
  self->half_norm = g_new (double, C);
  for (guint c = 0; c < C; c++)
    {
      const double *v = self->whitened + (gsize) c * d;

      self->half_norm[c] = 0.5 * cblas_ddot ((int) d, v, 1, v, 1);
    }
}

TzGaussianClassifier *
tz_gaussian_classifier_new (const TzGaussianModel       *model,
                            const TzClassifierSettings  *settings,
                            GError                     **error)
{
  g_autoptr(TzGaussianClassifier) self = NULL;
  g_autofree double *packed = NULL;
  guint d, C;
  gint64 total = 0;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_classes (model, settings, error))
    return NULL;

  d = tz_gaussian_model_get_dim (model);
  C = tz_gaussian_model_get_n_classes (model);

  self = g_new0 (TzGaussianClassifier, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->dim = d;
  self->n_classes = C;
  self->transform = *tz_gaussian_model_get_transform (model);
  self->settings = *settings;
  self->n_blocks = settings->covariance == TZ_COVARIANCE_PER_CLASS ? C : 1;
  self->class_names = g_new0 (char *, C + 1);
  self->log_prior = g_new (double, C);
  self->means = g_new (double, (gsize) C * d);
  self->factors = g_new0 (double, (gsize) self->n_blocks * d * d);
  self->logdet = g_new0 (double, self->n_blocks);
  self->shrinkage = g_new0 (double, self->n_blocks);

  for (guint c = 0; c < C; c++)
    {
      self->class_names[c] = g_strdup (tz_gaussian_model_get_class_name (model, c));
      memcpy (self->means + (gsize) c * d, tz_gaussian_model_get_class_mean (model, c),
              sizeof (double) * d);
      total += tz_gaussian_model_get_class_count (model, c);
    }
  for (guint c = 0; c < C; c++)
    self->log_prior[c] = settings->prior == TZ_PRIOR_COUNTS
      ? log ((double) tz_gaussian_model_get_class_count (model, c) / (double) total)
      : -log ((double) C);

  /* Covariances are summed in the model's packed storage (contiguous, half
   * the size), then unpacked once into the upper triangle to factorise. */
  packed = g_new (double, (gsize) d * (d + 1) / 2);
  for (guint b = 0; b < self->n_blocks; b++)
    {
      double *sigma = self->factors + (gsize) b * d * d;
      int n_packed = (int) ((gsize) d * (d + 1) / 2);
      g_autofree char *what = NULL;
      double n_samples, jitter = 0.0;

      memset (packed, 0, sizeof (double) * (gsize) n_packed);
      if (settings->covariance == TZ_COVARIANCE_PER_CLASS)
        {
          n_samples = (double) tz_gaussian_model_get_class_count (model, b);
          cblas_daxpy (n_packed, 1.0 / n_samples,
                       tz_gaussian_model_get_class_scatter_packed (model, b), 1, packed, 1);
          what = g_strdup_printf ("class “%s”", self->class_names[b]);
        }
      else
        {
          n_samples = (double) total;
          for (guint c = 0; c < C; c++)
            {
              double scale = settings->covariance == TZ_COVARIANCE_POOLED
                ? 1.0 / (double) total
                : 1.0 / ((double) C * (double) tz_gaussian_model_get_class_count (model, c));

              cblas_daxpy (n_packed, scale,
                           tz_gaussian_model_get_class_scatter_packed (model, c), 1, packed, 1);
            }
          what = g_strdup ("the classes");
        }
      unpack_upper (packed, d, sigma);

      self->shrinkage[b] = regularize (sigma, d, n_samples, &settings->regularization);
      if (!factorize (sigma, d, what, &jitter, &self->logdet[b], error))
        return NULL;
      self->jitter = MAX (self->jitter, jitter);
    }

  if (self->n_blocks == 1)
    prepare_tied (self);

  return g_steal_pointer (&self);
}

TzGaussianClassifier *
tz_gaussian_classifier_ref (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
tz_gaussian_classifier_unref (TzGaussianClassifier *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref_count))
    classifier_free (self);
}

guint
tz_gaussian_classifier_get_dim (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->dim;
}

guint
tz_gaussian_classifier_get_n_classes (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_classes;
}

const char *
tz_gaussian_classifier_get_class_name (TzGaussianClassifier *self,
                                       guint                 class_index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (class_index < self->n_classes, NULL);
  return self->class_names[class_index];
}

const TzClassifierSettings *
tz_gaussian_classifier_get_settings (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->settings;
}

double
tz_gaussian_classifier_get_jitter (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->jitter;
}

guint
tz_gaussian_classifier_get_n_blocks (TzGaussianClassifier *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_blocks;
}

double
tz_gaussian_classifier_get_shrinkage (TzGaussianClassifier *self,
                                      guint                 block)
{
  g_return_val_if_fail (self != NULL, 0.0);
  g_return_val_if_fail (block < self->n_blocks, 0.0);
  return self->shrinkage[block];
}

void
tz_gaussian_classifier_copy_covariance (TzGaussianClassifier *self,
                                        guint                 block,
                                        double               *out)
{
  const double *factor;
  guint d;

  g_return_if_fail (self != NULL);
  g_return_if_fail (block < self->n_blocks);
  g_return_if_fail (out != NULL);

  d = self->dim;
  factor = self->factors + (gsize) block * d * d;
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, (int) d, (int) d,
               1.0, factor, (int) d, 0.0, out, (int) d);
  symmetrize_from_upper (out, d);
}

void
tz_scores_free (TzScores *scores)
{
  if (scores == NULL)
    return;
  g_free (scores->predicted);
  g_free (scores->scores);
  g_free (scores->posteriors);
  g_free (scores->distances);
  g_free (scores->min_distances);
  g_free (scores);
}

static double
row_norm2 (const double *row,
           guint         d)
{
  return cblas_ddot ((int) d, row, 1, row, 1);
}

/* Scores k transformed rows of @xd (destroyed) into rows of @g and @dist. */
static void
score_chunk_tied (TzGaussianClassifier *self,
                  double               *xd,
                  gsize                 k,
                  double               *g,
                  double               *dist)
{
  guint d = self->dim, C = self->n_classes;

  if (dist == NULL)
    {
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) k, (int) C, (int) d,
                   1.0, xd, (int) d, self->weights, (int) d, 0.0, g, (int) C);
      for (gsize i = 0; i < k; i++)
        for (guint c = 0; c < C; c++)
          g[i * C + c] += self->log_prior[c] - self->half_norm[c];
      return;
    }

  /* Rows y = U^-T x (Y U = X), so that |y|^2 = x^T P x and
   * y . v_c = m_c^T P x. */
  cblas_dtrsm (CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
               (int) k, (int) d, 1.0, self->factors, (int) d, xd, (int) d);
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) k, (int) C, (int) d,
               1.0, xd, (int) d, self->whitened, (int) d, 0.0, g, (int) C);
  for (gsize i = 0; i < k; i++)
    {
      double y2 = row_norm2 (xd + i * d, d);

      for (guint c = 0; c < C; c++)
        {
          double cross = g[i * C + c];

          dist[i * C + c] = MAX (0.0, y2 - 2.0 * cross + 2.0 * self->half_norm[c]);
          g[i * C + c] = cross - self->half_norm[c] + self->log_prior[c];
        }
    }
}

static void
score_chunk_per_class (TzGaussianClassifier *self,
                       const double         *xd,
                       gsize                 k,
                       double               *scratch,
                       double               *g,
                       double               *dist)
{
  guint d = self->dim, C = self->n_classes;

  for (guint c = 0; c < C; c++)
    {
      const double *mean = self->means + (gsize) c * d;
      const double *factor = self->factors + (gsize) c * d * d;

      for (gsize i = 0; i < k; i++)
        for (guint j = 0; j < d; j++)
          scratch[i * d + j] = xd[i * d + j] - mean[j];
      cblas_dtrsm (CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
                   (int) k, (int) d, 1.0, factor, (int) d, scratch, (int) d);
      for (gsize i = 0; i < k; i++)
        {
          double d2 = row_norm2 (scratch + i * d, d);

          if (dist != NULL)
            dist[i * C + c] = d2;
          g[i * C + c] = -0.5 * d2 - 0.5 * self->logdet[c] + self->log_prior[c];
        }
    }
}

static gboolean
check_input (TzGaussianClassifier  *self,
             const float           *x,
             gsize                  n_rows,
             guint                  n_cols,
             GError               **error)
{
  if (n_cols != self->dim)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "Feature vectors have %u values but the classifier expects %u",
                   n_cols, self->dim);
      return FALSE;
    }
  for (gsize i = 0; i < n_rows; i++)
    for (guint j = 0; j < n_cols; j++)
      if G_UNLIKELY (!isfinite (x[i * n_cols + j]))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE,
                       "Feature row %" G_GSIZE_FORMAT ", column %u is %s",
                       i, j, isnan (x[i * n_cols + j]) ? "NaN" : "infinite");
          return FALSE;
        }
  return TRUE;
}

TzScores *
tz_gaussian_classifier_score (TzGaussianClassifier  *self,
                              const float           *x,
                              gsize                  n_rows,
                              guint                  n_cols,
                              TzScoreFlags           flags,
                              GError               **error)
{
  g_autoptr(TzScores) scores = NULL;
  g_autofree double *xd = NULL;
  g_autofree double *scratch = NULL;
  guint d, C;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (x != NULL || n_rows == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_input (self, x, n_rows, n_cols, error))
    return NULL;

  d = self->dim;
  C = self->n_classes;
  scores = g_new0 (TzScores, 1);
  scores->n_rows = n_rows;
  scores->n_classes = C;
  scores->predicted = g_new (gint32, n_rows);
  scores->scores = g_new (double, n_rows * C);
  if (flags & TZ_SCORE_POSTERIORS)
    scores->posteriors = g_new (double, n_rows * C);
  if (flags & TZ_SCORE_DISTANCES)
    {
      scores->distances = g_new (double, n_rows * C);
      scores->min_distances = g_new (double, n_rows);
    }

  xd = g_new (double, (gsize) MIN (MAX (n_rows, 1), SCORE_CHUNK_ROWS) * d);
  if (self->n_blocks > 1)
    scratch = g_new (double, (gsize) MIN (MAX (n_rows, 1), SCORE_CHUNK_ROWS) * d);

  for (gsize start = 0; start < n_rows; start += SCORE_CHUNK_ROWS)
    {
      gsize k = MIN (SCORE_CHUNK_ROWS, n_rows - start);
      double *g = scores->scores + start * C;
      double *dist = scores->distances ? scores->distances + start * C : NULL;

      for (gsize i = 0; i < k; i++)
        {
          for (guint j = 0; j < d; j++)
            xd[i * d + j] = x[(start + i) * d + j];
          tz_transform_apply (&self->transform, xd + i * d, d);
        }

      if (self->n_blocks == 1)
        score_chunk_tied (self, xd, k, g, dist);
      else
        score_chunk_per_class (self, xd, k, scratch, g, dist);
    }

  for (gsize i = 0; i < n_rows; i++)
    {
      const double *g = scores->scores + i * C;
      guint best = 0;

      for (guint c = 1; c < C; c++)
        if (g[c] > g[best])
          best = c;
      scores->predicted[i] = (gint32) best;

      if (scores->posteriors != NULL)
        {
          double *p = scores->posteriors + i * C;
          double sum = 0.0;

          for (guint c = 0; c < C; c++)
            sum += (p[c] = exp (g[c] - g[best]));
          for (guint c = 0; c < C; c++)
            p[c] /= sum;
        }
      if (scores->distances != NULL)
        {
          const double *dist = scores->distances + i * C;
          double smallest = dist[0];

          for (guint c = 1; c < C; c++)
            smallest = MIN (smallest, dist[c]);
          scores->min_distances[i] = smallest;
        }
    }

  return g_steal_pointer (&scores);
}
