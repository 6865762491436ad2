/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tz-cli-protocol.h"
#ifdef TZ_HAVE_BACKBONE
#include "tz-cli-extract.h"
#endif

typedef struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Verb;

static const Verb verbs[] = {
  { "protocol", tz_cli_protocol, N_("Run the class-incremental protocol on a feature file") },
  { "demo", tz_cli_demo, N_("Replay the blog post's experiment on Fashion-MNIST") },
#ifdef TZ_HAVE_BACKBONE
  { "extract", tz_cli_extract, N_("Turn an image folder into a feature file with EfficientNet") },
#endif
};

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n\n", _("Usage: tsuzuki-cli COMMAND [OPTION…]"));
  fprintf (stream, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (stream, "  %-10s %s\n", verbs[i].name, _(verbs[i].summary));
  fprintf (stream, "\n%s\n", _("Run “tsuzuki-cli COMMAND --help” for a command's options."));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("tsuzuki-cli");

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("tsuzuki-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (strcmp (argv[1], verbs[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("tsuzuki-cli %s", verbs[i].name);

        g_set_prgname (prgname);
        /* The verb sees itself as argv[0]. */
        return verbs[i].run (argc - 1, argv + 1);
      }

  fprintf (stderr, _("tsuzuki-cli: unknown command “%s”\n\n"), argv[1]);
  print_usage (stderr);
  return 2;
}
