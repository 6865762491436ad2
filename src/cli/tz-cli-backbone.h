/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-cli-data.h"
#include "tz-extractor.h"

G_BEGIN_DECLS

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
} TzCliBackboneArgs;

void         tz_cli_backbone_args_clear (TzCliBackboneArgs *args);
GOptionGroup *tz_cli_backbone_option_group (TzCliBackboneArgs *args);

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
