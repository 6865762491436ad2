/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tz-backbone-extractor.h"

G_BEGIN_DECLS

#define TZ_TYPE_DEFERRED_EXTRACTOR (tz_deferred_extractor_get_type ())

G_DECLARE_FINAL_TYPE (TzDeferredExtractor, tz_deferred_extractor, TZ, DEFERRED_EXTRACTOR, GObject)

/* The EfficientNet extractor of @options, for a program that must not
 * wait for libtorch: the same dimension and recipe as
 * tz_backbone_extractor_new() gives (computed here, without libtorch), but
 * libtorch and the network are loaded in tz_extractor_prepare(), that is
 * in the engine's worker, from the backbone module (a shared object
 * holding TzBackboneExtractor and libtorch; see
 * tz_deferred_extractor_get_module_path()). Extraction and training are
 * the module's extractor's. Errors: those of the weights file's digest.
 * tz_extractor_prepare() fails with TZ_ERROR_UNSUPPORTED naming the module
 * when it cannot be loaded. */
TzExtractor *tz_deferred_extractor_new             (const TzBackboneExtractorOptions  *options,
                                                    GError                           **error);
/* The backbone module: $TZ_BACKBONE_MODULE when set, else the build
 * tree's when this program runs from the build tree, else the installed
 * one. */
const char  *tz_deferred_extractor_get_module_path (void);

/* What tz_backbone_extractor_new() and the deferred extractor share: the
 * feature dimension and the recipe text of @options (the weights file is
 * read once, to digest it; G_FILE_ERROR when it cannot be). */
gboolean     _tz_backbone_extractor_describe       (const TzBackboneExtractorOptions  *options,
                                                    guint                            *dim,
                                                    char                            **recipe,
                                                    GError                          **error);

G_END_DECLS
