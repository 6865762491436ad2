/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * TzSplit:
 * @TZ_SPLIT_TRAIN: the image teaches its class
 * @TZ_SPLIT_EVAL: the image is held out to measure accuracy
 */
typedef enum
{
  TZ_SPLIT_TRAIN,
  TZ_SPLIT_EVAL,
} TzSplit;

/**
 * TzImageEntry:
 * @path: where to read the image, in the GLib file name encoding: the
 *   scanned folder (or the list file's folder, for relative list lines)
 *   joined with the names found, so relative when the caller's was
 * @class_index: index into #TzImageListing.class_names
 * @split: training or evaluation
 */
typedef struct
{
  char    *path;
  guint    class_index;
  TzSplit  split;
} TzImageEntry;

/**
 * TzSkippedFile:
 * @path: the file or folder left out, in the GLib file name encoding
 * @reason: why, in English, e.g. "not an image (text/plain)",
 *   "empty file", "not inside a class folder", or the system's error text
 *   ("Permission denied")
 */
typedef struct
{
  char *path;
  char *reason;
} TzSkippedFile;

/**
 * TzImageListing:
 * @source: the folder or list file, as the caller gave it
 * @n_classes: number of classes, at least 1
 * @class_names: the class names, UTF-8, distinct, in natural order (see
 *   below), NULL-terminated; #TzImageEntry.class_index indexes them
 * @entries: #TzImageEntry, training images first, then evaluation images;
 *   within a split by class index, then by path in natural order
 * @skipped: #TzSkippedFile *, in the order found
 * @notes: char *, remarks for the summary about the layout itself (a
 *   folder that was not used, which evaluation folder was chosen)
 * @has_explicit_split: TRUE when the split came from train/ and test/
 *   folders or from the list file's third column; FALSE for the seeded
 *   split
 * @split_description: how the split was made, in English words, for
 *   the summary
 * @eval_fraction: the fraction asked for (used only for the seeded split)
 * @seed: the seed asked for (used only for the seeded split)
 *
 * The images of a data set and their classes, found but not decoded: the
 * caller decodes them (and may record decoding failures with
 * tz_image_listing_add_skipped()).
 *
 * Natural order: names are compared after Unicode case folding, runs of
 * ASCII digits by numeric value ("img2" before "img10"), everything else by
 * code point; ties fall back to the exact bytes. It depends on no locale,
 * so every machine sorts alike. Paths are compared one component at a
 * time, so a sub-folder's files sort where the sub-folder's name does.
 *
 * The seeded split, per class of n images: k = floor (n × eval_fraction
 * + 0.5) images go to evaluation, at least 1 when n ≥ 2 and
 * eval_fraction > 0, and never all n (so a class of one image keeps it for
 * training). They are the k images with the smallest key, where key is the
 * first 8 bytes, read big-endian, of the SHA-256 of the UTF-8 text
 * "SEED\nCLASS\nPATH": SEED in decimal, CLASS the class name, PATH the
 * image's path relative to its class folder with "/" between components
 * (for a list file, the path exactly as the line wrote it). In Python:
 *
 *     int.from_bytes (hashlib.sha256 (f"{seed}\n{cls}\n{path}".encode ()).digest ()[:8], "big")
 *
 * Ties (never seen in practice) go by natural order. Because an image's
 * key depends on nothing but its own name, the split is the same on every
 * machine and whatever the scanning order, and adding or removing one
 * image of a class moves at most one other image of that class between
 * training and evaluation (none when the added image lands in training
 * and k is unchanged); other classes never move. A per-image threshold
 * (key < eval_fraction × 2^64) would move none at all but could not give
 * each class its exact share, which small classes need.
 */
typedef struct
{
  char       *source;
  guint       n_classes;
  char      **class_names;
  GArray     *entries;
  GPtrArray  *skipped;
  GPtrArray  *notes;
  gboolean    has_explicit_split;
  char       *split_description;
  double      eval_fraction;
  guint64     seed;
} TzImageListing;

/* Lists the images under @folder, in one of two layouts:
 *
 * - FOLDER/CLASS/...: one sub-folder per class; the split is the seeded
 *   split described above with @eval_fraction and @seed.
 * - FOLDER/train/CLASS/... and FOLDER/test/CLASS/...: the split the folders
 *   give. "train" is matched case-insensitively; the evaluation side may be
 *   named test, eval, validation, valid or val (case-insensitively), and
 *   when several are present the first in that order is used and the
 *   others are mentioned in @notes. The classes are the union of both
 *   sides' sub-folders. Other folders at the top are mentioned in @notes.
 *
 * Sub-folders inside a class folder are scanned recursively and their
 * images belong to the class. Symbolic links are followed; a folder
 * reached a second time while scanning one class folder (a link loop) is
 * not entered again and is listed in @skipped. Hidden names (starting with
 * ".") and the junk files Thumbs.db, ehthumbs.db, desktop.ini and folders
 * __MACOSX are ignored silently. A file is kept when it is a non-empty
 * regular file whose first 4 KiB make g_content_type_guess() name an
 * image type (image/...); when the bytes alone are inconclusive the name
 * decides, and the name also decides when it names a more specific type of
 * what the bytes say (an SVG that sniffs as XML). Otherwise the file goes to @skipped with
 * its reason: "not inside a class folder" (loose files at the top, or
 * directly inside train/ or test/), "not a regular file", "empty file",
 * "not an image (TYPE)", "folder name is not valid UTF-8" (a class folder)
 * or the system's error text when it cannot be opened or read. A class
 * folder holding no image still defines its class; tz_image_listing_describe()
 * mentions it.
 *
 * Errors: G_FILE_ERROR naming @folder when it is missing, not a folder or
 * unreadable; TZ_ERROR_INVALID_ARGUMENT when @eval_fraction is not in
 * [0, 1), when @folder holds no class folder at all, or when two top-level
 * folders both claim to be the training (or the same evaluation) side,
 * such as "train" and "Train"; G_IO_ERROR_CANCELLED when @cancellable is
 * cancelled (checked before each file and folder). */
TzImageListing *tz_image_listing_scan_folder (const char    *folder,
                                              double         eval_fraction,
                                              guint64        seed,
                                              GCancellable  *cancellable,
                                              GError       **error);

/* Lists the images named by @list_file, a UTF-8 text file with one image
 * per line:
 *
 *     PATH<TAB>CLASS[<TAB>SPLIT]
 *
 * Spaces around each field are removed; a relative PATH is relative to the
 * folder holding @list_file; SPLIT is "train" or, for evaluation, "eval",
 * "test", "val", "valid" or "validation" (case-insensitively). Either every
 * line gives a SPLIT (the listing then has an explicit split) or none does
 * (the seeded split with @eval_fraction and @seed, keyed on PATH as
 * written). Blank lines and lines whose first non-space character is "#"
 * are ignored; a "#" elsewhere belongs to the path. Each named file is
 * checked as tz_image_listing_scan_folder() checks files, bad ones going
 * to @skipped with the same reasons, and a file named a second time is
 * skipped with "already listed on line N".
 *
 * Errors: G_FILE_ERROR when @list_file cannot be read, naming it;
 * TZ_ERROR_TOO_LARGE beyond 256 MiB; TZ_ERROR_CORRUPT naming the file and
 * the line number for a line that is not valid UTF-8, has fewer than two
 * or more than three fields, an empty path or class, or an unknown split,
 * and for a SPLIT given on some lines but not others;
 * TZ_ERROR_INVALID_ARGUMENT when @eval_fraction is not in [0, 1) or the
 * file lists no image at all; G_IO_ERROR_CANCELLED when @cancellable is
 * cancelled. */
TzImageListing *tz_image_listing_read_list   (const char    *list_file,
                                              double         eval_fraction,
                                              guint64        seed,
                                              GCancellable  *cancellable,
                                              GError       **error);

void            tz_image_listing_free        (TzImageListing *self);

/* Records a file the caller could not use (an image that failed to
 * decode), so that tz_image_listing_describe() reports it with the others.
 * It does not remove the file from @entries. */
void            tz_image_listing_add_skipped (TzImageListing *self,
                                              const char     *path,
                                              const char     *reason);

/* The number of entries of class @class_index on side @split. */
guint           tz_image_listing_count       (const TzImageListing *self,
                                              guint                 class_index,
                                              TzSplit               split);

/* A summary for people, in English, one item a line: first
 * "SOURCE: N images in C classes, T for training and E for evaluation
 * (HOW); S files skipped", then the @notes, then each class with no
 * images, no training images or no evaluation images, then the skipped
 * files grouped by reason (the groups in order of first appearance, at
 * most ten paths each, then a count of the rest). Ends with a newline. */
char           *tz_image_listing_describe    (const TzImageListing *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzImageListing, tz_image_listing_free)

G_END_DECLS
