# SPDX-License-Identifier: GPL-2.0
#
# Tessera: build and test entry points. `make help` lists them.
#
# The kernel module itself is described by the top-level Kbuild file: with
# M=$(CURDIR), kbuild reads Kbuild, never this Makefile.

KVER := $(shell . $(CURDIR)/scripts/versions.sh && echo $$TESSERA_KVER)
KROOT := $(CURDIR)/.cache/kernel/$(KVER)
DEBIAN_KDIR := $(KROOT)/usr/src/linux-headers-$(KVER)
KDIR ?= $(DEBIAN_KDIR)
# Only the pinned Debian headers need fetching; a real host's own KDIR does not.
KDIR_DEPS := $(if $(filter $(DEBIAN_KDIR),$(KDIR)),kernel)

HEAVY := $(CURDIR)/scripts/testhost/with-heavy-lock.sh
TESTHOST := $(CURDIR)/scripts/testhost/run.sh
CARD := 1234:7e50

# A piece another part of the project provides: fail with a clear message
# while it does not exist, never pass silently.
need = @test -e $(1) || { echo "make: $(1) does not exist yet: $(2)" >&2; exit 1; }

.PHONY: all help deps kernel qemu modules selftests card-demo testhost build \
	check demo bench lint clean distclean debug-kernel debug-modules fuzz accel-fuzz \
	fuzz-planted deb install modules_install

all: build

help:
	@echo 'make deps       install packages (scripts/install-deps.sh; root, idempotent)'
	@echo 'make kernel     fetch and unpack Debian'"'"'s 6.12 kernel and headers'
	@echo 'make qemu       build QEMU with the Tessera card (scripts/build-qemu.sh)'
	@echo 'make modules    build the kernel module (KDIR=... to use other headers)'
	@echo 'make selftests  build the VFIO selftests'
	@echo 'make testhost   build the test host initramfs'
	@echo 'make build      all of the above but deps'
	@echo 'make debug-kernel   build the debug test-host kernel (KASAN, lockdep, kmemleak...)'
	@echo 'make debug-modules  build tessera.ko against it (into .cache/debug-kernel/module/)'
	@echo 'make check      deps, build, run every suite (TAP), one summary line'
	@echo 'make fuzz       the VFIO uAPI fuzzer on every type, 10x make check'"'"'s budget (FUZZ_SECONDS=600)'
	@echo 'make fuzz-planted  each selftests/fuzz/planted/*.patch must be caught by the fuzzer'
	@echo 'make accel-fuzz the DRM accel uAPI fuzzer on the debug test host, ten times its make check time'
	@echo 'make lint       checkpatch --strict, W=1 and sparse builds (TAP)'
	@echo 'make deb        Debian packages into build/deb/: tessera-dkms, tessera-tools, libtessera0, libtessera-dev'
	@echo 'make install    tessera-smi, tessera-run and libtessera (PREFIX=/usr/local DESTDIR=)'
	@echo 'make modules_install  the modules into /lib/modules of KDIR'"'"'s kernel'
	@echo 'make demo       boot the test host with the card and run tools/card-demo'
	@echo 'make bench      run scripts/bench-*.sh into Documentation/bench-results.txt'
	@echo 'make clean      remove build products (keeps .cache downloads and QEMU)'
	@echo 'make distclean  clean, and remove .cache entirely'

deps:
	@$(CURDIR)/scripts/install-deps.sh

kernel:
	@$(CURDIR)/scripts/fetch-kernel.sh >/dev/null

qemu:
	$(call need,scripts/build-qemu.sh,the QEMU card build script)
	@$(HEAVY) $(CURDIR)/scripts/build-qemu.sh

modules: $(KDIR_DEPS)
	$(call need,Kbuild,the kernel module's top-level Kbuild file)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

selftests:
	$(call need,selftests/vfio/Makefile,the VFIO selftests)
	$(MAKE) -C selftests/vfio

card-demo:
	$(call need,tools/card-demo/Makefile,the card demo)
	$(MAKE) -C tools/card-demo

testhost: kernel
	@$(CURDIR)/scripts/testhost/build-initramfs.sh >/dev/null

build: kernel testhost qemu modules selftests

# The debug test host's kernel and a tessera.ko for it; boot it with
# scripts/testhost/run.sh --kernel debug (Documentation/testing.rst).
debug-kernel:
	@$(CURDIR)/scripts/build-debug-kernel.sh

debug-modules:
	@$(CURDIR)/scripts/build-debug-module.sh

# Every executable scripts/suites/NN-name.sh is a suite; the first builds.
check: deps
	@$(CURDIR)/scripts/run-suites.sh

# The uAPI fuzz suite with ten times its make check budget per type.
FUZZ_SECONDS ?= 600
fuzz: deps kernel testhost qemu modules
	@TESSERA_FUZZ_SECONDS=$(FUZZ_SECONDS) TESSERA_FUZZ_HOSTS=per-type \
		$(CURDIR)/scripts/suites/58-uapifuzz.sh

# Builds with a fix reverted ("planted bugs"): the fuzzer must catch each.
fuzz-planted: deps kernel testhost qemu
	@$(CURDIR)/scripts/fuzz-planted.sh $(CURDIR)/selftests/fuzz/planted/*.patch

lint: kernel
	@KDIR=$(KDIR) $(CURDIR)/scripts/lint.sh

# The card as a guest sees it, then a GEMM on it checked against the CPU.
# The card under lspci, a GEMM through its registers, then two vGPU
# instances made with mdevctl running GEMMs through VFIO (scripts/demo-guest.sh).
demo: deps kernel testhost qemu modules card-demo
	$(MAKE) -C tools/vgpu-demo
	$(MAKE) -C tools/tessera-run OUT=$(CURDIR)/.cache/tools/static STATIC=1
	@initramfs=$$(selftests/clients/build-accel-initramfs.sh $(CURDIR)/drivers/tessera/tessera_accel.ko \
		$(CURDIR)/.cache/tools/static/tessera-run) && \
	$(TESTHOST) --name demo --timeout 900 --device tessera-card --nested-kvm \
		--qemu-arg -cpu --qemu-arg max --mem 2G --env ACCEL_INITRAMFS=$$initramfs -- \
		scripts/demo-guest.sh $(CURDIR)/drivers/tessera/tessera.ko $(CURDIR)/.cache/selftests/vgpu-demo

# The DRM accel uAPI fuzzer on the debug test host for 300 s (`make check`'s
# debug-accelfuzz suite runs it for 30 s).
accel-fuzz: deps kernel testhost qemu
	@TESSERA_ACCEL_FUZZ_SECONDS=$${TESSERA_ACCEL_FUZZ_SECONDS:-300} $(CURDIR)/scripts/suites/64-debug-accelfuzz.sh

bench: deps kernel testhost qemu modules
	@$(HEAVY) $(CURDIR)/scripts/run-benches.sh

# Packages and installation (Documentation/tessera-smi.rst).
deb: kernel
	@$(CURDIR)/tools/packaging/build-debs.sh $(CURDIR)/build/deb

PREFIX ?= /usr/local
install: kernel
	$(MAKE) -C tools/tessera-smi install PREFIX=$(PREFIX) OUT=$(CURDIR)/build/tools
	$(MAKE) -C tools/tessera-run install PREFIX=$(PREFIX) OUT=$(CURDIR)/build/tools
	$(MAKE) -C tools/lib install PREFIX=$(PREFIX) OUT=$(CURDIR)/build/tools

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	@# Not Kbuild's M= clean: it deletes every *.o and *.ko* under the tree,
	@# the cached kernels' modules in .cache/ included.
	find drivers \( -name '*.[aos]' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' \) -type f -delete
	rm -f Module.symvers modules.order
	@if [ -f selftests/vfio/Makefile ]; then $(MAKE) -C selftests/vfio clean; fi
	@if [ -f tools/card-demo/Makefile ]; then $(MAKE) -C tools/card-demo clean; fi
	rm -rf build .cache/testhost/jobs .cache/testhost/logs .cache/lint .cache/debug-kernel/module

distclean: clean
	rm -rf .cache
