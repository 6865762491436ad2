/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TzCovariance:
 * @TZ_COVARIANCE_CLASS_AVERAGED: Sigma = (1/C) sum_c S_c / n_c, the post's.
 * @TZ_COVARIANCE_POOLED: Sigma = sum_c S_c / N, Lee et al.'s (LDA).
 * @TZ_COVARIANCE_PER_CLASS: Sigma_c = S_c / n_c with a log-determinant term
 *   (QDA, FeCAM).
 */
typedef enum
{
  TZ_COVARIANCE_CLASS_AVERAGED,
  TZ_COVARIANCE_POOLED,
  TZ_COVARIANCE_PER_CLASS,
} TzCovariance;

typedef enum
{
  TZ_REGULARIZATION_RIDGE,   /* Sigma + amount I */
  TZ_REGULARIZATION_SHRINK,  /* (1 - amount) Sigma + amount (tr Sigma / d) I */
  TZ_REGULARIZATION_OAS,     /* shrink with scikit-learn's OAS coefficient */
} TzRegularizationKind;

typedef struct
{
  TzRegularizationKind kind;
  double               amount;  /* unused for OAS */
} TzRegularization;

typedef enum
{
  TZ_PRIOR_COUNTS,   /* prior_c = n_c / N, the post's */
  TZ_PRIOR_UNIFORM,
} TzPrior;

typedef enum
{
  TZ_TRANSFORM_NONE,
  TZ_TRANSFORM_L2,     /* x / ||x||; a zero vector stays zero */
  TZ_TRANSFORM_POWER,  /* sign(x) |x|^p, FeCAM's Tukey transform */
} TzTransformKind;

typedef struct
{
  TzTransformKind kind;
  double          power;  /* for TZ_TRANSFORM_POWER, in (0, 4] */
} TzTransform;

/* The decision-time choices: a classifier can be rebuilt with other settings
 * from the same statistics, whereas the transform is fixed when a model is
 * created. */
typedef struct
{
  TzCovariance     covariance;
  TzRegularization regularization;
  TzPrior          prior;
} TzClassifierSettings;

/* Tsuzuki's defaults, chosen by tests/bench/bench-settings over full,
 * few-shot and imbalanced training data on EfficientNet-b0 features (see
 * README): class-averaged, oas, uniform priors; with the transform l2. */
void        tz_classifier_settings_init_default (TzClassifierSettings *settings);
void        tz_transform_init_default           (TzTransform          *transform);
/* The blog post's settings: class-averaged, ridge:1e-6, count priors, and
 * no transform. */
void        tz_classifier_settings_init_post    (TzClassifierSettings *settings);
/* The identity: no transform. */
void        tz_transform_init_none              (TzTransform          *transform);

/* Parsers for the spellings the CLI and saved files use:
 * "class-averaged" | "pooled" | "per-class";
 * "ridge:EPS" | "shrink:ALPHA" | "oas" (EPS >= 0, 0 <= ALPHA <= 1);
 * "counts" | "uniform"; "none" | "l2" | "power:P".
 * Each fails with TZ_ERROR_INVALID_ARGUMENT quoting the text and listing the
 * accepted forms. The *_to_string functions return the same spellings
 * (newly allocated for the parametrised ones). */
gboolean    tz_covariance_parse           (const char        *text,
                                           TzCovariance      *out,
                                           GError           **error);
const char *tz_covariance_to_string       (TzCovariance       covariance);
gboolean    tz_regularization_parse       (const char        *text,
                                           TzRegularization  *out,
                                           GError           **error);
char       *tz_regularization_to_string   (const TzRegularization *regularization);
gboolean    tz_prior_parse                (const char        *text,
                                           TzPrior           *out,
                                           GError           **error);
const char *tz_prior_to_string            (TzPrior            prior);
gboolean    tz_transform_parse            (const char        *text,
                                           TzTransform       *out,
                                           GError           **error);
char       *tz_transform_to_string        (const TzTransform *transform);

G_END_DECLS
