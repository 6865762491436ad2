/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tz-engine.h"

G_BEGIN_DECLS

#define TZ_TYPE_APPLICATION (tz_application_get_type ())

G_DECLARE_FINAL_TYPE (TzApplication, tz_application, TZ, APPLICATION, AdwApplication)

/**
 * TzApplication:
 *
 * Tsuzuki's application object: the app.preferences, app.about and
 * app.quit actions, and one #TzEngine shared by its windows.
 */
TzApplication *tz_application_new              (void);

/* The extractor the settings @settings (NULL: the application's) name,
 * the one place that chooses between the network backbone and pixels:
 * - a weights file chosen (key "weights"): an EfficientNet ("backbone")
 *   with those weights, ImageNet normalisation, at "image-size" (0: the
 *   variant's ImageNet size, 224 px for b0);
 * - no weights file but a network trained here for this variant (key
 *   "trained-weights", a file named VARIANT-...): that network, without
 *   normalisation, at "image-size" (0: 32 px);
 * - otherwise, and in a build without the backbone: pixels scaled to
 *   24 x 24, meaningful before any network exists.
 * "device" and "layers" apply to the network ("auto" layers: spatial for
 * a network trained here, the penultimate layer for a weights file). Errors: those of
 * tz_backbone_extractor_new() (a weights file that cannot be read, named),
 * TZ_ERROR_INVALID_ARGUMENT for an image size below 8. */
TzExtractor   *tz_application_create_extractor (GSettings     *settings,
                                                GError       **error);
/* Whether the network can be trained here: the backbone is built in and
 * no weights file is chosen. */
gboolean       tz_application_can_train        (GSettings     *settings);
/* The template tz_engine_train_network_async() trains a fresh copy of: an
 * EfficientNet of the chosen variant, randomly initialised from seed 0,
 * with the chosen layers and device, without normalisation, at
 * "image-size" (0: 32 px). TZ_ERROR_UNSUPPORTED when the backbone is not
 * built in or a weights file is chosen. */
TzExtractor   *tz_application_create_network_template (GSettings  *settings,
                                                       GError    **error);
/* Whether the extractor above is a network trained here (no weights
 * file, and a trained network of the chosen variant). */
gboolean       tz_application_uses_trained_network (GSettings *settings);
/* Where a network trained now is written:
 * g_get_user_data_dir()/tsuzuki/networks/VARIANT-DATE-TIME.safetensors
 * (the folder is created; G_FILE_ERROR naming it when it cannot be). */
char          *tz_application_new_network_path (GSettings     *settings,
                                                GError       **error);
/* The folder of the feature caches: g_get_user_cache_dir()/tsuzuki/features. */
char          *tz_application_get_cache_folder (void);
/* A feature cache for @extractor's recipe in @folder; NULL, or a damaged
 * cache file (with a warning), keeps it in memory only. */
TzFeatureCache *tz_application_create_cache    (TzExtractor   *extractor,
                                                const char    *folder);
/* Why the feature recipe cannot change in this build (translated), or
 * NULL when the backbone is available. */
const char    *tz_application_get_recipe_locked_reason (void);
/* A new engine with the application's extractor (pixels, with a warning,
 * when the settings' one cannot be made) and a feature cache in
 * @cache_folder (NULL, or a folder that cannot be used, keeps it in memory
 * only, the latter with a warning), leaving one processor to the main
 * thread. The extractor is prepared in the engine's worker. */
TzEngine      *tz_application_create_engine    (const char    *cache_folder);
/* The application's engine, made on first use, caching features in the
 * user's cache folder. */
TzEngine      *tz_application_get_engine       (TzApplication *self);

G_END_DECLS
