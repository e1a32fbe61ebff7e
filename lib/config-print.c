/* config-print.c: the effective configuration back to text, in the file's own syntax and with the
 * canonical spellings of config-value.c, and config_equal, by which print -> parse round trips are
 * checked (tests, fuzz target). */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <stdio.h>

#include "macro.h"

static void print_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char ch = (unsigned char) *s;
                switch (ch) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                default:
                        if (ch < 0x20 || ch == 0x7f)
                                fprintf(f, "\\x%02x", ch);
                        else
                                fputc(ch, f);
                }
        }
        fputc('"', f);
}

static void print_string_list(FILE *f, const char *key, char *const *l) {
        fprintf(f, "  %s = [", key);
        for (size_t i = 0; l && l[i]; i++) {
                fputs(i > 0 ? ", " : " ", f);
                print_string(f, l[i]);
        }
        fputs(" ];\n", f);
}

static bool percent_ok(double v) {
        return v >= 0.0 && v <= 100.0;
}

int config_print(const struct config *c, FILE *f) {
        char a[CONFIG_VALUE_STRING_MAX];

        if (!c || !f)
                return -EINVAL;
        /* Refuse what could not be read back rather than print something else. */
        if (!percent_ok(c->disk.high_watermark) || !percent_ok(c->disk.low_watermark) ||
            !percent_ok(c->disk.inode_high_watermark) || !percent_ok(c->disk.inode_low_watermark) ||
            !percent_ok(c->disk.critical_watermark) ||
            c->n_tiers > _CONFIG_TIER_MAX || !config_log_level_to_string(c->log_level))
                return -EINVAL;
        for (size_t i = 0; i < c->n_tiers; i++)
                if (!config_tier_type_to_string(c->tiers[i].type))
                        return -EINVAL;

        fputs("# The effective dockerclean configuration: the defaults, and what the file changed.\n", f);
        fputs("engine = {\n", f);
        if (c->engine_socket) {
                fputs("  socket = ", f);
                print_string(f, c->engine_socket);
                fputs(";\n", f);
        } else
                fputs("  # socket: not set; $DOCKER_HOST if set, else /var/run/docker.sock\n", f);
        if (c->engine_socket_owner)
                fprintf(f, "  socket_owner = \"%u\";\n", (unsigned) c->engine_socket_owner);
        else
                fputs("  # socket_owner: not set; the socket must be root's\n", f);
        fprintf(f, "  timeout = \"%s\";\n", config_format_duration(c->engine_timeout_sec, a));
        fputs("};\n", f);
        fprintf(f, "interval = \"%s\";\n", config_format_duration(c->interval_sec, a));
        fputs("state_dir = ", f);
        print_string(f, c->state_dir);
        fputs(";\n", f);
        fprintf(f, "dry_run = %s;\n", c->dry_run ? "true" : "false");
        fprintf(f, "log_level = \"%s\";\n", config_log_level_to_string(c->log_level));

        fputs("disk = {\n", f);
        fprintf(f, "  high_watermark = \"%s\";\n", config_format_percent(c->disk.high_watermark, a));
        fprintf(f, "  low_watermark = \"%s\";\n", config_format_percent(c->disk.low_watermark, a));
        fprintf(f, "  min_free = \"%s\";\n", config_format_size(c->disk.min_free, a));
        fprintf(f, "  target_free = \"%s\";\n", config_format_size(c->disk.target_free, a));
        fprintf(f, "  max_engine_bytes = \"%s\";\n", config_format_size(c->disk.max_engine_bytes, a));
        fprintf(f, "  target_engine_bytes = \"%s\";\n", config_format_size(c->disk.target_engine_bytes, a));
        fprintf(f, "  engine_usage_interval = \"%s\";\n", config_format_duration(c->disk.engine_usage_interval_sec, a));
        fprintf(f, "  inode_high_watermark = \"%s\";\n", config_format_percent(c->disk.inode_high_watermark, a));
        fprintf(f, "  inode_low_watermark = \"%s\";\n", config_format_percent(c->disk.inode_low_watermark, a));
        print_string_list(f, "paths", c->disk.paths);
        if (c->disk.critical_watermark > 0)
                fprintf(f, "  critical_watermark = \"%s\";\n", config_format_percent(c->disk.critical_watermark, a));
        else
                fputs("  critical_watermark = \"0\";\n", f);
        fprintf(f, "  critical_min_age = \"%s\";\n", config_format_duration(c->disk.critical_min_age_sec, a));
        fputs("};\n", f);

        fputs("tiers = (", f);
        for (size_t i = 0; i < c->n_tiers; i++) {
                const struct config_tier *t = &c->tiers[i];
                fprintf(f, "%s\n  { type = \"%s\"; min_age = \"%s\";", i > 0 ? "," : "", config_tier_type_to_string(t->type),
                        config_format_duration(t->min_age_sec, a));
                if (t->type == CONFIG_TIER_UNUSED_VOLUMES)
                        fprintf(f, " include_named = %s;", t->include_named ? "true" : "false");
                if (t->max_unused_age_sec > 0)
                        fprintf(f, " max_unused_age = \"%s\";", config_format_duration(t->max_unused_age_sec, a));
                fputs(" }", f);
        }
        fputs(c->n_tiers > 0 ? "\n);\n" : " );\n", f);

        fputs("protect = {\n", f);
        print_string_list(f, "labels", c->protect_labels);
        print_string_list(f, "images", c->protect_images);
        fprintf(f, "  newest_per_repository = %u;\n", c->protect_newest_per_repository);
        fputs("};\n", f);
        fprintf(f, "max_removals = %u;\n", c->max_removals);
        fputs("metrics_file = ", f);
        print_string(f, c->metrics_file ?: "");
        fputs(";\n", f);
        fputs("exhausted_command = [", f);
        for (size_t i = 0; c->exhausted_command && c->exhausted_command[i]; i++) {
                fputs(i > 0 ? ", " : " ", f);
                print_string(f, c->exhausted_command[i]);
        }
        fputs(" ];\n", f);
        fprintf(f, "exhausted_command_timeout = \"%s\";\n", config_format_duration(c->exhausted_command_timeout_sec, a));

        return ferror(f) ? -EIO : 0;
}

static bool str_equal(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

bool config_equal(const struct config *a, const struct config *b) {
        if (a == b)
                return true;
        if (!a || !b)
                return false;
        if (!str_equal(a->engine_socket, b->engine_socket) || a->engine_socket_owner != b->engine_socket_owner ||
            a->engine_timeout_sec != b->engine_timeout_sec ||
            a->interval_sec != b->interval_sec || !str_equal(a->state_dir, b->state_dir) || a->dry_run != b->dry_run ||
            a->log_level != b->log_level)
                return false;
        if (a->disk.high_watermark != b->disk.high_watermark || a->disk.low_watermark != b->disk.low_watermark ||
            a->disk.min_free != b->disk.min_free || a->disk.target_free != b->disk.target_free ||
            a->disk.max_engine_bytes != b->disk.max_engine_bytes || a->disk.target_engine_bytes != b->disk.target_engine_bytes ||
            a->disk.engine_usage_interval_sec != b->disk.engine_usage_interval_sec ||
            a->disk.inode_high_watermark != b->disk.inode_high_watermark ||
            a->disk.inode_low_watermark != b->disk.inode_low_watermark || !strv_equal(a->disk.paths, b->disk.paths))
                return false;
        if (a->disk.critical_watermark != b->disk.critical_watermark ||
            a->disk.critical_min_age_sec != b->disk.critical_min_age_sec ||
            a->protect_newest_per_repository != b->protect_newest_per_repository)
                return false;
        if (a->n_tiers != b->n_tiers)
                return false;
        for (size_t i = 0; i < a->n_tiers && i < _CONFIG_TIER_MAX; i++)
                if (a->tiers[i].type != b->tiers[i].type || a->tiers[i].min_age_sec != b->tiers[i].min_age_sec ||
                    a->tiers[i].include_named != b->tiers[i].include_named ||
                    a->tiers[i].max_unused_age_sec != b->tiers[i].max_unused_age_sec)
                        return false;
        /* NULL and empty mean the same: no protection, no metrics file. */
        return strv_equal(a->protect_labels, b->protect_labels) && strv_equal(a->protect_images, b->protect_images) &&
               a->max_removals == b->max_removals && strv_equal(a->exhausted_command, b->exhausted_command) &&
               a->exhausted_command_timeout_sec == b->exhausted_command_timeout_sec &&
               str_equal(a->metrics_file && *a->metrics_file ? a->metrics_file : NULL,
                         b->metrics_file && *b->metrics_file ? b->metrics_file : NULL);
}
