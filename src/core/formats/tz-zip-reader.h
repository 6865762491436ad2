/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Read-only access to a zip archive through libzip. Used for numpy .npz
 * files, PyTorch zip checkpoints and (later) project files. Every error
 * message names the archive and, where there is one, the member. */
typedef struct _TzZipReader TzZipReader;

/* G_FILE_ERROR / G_IO_ERROR when the file cannot be read, TZ_ERROR_CORRUPT
 * when it is not a zip archive (an empty file included), is truncated, or
 * its local headers contradict its central directory. Every message starts
 * with the archive's name. The file is memory-mapped while the reader
 * lives. */
TzZipReader *tz_zip_reader_open            (const char   *path,
                                            GError      **error);
/* @display_name is used in messages only. */
TzZipReader *tz_zip_reader_open_bytes      (GBytes       *bytes,
                                            const char   *display_name,
                                            GError      **error);
void         tz_zip_reader_free            (TzZipReader  *self);

const char  *tz_zip_reader_get_display_name (TzZipReader *self);
guint        tz_zip_reader_get_n_entries   (TzZipReader  *self);
/* Entry names in archive order; NULL past the end. */
const char  *tz_zip_reader_get_entry_name  (TzZipReader  *self,
                                            guint         index);
gboolean     tz_zip_reader_has_entry       (TzZipReader  *self,
                                            const char   *name);
/* The uncompressed size the archive claims, or -1 if @name is absent. */
gint64       tz_zip_reader_get_entry_size  (TzZipReader  *self,
                                            const char   *name);
/* Reads and decompresses a whole member (stored or deflated). Refuses
 * (TZ_ERROR_TOO_LARGE) a member whose declared size exceeds @max_size,
 * before reading anything, or that does not fit in memory;
 * G_IO_ERROR_NOT_FOUND for a missing one; TZ_ERROR_CORRUPT for a CRC or
 * decompression failure or a member that yields fewer or more bytes than
 * it declares; TZ_ERROR_UNSUPPORTED for encryption or a compression method
 * libzip lacks. With duplicate names, the first entry is read. */
GBytes      *tz_zip_reader_read_entry      (TzZipReader  *self,
                                            const char   *name,
                                            gsize         max_size,
                                            GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzZipReader, tz_zip_reader_free)

G_END_DECLS
