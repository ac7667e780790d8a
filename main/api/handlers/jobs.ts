import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import { isJobId } from '../../jobs/job-records.ts';
import type { AppSession } from '../session.ts';

async function existingJob(session: AppSession, id: string) {
  const { jobs } = session.requireWorkspace();
  const record = isJobId(id) ? await jobs.get(id) : null;
  if (!record) throw new ApiFailure('not_found', `no job ${JSON.stringify(id)} in this workspace`);
  return { jobs, record };
}

export const jobsHandlers: HandlerGroup<'jobs'> = {
  'jobs.list': (input, ctx) => ctx.session.requireWorkspace().jobs.list(input.limit),
  'jobs.get': async (input, ctx) => (await existingJob(ctx.session, input.id)).record,
  'jobs.cancel': async (input, ctx) => {
    const { jobs } = await existingJob(ctx.session, input.id);
    return { cancelled: jobs.cancel(input.id) };
  },
  'jobs.reorder': async (input, ctx) => {
    const { jobs } = await existingJob(ctx.session, input.id);
    return { moved: jobs.reorder(input.id, input.position) };
  },
  'jobs.queues': (_input, ctx) => ctx.session.requireWorkspace().jobs.queues(),
  'jobs.pauseQueue': (input, ctx) => ({ paused: ctx.session.requireWorkspace().jobs.pauseQueue(input.device, input.paused) }),
  'jobs.pausedQueues': (_input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    return { paused: jobs.pausedQueues(), lost: jobs.lostDevices() };
  },
  'jobs.log': async (input, ctx) => {
    const { jobs } = await existingJob(ctx.session, input.id);
    return { lines: await jobs.log(input.id, input.tail) };
  },
};
