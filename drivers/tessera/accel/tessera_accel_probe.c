// SPDX-License-Identifier: GPL-2.0
/*
 * Kbuild compile probes for the DRM scheduler API of the target kernel.
 *
 * Never linked: the Kbuild compiles this file once per TESSERA_PROBE_*
 * define with the kernel's own flags (-fsyntax-only -Werror) and writes
 * tessera_accel_compat.h from which compiles succeed. Debian's 6.12.117
 * backports struct drm_sched_init_args, drm_sched_job_init()'s client id and
 * a drm_sched_start() without errno; v6.12 has positional arguments and
 * drm_sched_start(sched, errno).
 */
#include <drm/gpu_scheduler.h>

#if defined(TESSERA_PROBE_SCHED_INIT_ARGS)
int tessera_probe(struct drm_gpu_scheduler *sched, const struct drm_sched_init_args *args);
int tessera_probe(struct drm_gpu_scheduler *sched, const struct drm_sched_init_args *args)
{
	return drm_sched_init(sched, args);
}
#elif defined(TESSERA_PROBE_JOB_INIT_CLIENT_ID)
int tessera_probe(struct drm_sched_job *job, struct drm_sched_entity *entity);
int tessera_probe(struct drm_sched_job *job, struct drm_sched_entity *entity)
{
	return drm_sched_job_init(job, entity, 1, NULL, 0);
}
#elif defined(TESSERA_PROBE_SCHED_START_ERRNO)
void tessera_probe(struct drm_gpu_scheduler *sched);
void tessera_probe(struct drm_gpu_scheduler *sched)
{
	drm_sched_start(sched, 0);
}
#else
#error "define one TESSERA_PROBE_*"
#endif
