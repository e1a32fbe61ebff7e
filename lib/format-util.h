/* format-util.h: how byte counts are said, one formatter for the daemon's messages and lib's texts. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Binary units, one decimal above a KiB ("512 B", "1.5 KiB", "12.0 GiB"), into buf (n bytes). */
void format_bytes(uint64_t b, char *buf, size_t n);
