# rkmp — Router Key Management Protocol toolkit
# make            build into build/ (binaries in build/bin/)
# make SANITIZE=1 the same with ASan+UBSan into build-asan/
# make check      unit tests + bats suites;  make demo;  make bench;  make install
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKG_CONFIG  ?= pkg-config
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS := libcrypto jansson libpcap
ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
ifneq ($(shell $(PKG_CONFIG) --atleast-version=3.0 libcrypto && $(PKG_CONFIG) --exists jansson libpcap && echo ok),ok)
$(error missing build dependencies (OpenSSL 3, jansson, libpcap dev packages): run 'make deps' or 'tests/install-deps.sh')
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS))
endif

CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough -Wsign-compare
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP \
           -DRKMP_VERSION='"$(VERSION)"' -Ilib $(PKG_CFLAGS)
override LDFLAGS += -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
B := build-asan
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
else
B := build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CMDS     := $(patsubst cmd/%.c,%,$(wildcard cmd/rkmp-*.c))
CMD_COMMON := $(patsubst %.c,$(B)/%.o,$(filter-out cmd/rkmp-%.c,$(wildcard cmd/*.c)))
BINS     := $(CMDS:%=$(B)/bin/%)
UNIT_SRC := $(filter-out tests/unit/test_helper.c,$(wildcard tests/unit/test_*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/%.o) $(B)/tests/unit/test_helper.o
BENCH_SRC:= $(wildcard tests/bench/*.c)

all: $(BINS) $(B)/bin/unit-tests

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/librkmp.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(B)/bin/%: $(B)/cmd/%.o $(CMD_COMMON) $(B)/librkmp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_COMMON) $(B)/librkmp.a $(PKG_LIBS)

$(B)/bin/unit-tests: $(UNIT_OBJ) $(B)/librkmp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(B)/librkmp.a $(PKG_LIBS)

$(B)/bin/rkmp-bench: $(B)/tests/bench/bench_ike.o $(B)/librkmp.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/librkmp.a $(PKG_LIBS)

# ------------------------------------------------------------------ tests
deps:
	tests/install-deps.sh

unit: $(B)/bin/unit-tests
	cd tests/unit && ../../$(B)/bin/unit-tests

bats: $(BINS)
	RKMP_BIN=$(CURDIR)/$(B)/bin bats tests/bats

check:
	tests/install-deps.sh --test
	$(MAKE) all
	tests/run-checks.sh $(B)

demo:
	tests/install-deps.sh
	$(MAKE) all
	tests/demo.sh $(B)/bin

bench: all $(B)/bin/rkmp-bench
	tests/bench/bench.sh $(B)/bin
	tests/bench/keytable.sh $(B)/bin

lint:
	mandoc -Tlint -W warning man/*.[17]
	shellcheck -s bash completions/rkmp.bash tests/*.sh tests/bench/*.sh tests/interop/*.sh

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/rkmp.7 $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	for c in $(CMDS); do install -m 0644 completions/rkmp.bash $(DESTDIR)$(BASHCOMPDIR)/$$c; done

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1 $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	rm -f $(DESTDIR)$(MANDIR)/man7/rkmp.7

clean:
	rm -rf build build-asan

.PHONY: all deps unit bats check demo bench lint install uninstall clean
.SECONDARY:
include tests/fuzz/fuzz.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)
