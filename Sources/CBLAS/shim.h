// OpenBLAS's C interface. The include goes through this shim because a module map's
// `header "cblas.h"` would resolve next to the module map, not in the system's include path.
#include <cblas.h>
