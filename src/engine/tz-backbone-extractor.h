/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tz-backbone.h"
#include "tz-extractor.h"

G_BEGIN_DECLS

#define TZ_TYPE_BACKBONE_EXTRACTOR (tz_backbone_extractor_get_type ())

G_DECLARE_FINAL_TYPE (TzBackboneExtractor, tz_backbone_extractor, TZ, BACKBONE_EXTRACTOR, GObject)

/**
 * TzBackboneExtractorOptions:
 * @variant: b0 ... b7
 * @weights: a state dict (.safetensors or PyTorch zip), or NULL for
 *   torchvision's random initialisation drawn from @seed
 * @seed: for @weights NULL
 * @device: auto, CPU or CUDA
 * @n_threads: CPU threads inside each operation (0: every core)
 * @extract: layers, image size, normalisation, precision, batch size
 */
typedef struct
{
  TzBackboneVariant         variant;
  const char               *weights;
  guint64                   seed;
  TzBackboneDevice          device;
  guint                     n_threads;
  TzBackboneExtractOptions  extract;
} TzBackboneExtractorOptions;

/* An EfficientNet as the engine's extractor. The network is built and its
 * weights loaded in tz_extractor_prepare(), that is in the engine's worker;
 * construction only reads the weights file once to digest it into the
 * recipe (variant, weights digest, layers, size, normalisation), so that
 * cached features are never reused across weights. G_FILE_ERROR when the
 * file cannot be read. */
TzExtractor *tz_backbone_extractor_new (const TzBackboneExtractorOptions  *options,
                                        GError                           **error);

/* The network, once prepared (NULL before): for the worker thread only. */
TzBackbone  *tz_backbone_extractor_get_backbone (TzBackboneExtractor *self);

G_END_DECLS
