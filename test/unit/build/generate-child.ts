// Child process for the kill-and-resume test: generates against URL into LOG and prints the number of
// acknowledged (fsynced) responses after each flush, so the parent knows what must survive a SIGKILL.
//   node --import tsx test/unit/build/generate-child.ts URL LOG PROMPTS
import { generateResponses } from '../../../main/llm/generate.ts';
import { ResponseLog } from '../../../main/llm/response-log.ts';
import { TeacherClient } from '../../../main/llm/teacher-client.ts';

const [url, logPath, count] = process.argv.slice(2);
const prompts = Array.from({ length: Number(count) }, (_, i) => ({ id: `p${i}`, prompt: `문제 ${i}` }));
const teachers = ['a', 'b'].map((name) => new TeacherClient({ name, baseUrl: url, model: `m-${name}`, concurrency: 3, backoffMs: 1 }));
const log = ResponseLog.open(logPath);
await generateResponses({
  prompts,
  teachers,
  samplesPerPrompt: 2,
  log,
  flushMs: 5,
  onProgress: (p) => process.stdout.write(`ack ${p.done}\n`),
});
log.close();
process.stdout.write('finished\n');
