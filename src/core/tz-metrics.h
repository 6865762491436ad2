/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TzEvaluation:
 * @n_classes: all classes of the evaluation set (the confusion rows)
 * @n_learned: the learned classes (the confusion columns)
 * @learned: the class id of each column
 * @confusion: @n_classes x @n_learned counts, row = true class, column =
 *   predicted class
 * @n_images: images scored
 * @accuracy: correct / all images, including those of classes not yet
 *   learned (which cannot be right), as in the post
 * @accuracy_learned: correct / images whose true class is learned (NaN
 *   when there are none)
 * @precision: per learned column, correct / predicted as it (0 when never
 *   predicted, as scikit-learn's zero_division default)
 * @recall: per learned column, correct / images of that class (0 when the
 *   evaluation set has none)
 *
 * One step's evaluation (DESIGN 1.4). Immutable once made.
 */
typedef struct
{
  guint    n_classes;
  guint    n_learned;
  gint32  *learned;
  gint64  *confusion;
  gint64   n_images;
  double   accuracy;
  double   accuracy_learned;
  double  *precision;
  double  *recall;
} TzEvaluation;

/* @truth holds class ids in [0, @n_classes); @predicted holds class ids that
 * must be among @learned (distinct ids in [0, @n_classes)).
 * TZ_ERROR_INVALID_ARGUMENT names the first offending row or id. */
TzEvaluation *tz_evaluation_new   (const gint32   *truth,
                                   const gint32   *predicted,
                                   gsize           n,
                                   guint           n_classes,
                                   const gint32   *learned,
                                   guint           n_learned,
                                   GError        **error);
void          tz_evaluation_free  (TzEvaluation  *self);

/* The mean of the accuracies after each step (Rebuffi et al.'s average
 * incremental accuracy); NaN for no steps. */
double        tz_average_incremental_accuracy (const double *accuracies,
                                               guint         n_steps);

/* The novelty threshold of DESIGN 1.3: the @pass_fraction quantile (e.g.
 * 0.95) of the smallest squared Mahalanobis distances of held-out images
 * of learned classes, interpolated linearly as numpy.quantile does. An
 * image whose smallest distance exceeds it "looks new". NaN for n = 0. */
double        tz_novelty_threshold (const double *min_distances,
                                    gsize         n,
                                    double        pass_fraction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzEvaluation, tz_evaluation_free)

G_END_DECLS
