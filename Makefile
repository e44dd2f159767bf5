# Tessera build. `make` builds the library and the CLI; `make run` and
# `make test` first install what is missing (scripts/setup.sh).
#
#   make                      build build/tessera and build/libtessera.a
#   make test                 setup, build, run every test (ends 'N passed, N failed')
#   make run                  setup, build, run the main job on a bundled example
#   make bench                benchmarks (bench/), peers side by side
#   make fuzz                 longer fuzzing runs of the loaders
#   make SANITIZE=address,undefined test   the same tests under sanitizers
#
# Sources are found by wildcard: a new file in src/LAYER/ is built without
# touching this file. Build outputs go to $(BUILD) (build/ or build-san/).

CC       ?= cc
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD    ?= build
OPT      ?= -O2
else
BUILD    ?= build-san
OPT      ?= -O1
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -pthread $(SANFLAGS)
CPPFLAGS += -Iinclude -Isrc -I$(BUILD)/gen -MMD -MP
LDFLAGS  += -pthread $(SANFLAGS)
LDLIBS   += -lprotobuf-c -lyaml -lpng -ljpeg -lm

ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN_C    := $(BUILD)/gen/onnx.pb-c.c
GEN_O    := $(BUILD)/gen/onnx.pb-c.o

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_O)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIB      := $(BUILD)/libtessera.a
CLI      := $(BUILD)/tessera

.PHONY: all setup run test check bench fuzz clean
all: $(CLI) $(TEST_BIN) $(BENCH_BIN)

$(GEN_C): $(ONNX_PROTO)
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(BUILD)/gen -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

# generated header must exist before any source that includes it compiles
$(LIB_OBJ) $(CLI_OBJ): | $(GEN_C)

$(GEN_O): $(GEN_C)
	$(CC) $(filter-out -Werror,$(CFLAGS)) $(CPPFLAGS) -w -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

setup:
	@scripts/setup.sh

run: setup
	@$(MAKE) --no-print-directory all
	@scripts/run-example.sh $(BUILD)

test: setup
	@$(MAKE) --no-print-directory all
	@scripts/run-tests.sh $(BUILD)

check: test

bench: setup
	@$(MAKE) --no-print-directory all
	@scripts/run-bench.sh $(BUILD)

fuzz: setup
	@scripts/run-fuzz.sh long

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
