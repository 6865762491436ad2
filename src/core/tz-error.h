/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TZ_ERROR (tz_error_quark ())

/**
 * TzError:
 * @TZ_ERROR_INVALID_ARGUMENT: a value the caller passed makes no sense
 *   (an unknown option, a negative count, an empty name).
 * @TZ_ERROR_DIMENSION_MISMATCH: feature vectors or arrays of the wrong shape.
 * @TZ_ERROR_NOT_FINITE: NaN or infinity where numbers were expected.
 * @TZ_ERROR_EMPTY_CLASS: a class without enough samples for what was asked.
 * @TZ_ERROR_UNKNOWN_CLASS: a class index or name that the model lacks.
 * @TZ_ERROR_NUMERICAL: a covariance that could not be factorised even
 *   with jitter.
 * @TZ_ERROR_CORRUPT: a file whose contents contradict its own format.
 * @TZ_ERROR_UNSUPPORTED: a well-formed file using a feature we do not read
 *   (an object array, a dtype we do not know, a compression method).
 * @TZ_ERROR_FORBIDDEN: a file that asks for something never allowed
 *   (a pickle global outside the allowed set).
 * @TZ_ERROR_TOO_LARGE: an input beyond a safety limit (pixels, header size).
 *
 * The one error domain of Tsuzuki's own checks. I/O failures keep
 * G_IO_ERROR / G_FILE_ERROR; their messages still name the file.
 */
typedef enum
{
  TZ_ERROR_INVALID_ARGUMENT,
  TZ_ERROR_DIMENSION_MISMATCH,
  TZ_ERROR_NOT_FINITE,
  TZ_ERROR_EMPTY_CLASS,
  TZ_ERROR_UNKNOWN_CLASS,
  TZ_ERROR_NUMERICAL,
  TZ_ERROR_CORRUPT,
  TZ_ERROR_UNSUPPORTED,
  TZ_ERROR_FORBIDDEN,
  TZ_ERROR_TOO_LARGE,
} TzError;

GQuark tz_error_quark (void);

G_END_DECLS
