/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TZ_TYPE_PREFERENCES_WINDOW (tz_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (TzPreferencesWindow, tz_preferences_window, TZ, PREFERENCES_WINDOW, AdwPreferencesWindow)

/**
 * TzPreferencesWindow:
 *
 * The preferences, each row bound to a key of the application's GSettings
 * schema (io.github.tsuzuki.Tsuzuki). The feature recipe (network,
 * weights, device, layers, image size) is shown but cannot change when
 * @recipe_locked gives the reason (the build has no network backbone);
 * NULL leaves it free.
 */
GtkWidget *tz_preferences_window_new (GtkWindow  *parent,
                                      const char *recipe_locked);

G_END_DECLS
