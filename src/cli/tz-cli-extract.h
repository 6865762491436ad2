/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `tsuzuki-cli extract --data DIR -o FILE`: images to features with the
 * EfficientNet backbone, written as train_x, train_y, test_x, test_y and
 * class_names (.npz or .safetensors), ready for `protocol --features`.
 * DIR holds one sub-folder per class, or train/ and test/ each holding
 * such sub-folders. Returns the process exit status: 0 on success, 1 when
 * the work failed (the message names the file and the reason), 2 for a
 * usage error. */
int tz_cli_extract (int    argc,
                    char **argv);

G_END_DECLS
