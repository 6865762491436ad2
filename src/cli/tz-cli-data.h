/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-engine.h"
#include "tz-feature-set.h"

G_BEGIN_DECLS

/**
 * TzCliData:
 *
 * Labelled images from any source the CLI reads, before feature
 * extraction: files (@paths) or images decoded already (@images, from
 * IDX or CIFAR-10 batches), with a class and a split each.
 */
typedef struct
{
  char       *description;
  guint       n_classes;
  char      **class_names;
  GPtrArray  *paths;    /* char*, or NULL */
  GPtrArray  *images;   /* TzImage*, or NULL */
  GArray     *labels;   /* gint32 */
  GArray     *splits;   /* TzSplit */
  gboolean    grey;     /* every image has one channel */
  GPtrArray  *skipped;  /* "path: reason" */
  /* What the last tz_cli_data_extract() cost. */
  guint       n_decoded;
  guint       n_extracted;
  guint       n_cache_hits;
  double      extract_seconds;
} TzCliData;

/* Reads @spec: "fashion-mnist" (Debian's dataset-fashion-mnist), a folder
 * of Fashion-MNIST/MNIST IDX files, a CIFAR-10 binary folder (or its
 * parent), a folder with one sub-folder per class (train/ and test/ trees
 * recognised, otherwise a split of @eval_fraction drawn with @seed), or a
 * list file (PATH<TAB>CLASS[<TAB>train|eval] lines). Errors name @spec and
 * the reason. */
TzCliData    *tz_cli_data_load    (const char     *spec,
                                   double          eval_fraction,
                                   guint64         seed,
                                   GCancellable   *cancellable,
                                   GError        **error);
void          tz_cli_data_free    (TzCliData      *self);

/* Features for every input through @engine (its cache: each image passes
 * through the extractor at most once per recipe), running the main context
 * meanwhile; a progress bar on a terminal, plain lines otherwise (none
 * when @quiet). Inputs the engine could not use join @self's skipped list
 * and leave the feature set; the counts of images decoded, extracted and
 * found in the cache, and the job's wall time, are left in @self.
 * G_IO_ERROR_CANCELLED when @cancellable is. */
TzFeatureSet *tz_cli_data_extract (TzCliData      *self,
                                   TzEngine       *engine,
                                   gboolean        quiet,
                                   GCancellable   *cancellable,
                                   GError        **error);

/* Cancels @cancellable on Ctrl-C (SIGINT) while the main context runs;
 * returns the source id to remove afterwards. */
guint         tz_cli_cancel_on_interrupt (GCancellable *cancellable);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzCliData, tz_cli_data_free)

G_END_DECLS
