/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-cli-data.h"
#include "tz-backbone.h"
#include "tz-extractor.h"

G_BEGIN_DECLS

/* The endpoints a network trained from scratch is read at when --layers
 * is not given (ImageNet weight files keep the penultimate layer). */
#define TZ_CLI_SCRATCH_LAYERS TZ_BACKBONE_LAYERS_SPATIAL

/* The network options of `protocol` and `demo`. */
typedef struct
{
  char    *backbone;       /* b0 ... b7 */
  char    *weights;        /* a file, or NULL / "scratch" */
  char    *layers;
  char    *normalize;      /* imagenet | none | NULL for the default */
  char    *device;
  int      image_size;     /* 0: 32 from scratch, else the variant's */
  int      train_epochs;
  int      train_batch;
  double   learning_rate;
  int      batch;
  int      threads;
  gint64   seed;
  /* The training recipe: NULL leaves each at the recipe's value. */
  char    *recipe;          /* tsuzuki | post */
  char    *augment;         /* crop,flip | crop | flip | none */
  char    *label_smoothing;
  char    *lr_schedule;     /* constant | cosine */
  char    *warmup;
  char    *rotation_task;   /* on | off */
  char    *weight_decay;
} TzCliBackboneArgs;

void         tz_cli_backbone_args_clear (TzCliBackboneArgs *args);
GOptionGroup *tz_cli_backbone_option_group (TzCliBackboneArgs *args);

/* The training options the arguments describe: the recipe (Tsuzuki's by
 * default, or the post's), then each override. TZ_ERROR_INVALID_ARGUMENT
 * names the flag and the value it cannot take. */
gboolean     tz_cli_backbone_train_options (const TzCliBackboneArgs *args,
                                            TzBackboneTrainOptions  *options,
                                            GError                 **error);

/* The EfficientNet extractor the arguments describe. From scratch with
 * train_epochs > 0, it first base-trains the network on the training
 * images of the @initial classes of @data (the post's first step), with
 * progress on stderr unless @quiet, and keeps the weights in the user's
 * cache folder under a digest of the data and the recipe, so that the same
 * run later reuses them instead of training again. */
TzExtractor *tz_cli_backbone_create (const TzCliBackboneArgs  *args,
                                     TzCliData                *data,
                                     GArray                   *initial,
                                     gboolean                  quiet,
                                     GCancellable             *cancellable,
                                     GError                  **error);

G_END_DECLS
