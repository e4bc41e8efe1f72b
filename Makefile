# rkmp — Router Key Management Protocol toolkit
# make            build into build/ (binaries in build/bin/)
# make SANITIZE=1 the same with ASan+UBSan into build-asan/
# make check      unit tests + bats suites;  make demo;  make bench;  make install
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR  ?= $(PREFIX)/lib/systemd/system
PKG_CONFIG  ?= pkg-config
VERSION     ?= $(shell cat VERSION 2>/dev/null || echo unknown)
COMMIT      ?= $(shell git describe --always --dirty --exclude='*' 2>/dev/null || echo unknown)

# The build needs OpenSSL 3, jansson and libpcap.  Nothing is checked while make
# reads this file (so that 'make deps', 'make demo' and 'make check' can install
# them first): the flags are asked of pkg-config once, when a recipe first needs
# them, and every object waits for the 'build-deps' check.
PKGS      := libcrypto jansson libpcap
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell $(PKG_CONFIG) --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell $(PKG_CONFIG) --libs $(PKGS)))$(PKG_LIBS)

CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough -Wsign-compare
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP \
           -DRKMP_VERSION='"$(VERSION)"' -Ilib $(PKG_CFLAGS)
# --as-needed: each binary records only the libraries it calls (the step tools
# do not load libpcap; process start is most of a step's cost)
override LDFLAGS += -Wl,-z,relro,-z,now -Wl,--as-needed
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
# one file per binary: the step tools and rkmp-keytable, rkmp-decode, and the daemon and its client
CMD_MAINS := $(wildcard cmd/rkmp-*.c) cmd/rkmpd.c cmd/rkmpctl.c
CMDS     := $(patsubst cmd/%.c,%,$(CMD_MAINS))
CMD_COMMON := $(patsubst %.c,$(B)/%.o,$(filter-out $(CMD_MAINS),$(wildcard cmd/*.c)))
BINS     := $(CMDS:%=$(B)/bin/%)
# Scripts shipped beside the binaries (cmd/rkmp-hook.sh -> rkmp-hook)
SCRIPTS  := $(patsubst cmd/%.sh,%,$(wildcard cmd/rkmp-*.sh))
SCRIPT_BINS := $(SCRIPTS:%=$(B)/bin/%)
UNIT_SRC := $(filter-out tests/unit/test_helper.c,$(wildcard tests/unit/test_*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/%.o) $(B)/tests/unit/test_helper.o
BENCH_SRC:= $(wildcard tests/bench/*.c)

all: $(BINS) $(SCRIPT_BINS) $(B)/bin/unit-tests

$(B)/%.o: %.c | build-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The commit goes into cli.o alone (--version), which is rebuilt when it changes.
$(B)/lib/cli.o: override CFLAGS += -DRKMP_COMMIT='"$(COMMIT)"'
$(B)/lib/cli.o: $(B)/commit
$(B)/commit: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(COMMIT)" ] || echo "$(COMMIT)" >$@

# Made anew from the objects of today's lib/*.c: when a source file goes, its
# object leaves the archive too ($(B)/lib-objs changes with the list).
$(B)/librkmp.a: $(LIB_OBJ) $(B)/lib-objs
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $(LIB_OBJ)
$(B)/lib-objs: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(LIB_OBJ)" ] || echo "$(LIB_OBJ)" >$@

$(B)/bin/%: $(B)/cmd/%.o $(CMD_COMMON) $(B)/librkmp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_COMMON) $(B)/librkmp.a $(PKG_LIBS)

$(SCRIPT_BINS): $(B)/bin/%: cmd/%.sh
	@mkdir -p $(dir $@)
	$(Q)install -m 0755 $< $@

$(B)/bin/unit-tests: $(UNIT_OBJ) $(B)/librkmp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(B)/librkmp.a $(PKG_LIBS)

$(B)/bin/rkmp-bench: $(B)/tests/bench/bench_ike.o $(B)/librkmp.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/librkmp.a $(PKG_LIBS)

$(B)/bin/rkmp-ike-flood: $(B)/tests/bench/ike_flood.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

# A missing build dependency: the packages and the one apt-get line
# (tests/install-deps.sh holds the package list), then stop.
build-deps:
	@$(PKG_CONFIG) --atleast-version=3.0 libcrypto 2>/dev/null && $(PKG_CONFIG) --exists jansson libpcap 2>/dev/null || \
	 { echo "make: the build needs OpenSSL >= 3, jansson and libpcap (pkg-config and -dev packages)" >&2; \
	   tests/install-deps.sh --check; exit 1; }

# ------------------------------------------------------------------ tests
deps:
	tests/install-deps.sh

unit: $(B)/bin/unit-tests
	cd tests/unit && ../../$(B)/bin/unit-tests

bats: $(BINS) $(SCRIPT_BINS)
	RKMP_BIN=$(CURDIR)/$(B)/bin bats tests/bats

check:
	tests/install-deps.sh --test
	$(MAKE) all
	tests/run-checks.sh $(B)

demo:
	tests/install-deps.sh
	$(MAKE) $(BINS) $(SCRIPT_BINS)
	tests/demo.sh $(B)/bin

bench: all $(B)/bin/rkmp-bench $(B)/bin/rkmp-ike-flood
	tests/bench/bench.sh $(B)/bin
	tests/bench/keytable.sh $(B)/bin
	tests/bench/ike-load.sh $(B)/bin

lint:
	mandoc -Tlint -W warning man/*.[178]
	shellcheck -x -s bash completions/rkmp.bash cmd/*.sh tests/*.sh tests/bench/*.sh tests/interop/*.sh tests/routing/*.sh

install: $(BINS) $(SCRIPT_BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BINS) $(SCRIPT_BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/rkmp.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	for c in $(CMDS) $(SCRIPTS); do install -m 0644 completions/rkmp.bash $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	install -d $(DESTDIR)$(SYSTEMDDIR)
	sed 's|/usr/local/bin/|$(BINDIR)/|g' contrib/rkmpd.service >$(DESTDIR)$(SYSTEMDDIR)/rkmpd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/rkmpd.service

uninstall:
	for c in $(CMDS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1 $(DESTDIR)$(MANDIR)/man8/$$c.8 $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	rm -f $(DESTDIR)$(MANDIR)/man7/rkmp.7 $(DESTDIR)$(SYSTEMDDIR)/rkmpd.service

clean:
	rm -rf build build-asan

.PHONY: FORCE all build-deps deps unit bats check demo bench lint install uninstall clean
.SECONDARY:
include tests/fuzz/fuzz.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)
