/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "tz-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TzApplication) application = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *source;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* GSettings aborts on a missing schema; say what to do instead. */
  source = g_settings_schema_source_get_default ();
  if (source == NULL || (schema = g_settings_schema_source_lookup (source, APP_ID, TRUE)) == NULL)
    {
      g_printerr (_("tsuzuki: the settings schema %s is not installed: install Tsuzuki, or run it from "
                    "the build folder with GSETTINGS_SCHEMA_DIR=BUILD/data\n"), APP_ID);
      return 1;
    }

  application = tz_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
