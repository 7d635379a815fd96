// libpng (Debian: libpng-dev), for decoding PNG images through its simplified API
// (png_image_*), which reports errors in the png_image instead of jumping out of the caller.
#include <png.h>
