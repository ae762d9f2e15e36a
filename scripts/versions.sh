# SPDX-License-Identifier: GPL-2.0
# Pinned versions; each may be overridden from the environment.
: "${TESSERA_KVER:=6.12.117+deb12-amd64}"
: "${TESSERA_QEMU_VERSION:=1:10.0.13+ds-0+deb13u1}"
export TESSERA_KVER TESSERA_QEMU_VERSION
