/*
 * Nesting depth of a YAML text, found before libyaml sees it: libyaml's
 * scanner keeps a list of possible simple keys per flow level and walks it
 * for every token, so `x: [[[[...` 10^5 deep takes minutes.  Job files nest
 * a few levels; anything deeper than a small bound is refused with the
 * position where the bound is crossed.
 *
 * The scan counts flow brackets outside quoted scalars and comments, plus
 * the levels of block indentation and of "- " sequence entries, and skips
 * the content of block scalars (| and >).  It only bounds depth: syntax is
 * libyaml's to judge.
 */
#include "symsweep/job.h"

#include <string.h>

/* a quote opens a quoted scalar only where a scalar can start */
static int scalar_start(const char *text, size_t i, size_t line_start)
{
    char p;

    if (i == line_start)
        return 1;
    p = text[i - 1];
    return p == ' ' || p == '\t' || p == '[' || p == '{' || p == ',' || p == ':' || p == '-';
}

int sym_yaml_check_depth(const char *text, size_t len, const char *path, int max_depth)
{
    int indents[256], n_ind = 0, flow = 0, rc = 0;
    size_t i = 0, line = 1;
    long block_indent = -1; /* inside a block scalar: lines indented more than this */

    while (i < len) {
        size_t ls = i, col;
        long ind = 0;
        int dashes = 0;

        while (i < len && text[i] == ' ')
            i++, ind++;
        if (block_indent >= 0) {
            if (i >= len || text[i] == '\n' || text[i] == '\r' || ind > block_indent) {
                while (i < len && text[i] != '\n')
                    i++;
                i++, line++;
                continue;
            }
            block_indent = -1;
        }
        if (flow == 0 && i < len && text[i] != '\n' && text[i] != '#') {
            /* a block line: its level is the number of open indentations */
            while (n_ind > 0 && indents[n_ind - 1] >= ind)
                n_ind--;
            if (n_ind < (int)(sizeof(indents) / sizeof(*indents)))
                indents[n_ind++] = (int)ind;
            while (i + 1 < len && text[i] == '-' && (text[i + 1] == ' ' || text[i + 1] == '\n'))
                dashes++, i += 2;
        }
        for (; i < len && text[i] != '\n'; i++) {
            char ch = text[i];

            if (ch == '#' && (i == ls || text[i - 1] == ' ' || text[i - 1] == '\t')) {
                while (i < len && text[i] != '\n')
                    i++;
                break;
            }
            if ((ch == '"' || ch == '\'') && scalar_start(text, i, ls)) {
                /* skip the quoted scalar, which may span lines */
                for (i++; i < len && text[i] != ch; i++) {
                    if (ch == '"' && text[i] == '\\' && i + 1 < len)
                        i++;
                    else if (ch == '\'' && text[i] == '\'' && i + 1 < len && text[i + 1] == '\'')
                        i++;
                    if (i < len && text[i] == '\n')
                        line++, ls = i + 1;
                }
                continue;
            }
            if (ch == '[' || ch == '{')
                flow++;
            else if ((ch == ']' || ch == '}') && flow > 0)
                flow--;
            col = i - ls + 1;
            if (flow + n_ind + dashes > max_depth)
                SYM_FAIL(SYM_EJOB,
                         "%s:%zu:%zu: (file): expected nesting at most %d levels deep, found "
                         "deeper (a job file needs a few)",
                         path, line, col, max_depth);
            if ((ch == '|' || ch == '>') && flow == 0 && i > ls && text[i - 1] == ' ') {
                size_t k = i + 1;

                while (k < len && strchr("+-0123456789", text[k]))
                    k++;
                while (k < len && text[k] == ' ')
                    k++;
                if (k >= len || text[k] == '\n' || text[k] == '#')
                    block_indent = ind; /* the following more-indented lines are text */
            }
        }
        if (n_ind + dashes > max_depth)
            SYM_FAIL(SYM_EJOB,
                     "%s:%zu:1: (file): expected nesting at most %d levels deep, found deeper "
                     "(a job file needs a few)",
                     path, line, max_depth);
        i++, line++;
    }
cleanup:
    return rc;
}
