/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-core"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-error.h"
#include "tz-gaussian-settings.h"

void
tz_classifier_settings_init_default (TzClassifierSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->covariance = TZ_COVARIANCE_CLASS_AVERAGED;
  settings->regularization.kind = TZ_REGULARIZATION_OAS;
  settings->regularization.amount = 0.0;
  settings->prior = TZ_PRIOR_UNIFORM;
}

void
tz_classifier_settings_init_post (TzClassifierSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->covariance = TZ_COVARIANCE_CLASS_AVERAGED;
  settings->regularization.kind = TZ_REGULARIZATION_RIDGE;
  settings->regularization.amount = 1e-6;
  settings->prior = TZ_PRIOR_COUNTS;
}

void
tz_transform_init_default (TzTransform *transform)
{
  g_return_if_fail (transform != NULL);

  transform->kind = TZ_TRANSFORM_L2;
  transform->power = 1.0;
}

void
tz_transform_init_none (TzTransform *transform)
{
  g_return_if_fail (transform != NULL);

  transform->kind = TZ_TRANSFORM_NONE;
  transform->power = 1.0;
}

static gboolean
parse_number (const char *text,
              double     *out)
{
  char *end = NULL;
  double value;

  if (text == NULL || *text == '\0')
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (value))
    return FALSE;
  *out = value;
  return TRUE;
}

/* The shortest text that reads back as @value exactly ("0.1", not
 * "0.10000000000000001"), in the C locale. */
static void
format_shortest (double  value,
                 char   *buffer,
                 gsize   size)
{
  for (int precision = 1; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buffer, size, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        return;
    }
}

gboolean
tz_covariance_parse (const char    *text,
                     TzCovariance  *out,
                     GError       **error)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (g_strcmp0 (text, "class-averaged") == 0)
    *out = TZ_COVARIANCE_CLASS_AVERAGED;
  else if (g_strcmp0 (text, "pooled") == 0)
    *out = TZ_COVARIANCE_POOLED;
  else if (g_strcmp0 (text, "per-class") == 0)
    *out = TZ_COVARIANCE_PER_CLASS;
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown covariance “%s”: expected class-averaged, pooled or per-class",
                   text ? text : "");
      return FALSE;
    }
  return TRUE;
}

const char *
tz_covariance_to_string (TzCovariance covariance)
{
  switch (covariance)
    {
    case TZ_COVARIANCE_CLASS_AVERAGED: return "class-averaged";
    case TZ_COVARIANCE_POOLED: return "pooled";
    case TZ_COVARIANCE_PER_CLASS: return "per-class";
    default: g_return_val_if_reached (NULL);
    }
}

gboolean
tz_regularization_parse (const char        *text,
                         TzRegularization  *out,
                         GError           **error)
{
  TzRegularization result = { TZ_REGULARIZATION_RIDGE, 0.0 };
  const char *colon;

  g_return_val_if_fail (out != NULL, FALSE);

  colon = text ? strchr (text, ':') : NULL;
  if (g_strcmp0 (text, "oas") == 0)
    {
      result.kind = TZ_REGULARIZATION_OAS;
    }
  else if (colon != NULL &&
           strncmp (text, "ridge", colon - text) == 0 && colon - text == 5 &&
           parse_number (colon + 1, &result.amount) && result.amount >= 0.0)
    {
      result.kind = TZ_REGULARIZATION_RIDGE;
    }
  else if (colon != NULL &&
           strncmp (text, "shrink", colon - text) == 0 && colon - text == 6 &&
           parse_number (colon + 1, &result.amount) &&
           result.amount >= 0.0 && result.amount <= 1.0)
    {
      result.kind = TZ_REGULARIZATION_SHRINK;
    }
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown regularization “%s”: expected ridge:EPS (EPS ≥ 0), "
                   "shrink:ALPHA (0 ≤ ALPHA ≤ 1) or oas",
                   text ? text : "");
      return FALSE;
    }

  *out = result;
  return TRUE;
}

char *
tz_regularization_to_string (const TzRegularization *regularization)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (regularization != NULL, NULL);

  if (regularization->kind == TZ_REGULARIZATION_OAS)
    return g_strdup ("oas");
  format_shortest (regularization->amount, number, sizeof number);
  return g_strdup_printf ("%s:%s",
                          regularization->kind == TZ_REGULARIZATION_RIDGE ? "ridge" : "shrink",
                          number);
}

gboolean
tz_prior_parse (const char  *text,
                TzPrior     *out,
                GError     **error)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (g_strcmp0 (text, "counts") == 0)
    *out = TZ_PRIOR_COUNTS;
  else if (g_strcmp0 (text, "uniform") == 0)
    *out = TZ_PRIOR_UNIFORM;
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown prior “%s”: expected counts or uniform",
                   text ? text : "");
      return FALSE;
    }
  return TRUE;
}

const char *
tz_prior_to_string (TzPrior prior)
{
  return prior == TZ_PRIOR_COUNTS ? "counts" : "uniform";
}

gboolean
tz_transform_parse (const char   *text,
                    TzTransform  *out,
                    GError      **error)
{
  TzTransform result;

  g_return_val_if_fail (out != NULL, FALSE);

  tz_transform_init_none (&result);
  if (g_strcmp0 (text, "none") == 0)
    result.kind = TZ_TRANSFORM_NONE;
  else if (g_strcmp0 (text, "l2") == 0)
    result.kind = TZ_TRANSFORM_L2;
  else if (text != NULL && g_str_has_prefix (text, "power:") &&
           parse_number (text + strlen ("power:"), &result.power) &&
           result.power > 0.0 && result.power <= 4.0)
    result.kind = TZ_TRANSFORM_POWER;
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown transform “%s”: expected none, l2 or power:P (0 < P ≤ 4)",
                   text ? text : "");
      return FALSE;
    }

  *out = result;
  return TRUE;
}

char *
tz_transform_to_string (const TzTransform *transform)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (transform != NULL, NULL);

  switch (transform->kind)
    {
    case TZ_TRANSFORM_NONE:
      return g_strdup ("none");
    case TZ_TRANSFORM_L2:
      return g_strdup ("l2");
    case TZ_TRANSFORM_POWER:
      format_shortest (transform->power, number, sizeof number);
      return g_strdup_printf ("power:%s", number);
    default:
      g_return_val_if_reached (NULL);
    }
}
