# SPDX-License-Identifier: GPL-2.0
# Where the kernel uAPI's drm.h is (include/uapi/drm/tessera_accel.h
# includes "drm.h"): set DRM_UAPI_INC to override. By default libdrm-dev's
# /usr/include/drm, else the kernel's include/uapi/drm of the headers that
# `make kernel` unpacks into .cache/kernel, else /usr/src/linux-headers-*.
# TOP must be set.
KVER := $(shell . $(TOP)/scripts/versions.sh && echo $$TESSERA_KVER)
DRM_UAPI_INC ?= $(patsubst %/drm.h,%,$(firstword $(wildcard \
	/usr/include/drm/drm.h \
	$(TOP)/.cache/kernel/$(KVER)/usr/src/linux-headers-*-common/include/uapi/drm/drm.h \
	/usr/src/linux-headers-*-common/include/uapi/drm/drm.h)))

check-drm-inc:
	@test -n "$(DRM_UAPI_INC)" -a -f "$(DRM_UAPI_INC)/drm.h" || { \
		echo "libtessera: no drm.h: install libdrm-dev, run 'make kernel' at the top," \
		     "or set DRM_UAPI_INC=<kernel>/include/uapi/drm" >&2; exit 1; }

.PHONY: check-drm-inc
