/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-core"

#include "config.h"

#include "tz-error.h"

G_DEFINE_QUARK (tz-error-quark, tz_error)
