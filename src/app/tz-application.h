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

/* The extractor every engine of the application uses: the one place that
 * chooses between the network backbone and plain pixels. Today it is
 * tz_pixel_extractor_new (24, FALSE), since the EfficientNet backbone is
 * not built in yet. */
TzExtractor   *tz_application_create_extractor (void);
/* Why the feature recipe cannot change in this build (translated), or
 * NULL when the backbone is available. */
const char    *tz_application_get_recipe_locked_reason (void);
/* A new engine with the extractor above and a feature cache in
 * @cache_folder (NULL, or a folder that cannot be used, keeps it in memory
 * only, the latter with a warning), leaving one processor to the main
 * thread. The extractor is prepared in the engine's worker. */
TzEngine      *tz_application_create_engine    (const char    *cache_folder);
/* The application's engine, made on first use, caching features in the
 * user's cache folder. */
TzEngine      *tz_application_get_engine       (TzApplication *self);

G_END_DECLS
