/*
 * tessera.h: the public C API of Tessera's runtime.
 *
 * Open a device, load a model, create a session, bind named input tensors,
 * run, read named outputs and a per-op timing report:
 *
 *   tessera_device *dev;  tessera_model *m;  tessera_session *s;
 *   if (tessera_device_open("cpu", NULL, &dev) ||
 *       tessera_model_load("net.onnx", &m) ||
 *       tessera_session_create(dev, m, NULL, &s)) {
 *       fprintf(stderr, "%s\n", tessera_last_error()); ...
 *   }
 *   tessera_tensor *x = tessera_tensor_new(TESSERA_F32, 4, (int64_t[]){1, 3, 224, 224}, pixels);
 *   tessera_session_set_input(s, "input", x);      // copies; x may be freed
 *   tessera_session_run(s);
 *   const tessera_tensor *y;
 *   tessera_session_get_output(s, "output", &y);   // owned by s, valid until the next run
 *   float *probs = tessera_tensor_data(y);
 *   tessera_session_free(s); tessera_model_free(m); tessera_device_close(dev);
 *
 * Every call that can fail returns a tessera_status (0 = TESSERA_OK) and
 * leaves a message naming the cause (file, input, node, flag) in
 * tessera_last_error(), one per thread. Objects are not thread-safe: a
 * device and its sessions belong to one thread at a time (the device's worker
 * threads run one node at a time); open one device per application thread.
 *
 * Devices: "cpu" (host kernels, the reference; option threads). Other
 * devices (the NPU simulator, "npu-256t" etc.) plug in behind the same calls.
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Same values as the library's internal status codes. */
typedef enum tessera_status {
    TESSERA_OK = 0,
    TESSERA_ERR_IO,          /* a file could not be read or written */
    TESSERA_ERR_PARSE,       /* malformed model or tensor file */
    TESSERA_ERR_INVALID,     /* wrong argument: unknown name, bad dtype or shape */
    TESSERA_ERR_UNSUPPORTED, /* valid but not implemented (op, dtype, device) */
    TESSERA_ERR_NOMEM,
    TESSERA_ERR_RANGE,
    TESSERA_ERR_DEADLOCK,
    TESSERA_ERR_INTERNAL
} tessera_status;

/* Element types, numbered as ONNX's TensorProto.DataType. */
typedef enum tessera_dtype {
    TESSERA_F32 = 1, TESSERA_U8 = 2, TESSERA_I8 = 3, TESSERA_U16 = 4, TESSERA_I16 = 5,
    TESSERA_I32 = 6, TESSERA_I64 = 7, TESSERA_BOOL = 9, TESSERA_F16 = 10,
    TESSERA_F64 = 11, TESSERA_U32 = 12, TESSERA_U64 = 13, TESSERA_BF16 = 16
} tessera_dtype;

#define TESSERA_MAX_RANK 8

const char *tessera_last_error(void);
const char *tessera_status_str(tessera_status st);

/* ---- tensors ---------------------------------------------------------------- */

typedef struct tessera_tensor tessera_tensor;

/* A new dense row-major tensor; data (may be NULL: zeros) is copied. */
tessera_tensor *tessera_tensor_new(tessera_dtype dtype, int rank, const int64_t *dims,
                                   const void *data);
void            tessera_tensor_free(tessera_tensor *t);
tessera_dtype   tessera_tensor_dtype(const tessera_tensor *t);
int             tessera_tensor_rank(const tessera_tensor *t);
const int64_t  *tessera_tensor_dims(const tessera_tensor *t);
int64_t         tessera_tensor_numel(const tessera_tensor *t);
void           *tessera_tensor_data(const tessera_tensor *t);
/* Element i (row-major) of any numeric dtype, as a double. */
double          tessera_tensor_get(const tessera_tensor *t, int64_t i);
/* Reads .npy, or an ONNX TensorProto (.pb). Errors name the file. */
tessera_status  tessera_tensor_read(const char *path, tessera_tensor **out);
/* Writes .npy atomically (temp file + rename). */
tessera_status  tessera_tensor_write_npy(const char *path, const tessera_tensor *t);

/* Images (PNG, JPEG) to a float32 tensor of shape [1,C,H,W] (nchw) or
 * [1,H,W,C] (nhwc), C = 3. Steps, in order: decode to 8-bit RGB; resize
 * (bilinear, half-pixel centers) to height x width when both > 0; scale to
 * [0,1] (x / 255); x = (x - mean[c]) / std[c] with c in RGB order; reorder
 * channels to BGR if asked; lay out. Zero-initialized options mean: no
 * resize, mean 0, std 1, RGB, NCHW. */
typedef struct tessera_image_options {
    int   height, width;
    float mean[3], std[3];   /* std 0 reads as 1 */
    bool  bgr;
    bool  nhwc;
} tessera_image_options;
tessera_status tessera_image_read(const char *path, const tessera_image_options *opt,
                                  tessera_tensor **out);

/* ---- devices ------------------------------------------------------------------ */

typedef struct tessera_device tessera_device;

typedef struct tessera_device_options {
    int threads;             /* worker threads; <= 0: all online cores */
} tessera_device_options;

/* name: "cpu". opt may be NULL (defaults). */
tessera_status tessera_device_open(const char *name, const tessera_device_options *opt,
                                   tessera_device **out);
void           tessera_device_close(tessera_device *d);
const char    *tessera_device_name(const tessera_device *d);
int            tessera_device_threads(const tessera_device *d);

/* ---- models ------------------------------------------------------------------- */

typedef struct tessera_model tessera_model;

/* Loads an ONNX model (.onnx). Errors name the file and the field at fault. */
tessera_status tessera_model_load(const char *path, tessera_model **out);
void           tessera_model_free(tessera_model *m);
int            tessera_model_num_inputs(const tessera_model *m);
int            tessera_model_num_outputs(const tessera_model *m);
const char    *tessera_model_input_name(const tessera_model *m, int i);   /* NULL if out of range */
const char    *tessera_model_output_name(const tessera_model *m, int i);
/* Input i's declared dtype (0 if undeclared) and shape: returns the rank
 * (-1 unknown) and fills dims, -1 for unknown or symbolic dims. */
int            tessera_model_input_info(const tessera_model *m, int i, tessera_dtype *dtype,
                                        int64_t dims[TESSERA_MAX_RANK]);

/* ---- sessions ----------------------------------------------------------------- */

typedef struct tessera_session tessera_session;

typedef struct tessera_session_options {
    const char *dump_ir;     /* dump the IR after this pass ("all", a pass name) or NULL */
    void       *dump_to;     /* FILE * for dumps; NULL: stderr */
    bool        any_shape;   /* accept inputs whose shape differs from the declared
                                one (dtype still checked); the run uses the real shapes */
} tessera_session_options;

/* Prepares the model for the device: checks every op is supported (one
 * message lists every unsupported op type with its node names), runs the
 * graph passes, plans buffer lifetimes. The model must outlive the session. */
tessera_status tessera_session_create(tessera_device *d, tessera_model *m,
                                      const tessera_session_options *opt,
                                      tessera_session **out);
void           tessera_session_free(tessera_session *s);
/* Copies t as the input `name`. Checks dtype, rank and fixed dims against the
 * model; symbolic dims ("batch") must agree across inputs. */
tessera_status tessera_session_set_input(tessera_session *s, const char *name,
                                         const tessera_tensor *t);
/* Runs with the inputs set; fails naming any input not set. */
tessera_status tessera_session_run(tessera_session *s);
/* The output `name` of the last run, owned by the session. */
tessera_status tessera_session_get_output(tessera_session *s, const char *name,
                                          const tessera_tensor **out);

/* Timing of the last run: total seconds, and per op type (sorted by time,
 * largest first) the number of nodes run and their seconds. */
typedef struct tessera_op_time {
    const char *op_type;
    int         count;
    double      seconds;
} tessera_op_time;
double tessera_session_last_seconds(const tessera_session *s);
int    tessera_session_op_times(const tessera_session *s, const tessera_op_time **times);
/* The same run per node (after the graph passes), slowest first. */
typedef struct tessera_node_time {
    const char *name, *op_type;
    double      seconds;
} tessera_node_time;
int    tessera_session_node_times(const tessera_session *s, const tessera_node_time **times);

#ifdef __cplusplus
}
#endif
#endif
