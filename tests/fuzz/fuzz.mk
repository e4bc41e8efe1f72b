# libFuzzer targets (tests/fuzz/), included from the Makefile.
#   make fuzz                      build every target with clang into build-fuzz/
#   make fuzz-smoke [FUZZ_SECONDS=60]  regressions, then each target FUZZ_SECONDS on its seeds
# Library objects: -fsanitize=fuzzer-no-link,address,undefined; targets linked
# with -fsanitize=fuzzer,address,undefined.  Never part of 'all' or 'check'.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FB           := build-fuzz
FUZZ_NAMES   := msg sk engine state keytable capture
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FB)/fuzz_%)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -Werror -g -O1 \
                -MMD -MP -DRKMP_VERSION='"$(VERSION)"' -DRKMP_FUZZ_DATA='"$(CURDIR)/testdata/fuzz"' \
                -Ilib -Itests/fuzz $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FB)/%.o)

fuzz: $(FUZZ_BINS)

$(FB)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/librkmp.a: $(FUZZ_LIB_OBJ) $(FB)/lib-objs
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $(FUZZ_LIB_OBJ)
$(FB)/lib-objs: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(FUZZ_LIB_OBJ)" ] || echo "$(FUZZ_LIB_OBJ)" >$@

$(FB)/fuzz_%: $(FB)/tests/fuzz/fuzz_%.o $(FB)/tests/fuzz/fuzz_common.o $(FB)/librkmp.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-smoke: fuzz
	tests/fuzz/smoke.sh $(FB) $(FUZZ_SECONDS) $(FUZZ_NAMES)

clean-fuzz:
	rm -rf $(FB) tests/fuzz/corpus

clean: clean-fuzz

.PHONY: fuzz fuzz-smoke clean-fuzz
-include $(shell find $(FB) -name '*.d' 2>/dev/null)
