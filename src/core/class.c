#include "repopool/class.h"

static const struct {
    const char *name;
    bool transient;
} class_table[] = {
#define RP_CLASS_ROW(id, name, transient) {name, transient},
    RP_CLASS_LIST(RP_CLASS_ROW)
#undef RP_CLASS_ROW
};

const char *rp_class_name(enum rp_class c)
{
    return (unsigned)c < RP_CLASS_COUNT ? class_table[c].name : "internal";
}

bool rp_class_is_transient(enum rp_class c)
{
    return (unsigned)c < RP_CLASS_COUNT && class_table[c].transient;
}
