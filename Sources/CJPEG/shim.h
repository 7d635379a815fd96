// libjpeg-turbo's libjpeg API (Debian: libjpeg62-turbo-dev), for decoding JPEG images.
//
// libjpeg reports errors by calling error_exit, which must not return; its examples longjmp out
// of it, which Swift cannot do. These two small C functions hold the setjmp, so Swift sees plain
// calls that return an error message instead.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

struct nabla_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void nabla_jpeg_error_exit(j_common_ptr info) {
    struct nabla_jpeg_error *error = (struct nabla_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

static void nabla_jpeg_silent(j_common_ptr info, int level) { (void)info; (void)level; }

/// Decodes a JPEG in memory to 8-bit grey (1 channel) or RGB (3 channels), whichever is closer to
/// the file's colour space, into a malloc'ed buffer the caller frees. Returns 0 on success, else 1
/// with libjpeg's message in `message` (JMSG_LENGTH_MAX bytes).
static inline int nabla_jpeg_decode(const unsigned char *data, unsigned long size, unsigned char **pixels,
                                    int *width, int *height, int *channels, char *message) {
    struct jpeg_decompress_struct info;
    struct nabla_jpeg_error error;
    unsigned char *volatile out = NULL;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = nabla_jpeg_error_exit;
    error.manager.emit_message = nabla_jpeg_silent;
    error.message[0] = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(out);
        strncpy(message, error.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t row = (size_t)info.output_width * info.output_components;
    out = malloc(row * info.output_height);
    if (!out) { strcpy(error.message, "out of memory"); longjmp(error.jump, 1); }
    while (info.output_scanline < info.output_height) {
        JSAMPROW line = out + row * info.output_scanline;
        jpeg_read_scanlines(&info, &line, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    *channels = info.output_components;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    *pixels = out;
    return 0;
}

/// Encodes 8-bit grey or RGB pixels as a baseline JPEG of `quality` (1–100) into a malloc'ed
/// buffer the caller frees. Returns 0 on success, else 1 with libjpeg's message.
static inline int nabla_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                                    unsigned char **jpeg, unsigned long *size, char *message) {
    struct jpeg_compress_struct info;
    struct nabla_jpeg_error error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = nabla_jpeg_error_exit;
    error.manager.emit_message = nabla_jpeg_silent;
    *jpeg = NULL;
    *size = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        strncpy(message, error.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        return 1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, jpeg, size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW line = (JSAMPROW)(pixels + (size_t)info.next_scanline * width * channels);
        jpeg_write_scanlines(&info, &line, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 0;
}
