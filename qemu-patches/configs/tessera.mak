# SPDX-License-Identifier: GPL-2.0
# The devices the test host's QEMU is built with (--without-default-devices
# --with-devices-x86_64=tessera): the q35 and pc machines and what the suites and
# make demo put on it. Everything else (NICs, USB, sound, display, SCSI,
# IPMI, CXL...) stays out of the build.
CONFIG_Q35=y
# pc too, the default machine, as in upstream's build: the card's qtest and
# scripts/qemu without -machine start it.
CONFIG_I440FX=y
# The q35 machine as before: the guest's clock sources unchanged.
CONFIG_HPET=y
CONFIG_VTD=y
CONFIG_PCIE_PORT=y
CONFIG_SERIAL_ISA=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_9P=y
CONFIG_VIRTIO_RNG=y
CONFIG_TEST_DEVICES=y
CONFIG_EDU=y
CONFIG_TESSERA_CARD=y
