/* SPDX-License-Identifier: GPL-2.0 */
#include "qemu/osdep.h"
#include "libqtest.h"
int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    return g_test_run();
}
