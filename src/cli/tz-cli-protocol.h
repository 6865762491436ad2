/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `tsuzuki-cli protocol`: the incremental protocol over a feature file. */
int tz_cli_protocol (int    argc,
                     char **argv);
/* `tsuzuki-cli demo`: the same protocol on Fashion-MNIST from Debian's
 * dataset-fashion-mnist package. */
int tz_cli_demo     (int    argc,
                     char **argv);

G_END_DECLS
