/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-feature-set.h"
#include "tz-gaussian-settings.h"
#include "tz-metrics.h"

G_BEGIN_DECLS

/**
 * TzProtocolOptions:
 * @initial: the class ids fitted together at step 0
 * @order: the class ids then added one per step
 *
 * The evaluation protocol of DESIGN 1.4 over features already extracted.
 */
typedef struct
{
  GArray               *initial;  /* guint */
  GArray               *order;    /* guint */
  TzClassifierSettings  settings;
  TzTransform           transform;
} TzProtocolOptions;

/**
 * TzProtocolStep:
 * @index: 0 for the initial fit, then 1, 2, ...
 * @added: the class ids this step added
 * @evaluation: the whole evaluation set scored after the step; its
 *   @learned lists every class learned so far, in learning order
 * @fit_seconds: time to merge the step's samples and factorise
 * @score_seconds: time to score the evaluation set
 */
typedef struct
{
  guint          index;
  GArray        *added;  /* guint */
  TzEvaluation  *evaluation;
  double         fit_seconds;
  double         score_seconds;
} TzProtocolStep;

typedef struct
{
  GPtrArray *steps;  /* TzProtocolStep* */
  double     average_incremental_accuracy;
} TzProtocolResult;

typedef void (*TzProtocolStepFunc) (const TzProtocolStep *step,
                                    gpointer              user_data);

/* Parses a class list such as "0-4" or "5,7,6" or "0-2,9" into @out
 * (appended in the order written). Fails with TZ_ERROR_INVALID_ARGUMENT on
 * bad syntax, a reversed range, an id >= @n_classes, or a repeated id. */
gboolean          tz_protocol_parse_class_list (const char        *text,
                                                guint              n_classes,
                                                GArray            *out,
                                                GError           **error);

/* Fills @options->order with the classes of @data that @options->initial
 * lacks, ascending, when it is empty. */
void              tz_protocol_options_complete (TzProtocolOptions *options,
                                                const TzFeatureSet *data);

/* Checks that @options names at least one initial class, only classes of
 * @data, and none twice (within or across the two lists);
 * TZ_ERROR_INVALID_ARGUMENT naming the class otherwise. */
gboolean          tz_protocol_options_validate (const TzProtocolOptions *options,
                                                const TzFeatureSet      *data,
                                                GError                 **error);

/* Runs the protocol: fits the initial classes, scores the evaluation set,
 * then for each class of the order merges its training samples and scores
 * again. @step_func (may be NULL) sees each step as it ends. Fails with
 * tz_protocol_options_validate()'s errors,
 * TZ_ERROR_EMPTY_CLASS when a class to learn has no training samples
 * (naming it), or with the classifier's errors; G_IO_ERROR_CANCELLED between
 * steps when @cancellable is cancelled. */
TzProtocolResult *tz_protocol_run              (const TzFeatureSet      *data,
                                                const TzProtocolOptions *options,
                                                TzProtocolStepFunc       step_func,
                                                gpointer                 user_data,
                                                GCancellable            *cancellable,
                                                GError                 **error);
void              tz_protocol_result_free      (TzProtocolResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzProtocolResult, tz_protocol_result_free)

G_END_DECLS
