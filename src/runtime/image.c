/* image.c: PNG (libpng) and JPEG (libjpeg) to a float32 input tensor, with
 * the preprocessing documented at tessera_image_read in include/tessera.h.
 * Decoders report errors through longjmp; everything allocated before the
 * jump is owned by a struct the error path frees. */
#include "tessera.h"
#include "runtime/runtime.h"

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>

#define IMG_MAX_SIDE 32768   /* refuses absurd headers before allocating */

typedef struct { int h, w; uint8_t *rgb; } img_rgb;   /* h x w x 3 */

static ts_status img_alloc(const char *path, int h, int w, img_rgb *im) {
    if (h <= 0 || w <= 0 || h > IMG_MAX_SIDE || w > IMG_MAX_SIDE)
        return ts_error(TS_ERR_PARSE, "%s: image size %dx%d out of range", path, w, h);
    im->h = h; im->w = w;
    im->rgb = ts_malloc((size_t)h * (size_t)w * 3);
    return im->rgb ? TS_OK : TS_ERR_NOMEM;
}

/* ---- PNG ----------------------------------------------------------------------- */

typedef struct { const char *path; char msg[200]; } img_png_err;

static void img_png_error(png_structp png, png_const_charp msg) {
    img_png_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void img_png_warn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static ts_status img_read_png(const char *path, FILE *f, img_rgb *im) {
    img_png_err err = {path, ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, img_png_error, img_png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t **volatile rows = NULL;
    ts_status st = TS_OK;
    if (!info) { st = ts_error(TS_ERR_NOMEM, "%s: libpng init failed", path); goto done; }
    if (setjmp(png_jmpbuf(png))) {
        st = ts_error(TS_ERR_PARSE, "%s: bad PNG: %s", path, err.msg);
        goto done;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    /* whatever the file holds, ask libpng for 8-bit RGB */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)png_get_image_width(png, info) * 3) {
        st = ts_error(TS_ERR_UNSUPPORTED, "%s: PNG pixel format not convertible to RGB", path);
        goto done;
    }
    st = img_alloc(path, (int)png_get_image_height(png, info), (int)png_get_image_width(png, info), im);
    if (st) goto done;
    rows = ts_malloc((size_t)im->h * sizeof *rows);
    if (!rows) { st = TS_ERR_NOMEM; goto done; }
    for (int y = 0; y < im->h; y++) rows[y] = im->rgb + (size_t)y * (size_t)im->w * 3;
    png_read_image(png, rows);
done:
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    ts_free(rows);
    return st;
}

/* ---- JPEG ---------------------------------------------------------------------- */

typedef struct { struct jpeg_error_mgr pub; jmp_buf jb; } img_jpeg_err;

static void img_jpeg_exit(j_common_ptr c) { longjmp(((img_jpeg_err *)c->err)->jb, 1); }

static ts_status img_read_jpeg(const char *path, FILE *f, img_rgb *im) {
    struct jpeg_decompress_struct c;
    img_jpeg_err err;
    c.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = img_jpeg_exit;
    if (setjmp(err.jb)) {
        char msg[JMSG_LENGTH_MAX];
        err.pub.format_message((j_common_ptr)&c, msg);
        jpeg_destroy_decompress(&c);
        return ts_error(TS_ERR_PARSE, "%s: bad JPEG: %s", path, msg);
    }
    jpeg_create_decompress(&c);
    jpeg_stdio_src(&c, f);
    jpeg_read_header(&c, TRUE);
    c.out_color_space = JCS_RGB;   /* libjpeg converts grayscale and YCbCr */
    jpeg_start_decompress(&c);
    ts_status st = c.output_components == 3
                       ? img_alloc(path, (int)c.output_height, (int)c.output_width, im)
                       : ts_error(TS_ERR_UNSUPPORTED, "%s: JPEG with %d components", path,
                                  c.output_components);
    while (!st && c.output_scanline < c.output_height) {
        JSAMPROW row = im->rgb + (size_t)c.output_scanline * (size_t)im->w * 3;
        jpeg_read_scanlines(&c, &row, 1);
    }
    if (!st) jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return st;
}

/* ---- preprocessing ------------------------------------------------------------- */

/* Bilinear sample of channel ch at output pixel (y, x), half-pixel centers. */
static float img_sample(const img_rgb *im, int oh, int ow, int y, int x, int ch) {
    float sy = ((float)y + 0.5f) * (float)im->h / (float)oh - 0.5f;
    float sx = ((float)x + 0.5f) * (float)im->w / (float)ow - 0.5f;
    sy = TS_MAX(sy, 0.0f); sx = TS_MAX(sx, 0.0f);
    int y0 = TS_MIN((int)sy, im->h - 1), x0 = TS_MIN((int)sx, im->w - 1);
    int y1 = TS_MIN(y0 + 1, im->h - 1), x1 = TS_MIN(x0 + 1, im->w - 1);
    float fy = sy - (float)y0, fx = sx - (float)x0;
#define PX(yy, xx) ((float)im->rgb[((size_t)(yy) * (size_t)im->w + (size_t)(xx)) * 3 + (size_t)ch])
    float top = PX(y0, x0) + (PX(y0, x1) - PX(y0, x0)) * fx;
    float bot = PX(y1, x0) + (PX(y1, x1) - PX(y1, x0)) * fx;
#undef PX
    return top + (bot - top) * fy;
}

static ts_tensor *img_to_tensor(const img_rgb *im, const tessera_image_options *o) {
    int oh = o->height > 0 && o->width > 0 ? o->height : im->h;
    int ow = o->height > 0 && o->width > 0 ? o->width : im->w;
    int64_t dims[4] = {1, 3, oh, ow};
    if (o->nhwc) { dims[1] = oh; dims[2] = ow; dims[3] = 3; }
    ts_tensor *t = ts_tensor_new(TS_F32, 4, dims);
    if (!t) return NULL;
    float *p = t->data;
    for (int c = 0; c < 3; c++) {
        float sd = o->std[c] != 0 ? o->std[c] : 1.0f;
        int dst_c = o->bgr ? 2 - c : c;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                float v = (oh == im->h && ow == im->w)
                              ? (float)im->rgb[((size_t)y * (size_t)im->w + (size_t)x) * 3 + (size_t)c]
                              : img_sample(im, oh, ow, y, x, c);
                v = (v / 255.0f - o->mean[c]) / sd;
                size_t i = o->nhwc ? ((size_t)y * (size_t)ow + (size_t)x) * 3 + (size_t)dst_c
                                   : ((size_t)dst_c * (size_t)oh + (size_t)y) * (size_t)ow + (size_t)x;
                p[i] = v;
            }
    }
    return t;
}

tessera_status tessera_image_read(const char *path, const tessera_image_options *opt,
                                  tessera_tensor **out) {
    if (!path || !out) return (tessera_status)ts_error(TS_ERR_INVALID, "image: NULL argument");
    *out = NULL;
    tessera_image_options none = {0};
    const tessera_image_options *o = opt ? opt : &none;
    if (o->height < 0 || o->width < 0 || o->height > IMG_MAX_SIDE || o->width > IMG_MAX_SIDE)
        return (tessera_status)ts_error(TS_ERR_INVALID, "%s: resize to %dx%d out of range",
                                        path, o->height, o->width);
    FILE *f = ts_open_regular(path);
    if (!f) return (tessera_status)TS_ERR_IO;
    uint8_t magic[8] = {0};
    size_t n = fread(magic, 1, sizeof magic, f);
    rewind(f);
    img_rgb im = {0};
    ts_status st;
    if (n == 8 && !png_sig_cmp(magic, 0, 8)) st = img_read_png(path, f, &im);
    else if (n >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) st = img_read_jpeg(path, f, &im);
    else st = ts_error(TS_ERR_PARSE, "%s: neither a PNG nor a JPEG file", path);
    fclose(f);
    if (!st) {
        ts_tensor *t = img_to_tensor(&im, o);
        if (!t) st = TS_ERR_NOMEM;
        *out = (tessera_tensor *)t;
    }
    ts_free(im.rgb);
    return (tessera_status)st;
}
