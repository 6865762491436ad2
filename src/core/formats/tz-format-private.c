/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tz-format-private.h"

char *
tz_format_display_name (const char *path)
{
  g_assert (path != NULL);

  return g_filename_display_name (path);
}

gboolean
tz_format_checked_size (guint          ndim,
                        const gint64  *shape,
                        gsize          item_size,
                        gsize         *n_elements,
                        gsize         *n_bytes)
{
  gsize count = 1;
  gboolean overflow = FALSE;

  g_assert (ndim == 0 || shape != NULL);

  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        return FALSE;
      /* A zero dimension makes the array empty whatever the others say,
       * but every dimension must still be representable. */
      if ((guint64) shape[i] > G_MAXSIZE)
        return FALSE;
      if (!overflow && !g_size_checked_mul (&count, count, (gsize) shape[i]))
        overflow = TRUE;
    }

  for (guint i = 0; i < ndim; i++)
    if (shape[i] == 0)
      {
        count = 0;
        overflow = FALSE;
      }

  if (overflow)
    return FALSE;

  if (n_elements != NULL)
    *n_elements = count;

  if (n_bytes != NULL)
    {
      if (!g_size_checked_mul (n_bytes, count, item_size))
        return FALSE;
    }
  else if (item_size != 0 && count > G_MAXSIZE / item_size)
    return FALSE;

  return TRUE;
}

gboolean
tz_format_json_depth_ok (const char *text,
                         gsize       length,
                         guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  g_assert (text != NULL || length == 0);

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

void
tz_format_swap_bytes (guint8 *data,
                      gsize   n_items,
                      gsize   item_size)
{
  g_assert (item_size == 1 || item_size == 2 || item_size == 4 || item_size == 8);

  switch (item_size)
    {
    case 2:
      for (gsize i = 0; i < n_items; i++)
        {
          guint16 v;

          memcpy (&v, data + i * 2, 2);
          v = GUINT16_SWAP_LE_BE (v);
          memcpy (data + i * 2, &v, 2);
        }
      break;

    case 4:
      for (gsize i = 0; i < n_items; i++)
        {
          guint32 v;

          memcpy (&v, data + i * 4, 4);
          v = GUINT32_SWAP_LE_BE (v);
          memcpy (data + i * 4, &v, 4);
        }
      break;

    case 8:
      for (gsize i = 0; i < n_items; i++)
        {
          guint64 v;

          memcpy (&v, data + i * 8, 8);
          v = GUINT64_SWAP_LE_BE (v);
          memcpy (data + i * 8, &v, 8);
        }
      break;

    default:
      break;
    }
}

struct _TzAtomicFile
{
  char *path;
  char *temp_path;
  char *display_name;
  int fd;
  gboolean committed;
};

TzAtomicFile *
tz_atomic_file_new (const char  *path,
                    GError     **error)
{
  g_autoptr(TzAtomicFile) self = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *base = NULL;
  g_autofree char *temp_name = NULL;
  int saved_errno;

  g_assert (path != NULL);

  self = g_new0 (TzAtomicFile, 1);
  self->path = g_strdup (path);
  self->display_name = tz_format_display_name (path);
  /* Hidden and in the same folder: the rename must not cross file
   * systems, and a crash should not leave visible debris. */
  folder = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  temp_name = g_strdup_printf (".%s.XXXXXX", base);
  self->temp_path = g_build_filename (folder, temp_name, NULL);
  /* 0666 so that the umask decides, as for any newly created file. */
  self->fd = g_mkstemp_full (self->temp_path, O_RDWR | O_CLOEXEC, 0666);
  saved_errno = errno;

  if (self->fd < 0)
    {
      g_clear_pointer (&self->temp_path, g_free);
      g_set_error (error,
                   G_FILE_ERROR,
                   g_file_error_from_errno (saved_errno),
                   "%s: cannot create a temporary file next to it: %s",
                   self->display_name,
                   g_strerror (saved_errno));
      return NULL;
    }

  return g_steal_pointer (&self);
}

const char *
tz_atomic_file_get_temp_path (TzAtomicFile *self)
{
  g_assert (self != NULL);

  return self->temp_path;
}

void
tz_atomic_file_release_fd (TzAtomicFile *self)
{
  g_assert (self != NULL);

  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
}

static gboolean
set_errno_error (TzAtomicFile  *self,
                 int            saved_errno,
                 const char    *what,
                 GError       **error)
{
  g_set_error (error,
               G_FILE_ERROR,
               g_file_error_from_errno (saved_errno),
               "%s: %s: %s",
               self->display_name,
               what,
               g_strerror (saved_errno));
  return FALSE;
}

gboolean
tz_atomic_file_write (TzAtomicFile  *self,
                      const void    *data,
                      gsize          size,
                      GError       **error)
{
  const guint8 *p = data;

  g_assert (self != NULL);
  g_assert (self->fd >= 0);
  g_assert (data != NULL || size == 0);

  while (size > 0)
    {
      gssize n = write (self->fd, p, MIN (size, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_errno_error (self, errno, "write failed", error);
        }

      p += n;
      size -= (gsize) n;
    }

  return TRUE;
}

static void
sync_parent_folder (const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* Best effort: some file systems refuse fsync on a folder, and the data
   * itself is already safe by then. */
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

gboolean
tz_atomic_file_commit (TzAtomicFile  *self,
                       GError       **error)
{
  g_assert (self != NULL);
  g_assert (!self->committed);

  if (self->fd < 0)
    {
      self->fd = open (self->temp_path, O_RDONLY | O_CLOEXEC);
      if (self->fd < 0)
        return set_errno_error (self, errno, "cannot reopen the temporary file", error);
    }

  if (fsync (self->fd) != 0)
    return set_errno_error (self, errno, "fsync failed", error);

  if (close (self->fd) != 0)
    {
      self->fd = -1;
      return set_errno_error (self, errno, "close failed", error);
    }
  self->fd = -1;

  if (g_rename (self->temp_path, self->path) != 0)
    return set_errno_error (self, errno, "cannot rename the temporary file over it", error);

  self->committed = TRUE;
  sync_parent_folder (self->path);

  return TRUE;
}

void
tz_atomic_file_free (TzAtomicFile *self)
{
  if (self == NULL)
    return;

  if (self->fd >= 0)
    close (self->fd);

  if (!self->committed && self->temp_path != NULL)
    g_unlink (self->temp_path);

  g_free (self->path);
  g_free (self->temp_path);
  g_free (self->display_name);
  g_free (self);
}
